#pragma once
// Validation of the payment webhook body (after its signature is verified). Pure.
#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "domain/models.hpp"

namespace rihla::domain {

struct PaymentEvent {
  std::string id;          // 1..255 bytes: the deduplication key
  std::string type;        // 1..50 bytes
  std::string booking_id;  // 1..40 bytes
  std::optional<Money> amount;
};

// Parses {"id", "type", "data": {"booking_id", "amount": {"amount", "currency"}}}; all required,
// the amount a decimal string in a supported currency (ParseMoney). Throws
// ApiError(kInvalidRequest, "invalid payment event") listing every invalid field.
PaymentEvent ParsePaymentEvent(const boost::json::object& body);

}  // namespace rihla::domain
