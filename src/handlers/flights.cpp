// GET /v1/airports, /v1/flights/search, /v1/flights/{id}.
#include <boost/json.hpp>

#include "domain/errors.hpp"
#include "domain/render.hpp"
#include "domain/search.hpp"
#include "handlers/routes.hpp"
#include "services/flight_service.hpp"

namespace rihla::handlers {
namespace {

http::Response SearchResponse(std::string body, bool hit) {
  http::Response r = http::JsonResponse(200, std::move(body));
  r.SetHeader("X-Cache", hit ? "HIT" : "MISS");
  return r;
}

}  // namespace

void AddFlightRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "GET",
              .pattern = "/v1/airports",
              .handler = [&deps](RequestContext& ctx, const http::Request&, const http::PathParams&) {
                boost::json::array airports;
                for (const auto& a : deps.flights.Airports(ctx)) airports.push_back(domain::AirportJson(a));
                return http::JsonResponse(200, boost::json::serialize(boost::json::object{{"airports", airports}}));
              }});

  router.Add({.method = "GET",
              .pattern = "/v1/flights/search",
              .handler =
                  [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                    auto query = domain::ParseSearchQuery(req.query);
                    auto result = deps.flights.Search(ctx, query);
                    return SearchResponse(std::move(result.body), result.hit);
                  },
              // An in-process cache hit is answered on the I/O thread without a worker hop.
              .fast_path =
                  [&deps](RequestContext&, const http::Request& req, const http::PathParams&, http::Response& out) {
                    auto query = domain::ParseSearchQuery(req.query);
                    auto body = deps.flights.PeekSearch(query);
                    if (!body) return false;
                    out = SearchResponse(std::move(*body), true);
                    return true;
                  }});

  router.Add({.method = "GET",
              .pattern = "/v1/flights/{id}",
              .handler = [&deps](RequestContext& ctx, const http::Request&, const http::PathParams& params) {
                auto flight = deps.flights.Get(ctx, std::string(http::Param(params, "id")));
                return http::JsonResponse(200, boost::json::serialize(domain::FlightJson(flight)));
              }});
}

}  // namespace rihla::handlers
