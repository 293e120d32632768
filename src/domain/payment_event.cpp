#include "domain/payment_event.hpp"

#include "domain/json_input.hpp"
#include "domain/money.hpp"

namespace rihla::domain {

PaymentEvent ParsePaymentEvent(const boost::json::object& body) {
  FieldReader r(body);
  PaymentEvent e;
  auto id = r.String("id", true, 255);
  auto type = r.String("type", true, 50);
  const auto* data = r.Object("data", true);
  if (data) {
    FieldReader d(*data, "data.");
    auto booking_id = d.String("booking_id", true, 40);
    if (const auto* amount = d.Object("amount", true)) {
      FieldReader a(*amount, "data.amount.");
      auto value = a.String("amount", true, 20);
      auto currency = a.String("currency", true, 3);
      for (auto& err : a.errors()) d.errors().push_back(std::move(err));
      if (value && currency) {
        e.amount = ParseMoney(*value, *currency);
        if (!e.amount) d.Fail("amount", "must be a decimal amount string with a supported currency");
      }
    }
    for (auto& err : d.errors()) r.errors().push_back(std::move(err));
    if (booking_id) e.booking_id = *booking_id;
  }
  r.ThrowIfErrors("invalid payment event");
  e.id = *id;
  e.type = *type;
  return e;
}

}  // namespace rihla::domain
