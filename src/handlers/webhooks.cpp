// POST /v1/webhooks/payments (Rihla-Signature).
#include "handlers/idempotent_response.hpp"
#include "handlers/routes.hpp"
#include "services/payment_service.hpp"

namespace rihla::handlers {

void AddWebhookRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "POST",
              .pattern = "/v1/webhooks/payments",
              .auth = http::Auth::kWebhook,
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                return IdempotentResponse(deps.payments.Handle(ctx, req.path, std::string(req.Header("rihla-signature")),
                                                               req.body));
              }});
}

}  // namespace rihla::handlers
