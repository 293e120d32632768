// The booking page (web/, embedded): GET /, /app.js, /style.css; and its demo "pay" button,
// POST /v1/demo/bookings/{id}/pay (RIHLA_DEMO_PAYMENTS=1 only).
#include <boost/json.hpp>

#include "domain/errors.hpp"
#include "domain/render.hpp"
#include "domain/time.hpp"
#include "handlers/embedded_docs.hpp"
#include "handlers/idempotent_response.hpp"
#include "handlers/routes.hpp"
#include "security/crypto.hpp"
#include "services/booking_service.hpp"
#include "services/payment_service.hpp"

namespace rihla::handlers {
namespace {

void AddStatic(http::Router& router, std::string pattern, std::string content_type, std::string_view (*body)()) {
  router.Add({.method = "GET",
              .pattern = std::move(pattern),
              .handler = [content_type, body](RequestContext&, const http::Request&, const http::PathParams&) {
                return http::StaticResponse(content_type, body());
              },
              .runs_inline = true});
}

}  // namespace

void AddWebRoutes(http::Router& router, Deps& deps) {
  AddStatic(router, "/", "text/html; charset=utf-8", EmbeddedWebIndexHtml);
  AddStatic(router, "/app.js", "text/javascript; charset=utf-8", EmbeddedWebAppJs);
  AddStatic(router, "/style.css", "text/css; charset=utf-8", EmbeddedWebStyleCss);

  // Builds the payment.succeeded event the provider would send for the caller's booking, signs
  // it with the webhook secret, and hands it to the webhook's own path (signature check, event
  // deduplication, confirmation) as principal webhook:payments. 404 when demo payments are off
  // or the booking is not the caller's. Replays answer like a redelivered webhook.
  router.Add({.method = "POST",
              .pattern = "/v1/demo/bookings/{id}/pay",
              .auth = http::Auth::kUser,
              .handler = [&deps](RequestContext& ctx, const http::Request&, const http::PathParams& params) {
                if (deps.demo_payments_secret.empty()) {
                  throw ApiError(ErrorCode::kNotFound, "demo payments are off (RIHLA_DEMO_PAYMENTS)");
                }
                auto booking = deps.bookings.Get(ctx, std::string(http::Param(params, "id")));
                boost::json::object data{{"booking_id", booking.id}, {"amount", domain::BookingJson(booking).at("total")}};
                std::string body = boost::json::serialize(boost::json::object{
                    {"id", "evt_demo_" + booking.id}, {"type", "payment.succeeded"}, {"data", std::move(data)}});
                std::string t = std::to_string(domain::NowMs() / 1000);
                std::string signature = "t=" + t + ",v1=" + HmacSha256Hex(deps.demo_payments_secret, t + "." + body);
                RequestContext webhook = ctx;
                webhook.user_id.clear();
                webhook.principal = "webhook:payments";
                return IdempotentResponse(deps.payments.Handle(webhook, "/v1/webhooks/payments", signature, body));
              }});
}

}  // namespace rihla::handlers
