// POST /v1/admin/flights, PATCH /v1/admin/flights/{id} (admin bearer token).
#include <boost/json.hpp>

#include "domain/flight_rules.hpp"
#include "domain/json_input.hpp"
#include "domain/render.hpp"
#include "handlers/routes.hpp"
#include "services/flight_service.hpp"

namespace rihla::handlers {

void AddAdminRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "POST",
              .pattern = "/v1/admin/flights",
              .auth = http::Auth::kAdmin,
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                auto flight = domain::ParseNewFlight(domain::ParseJsonObject(req.body));
                flight = deps.flights.Create(ctx, std::move(flight));
                return http::JsonResponse(201, boost::json::serialize(domain::FlightJson(flight)));
              }});

  router.Add({.method = "PATCH",
              .pattern = "/v1/admin/flights/{id}",
              .auth = http::Auth::kAdmin,
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams& params) {
                auto patch = domain::ParseFlightPatch(domain::ParseJsonObject(req.body));
                auto flight = deps.flights.Patch(ctx, std::string(http::Param(params, "id")), patch);
                return http::JsonResponse(200, boost::json::serialize(domain::FlightJson(flight)));
              }});
}

}  // namespace rihla::handlers
