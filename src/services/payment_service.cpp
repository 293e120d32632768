#include "services/payment_service.hpp"

#include <boost/json.hpp>

#include "domain/booking_rules.hpp"
#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/money.hpp"
#include "domain/payment_event.hpp"
#include "domain/render.hpp"
#include "domain/time.hpp"
#include "domain/webhook_signature.hpp"
#include "storage/booking_repository.hpp"
#include "storage/payment_event_repository.hpp"

namespace rihla::services {
namespace {

std::string Ignored(const std::string& reason) {
  return boost::json::serialize(boost::json::object{{"received", true}, {"result", "ignored"}, {"reason", reason}});
}

}  // namespace

idempotency::Result PaymentService::Handle(RequestContext& ctx, const std::string& path,
                                           const std::string& signature_header, const std::string& raw_body) {
  if (secret_.empty()) {
    throw ApiError(ErrorCode::kServiceUnavailable, "payment webhooks are not configured (RIHLA_WEBHOOK_SECRET)");
  }
  if (!domain::VerifyWebhookSignature(signature_header, raw_body, secret_, domain::NowMs() / 1000)) {
    throw ApiError(ErrorCode::kInvalidSignature, "Rihla-Signature is missing, wrong, or outside the 300 s tolerance");
  }
  auto event = domain::ParsePaymentEvent(domain::ParseJsonObject(raw_body));
  idempotency::Request key{"POST /v1/webhooks/payments", ctx.principal, event.id,
                           idempotency::Fingerprint("POST", path, raw_body), true};
  return idem_.Run(ctx, key, [&](storage::Tx& tx) {
    std::int64_t now = domain::NowMs();
    storage::PaymentEventRow row{event.id, event.type, event.booking_id, "", "ignored", "", 0};
    if (event.amount) {
      row.amount_minor = event.amount->minor;
      row.currency = event.amount->currency;
    }
    auto finish = [&](const std::string& result, const std::string& reason, std::string body) {
      row.result = result;
      row.reason = reason;
      storage::InsertPaymentEvent(tx, row, now);
      ctx.Log(LogLevel::kInfo, "payment event processed",
              {{"event_id", event.id}, {"result", result}, {"reason", reason}, {"booking_id", event.booking_id}});
      return idempotency::Outcome{200, std::move(body), {}};
    };
    if (storage::PaymentEventExists(tx, event.id)) {
      return idempotency::Outcome{200, Ignored("event already processed"), {}};
    }
    if (event.type != "payment.succeeded") {
      std::string reason = event.type == "payment.failed" ? "payment failed; the booking stays unpaid until it expires"
                                                          : "unsupported event type";
      return finish("ignored", reason, Ignored(reason));
    }
    auto booking = storage::FindBooking(tx, event.booking_id);
    if (!booking) return finish("ignored", "unknown booking", Ignored("unknown booking"));
    auto status = domain::EffectiveStatus(*booking, now);
    if (status != domain::BookingStatus::kPendingPayment) {
      std::string reason = "booking is " + std::string(domain::StatusName(status));
      return finish("ignored", reason, Ignored(reason));
    }
    if (!event.amount || !(*event.amount == booking->total)) {
      return finish("ignored", "amount does not match the booking total", Ignored("amount does not match the booking total"));
    }
    storage::TransitionGuard guard{{domain::BookingStatus::kPendingPayment}, std::nullopt, now};
    if (!storage::TransitionBooking(tx, booking->id, guard, domain::BookingStatus::kConfirmed, now)) {
      return finish("ignored", "booking is no longer pending", Ignored("booking is no longer pending"));
    }
    booking->status = domain::BookingStatus::kConfirmed;
    std::string body = boost::json::serialize(boost::json::object{
        {"received", true}, {"result", "confirmed"}, {"booking", domain::BookingJson(*booking)}});
    return finish("confirmed", "", std::move(body));
  });
}

}  // namespace rihla::services
