// POST /v1/bookings, GET /v1/bookings, GET /v1/bookings/{id}, POST /v1/bookings/{id}/cancel.
#include <boost/json.hpp>

#include "domain/booking_rules.hpp"
#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/parse_int.hpp"
#include "domain/render.hpp"
#include "domain/search.hpp"
#include "handlers/idempotent_response.hpp"
#include "handlers/routes.hpp"
#include "services/booking_service.hpp"

namespace rihla::handlers {
namespace {

struct ListParams {
  int limit = 20;
  std::optional<std::string> cursor;
};

ListParams ParseListParams(std::string_view raw) {
  ListParams p;
  for (auto& [key, value] : domain::ParseQueryString(raw)) {
    if (key == "limit") {
      auto n = domain::ParseInteger<int>(value, 1, 100);
      if (!n) throw ApiError(ErrorCode::kInvalidRequest, "invalid limit", {{"limit", "must be an integer from 1 to 100"}});
      p.limit = *n;
    } else if (key == "cursor") {
      p.cursor = value;
    }
  }
  return p;
}

}  // namespace

void AddBookingRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "POST",
              .pattern = "/v1/bookings",
              .auth = http::Auth::kUser,
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                auto key = IdempotencyRequest(ctx, req);
                auto input = domain::ParseNewBooking(domain::ParseJsonObject(req.body));
                return IdempotentResponse(deps.bookings.Create(ctx, key, input));
              }});

  router.Add({.method = "GET",
              .pattern = "/v1/bookings",
              .auth = http::Auth::kUser,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                auto params = ParseListParams(req.query);
                auto page = deps.bookings.List(ctx, params.limit, params.cursor);
                boost::json::array items;
                for (const auto& b : page.bookings) items.push_back(domain::BookingJson(b));
                boost::json::object body{{"bookings", std::move(items)}};
                body["next_cursor"] = page.next_cursor ? boost::json::value(*page.next_cursor) : nullptr;
                return http::JsonResponse(200, boost::json::serialize(body));
              }});

  router.Add({.method = "GET",
              .pattern = "/v1/bookings/{id}",
              .auth = http::Auth::kUser,
              .handler = [&deps](RequestContext& ctx, const http::Request&, const http::PathParams& params) {
                auto booking = deps.bookings.Get(ctx, std::string(http::Param(params, "id")));
                return http::JsonResponse(200, boost::json::serialize(domain::BookingJson(booking)));
              }});

  router.Add({.method = "POST",
              .pattern = "/v1/bookings/{id}/cancel",
              .auth = http::Auth::kUser,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams& params) {
                auto key = IdempotencyRequest(ctx, req);
                if (!req.body.empty()) domain::ParseJsonObject(req.body);  // optional body must be a JSON object
                return IdempotentResponse(deps.bookings.Cancel(ctx, key, std::string(http::Param(params, "id"))));
              }});
}

}  // namespace rihla::handlers
