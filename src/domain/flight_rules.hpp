#pragma once
// Validation of admin flight writes. Pure.
#include <boost/json/object.hpp>

#include <optional>

#include "domain/models.hpp"

namespace rihla::domain {

// Parses POST /v1/admin/flights. The returned flight has no id; seats_available = seats_total.
// Throws ApiError(kInvalidRequest) listing every invalid field.
Flight ParseNewFlight(const boost::json::object& body);

struct FlightPatch {
  std::optional<Money> price;
  std::optional<int> seats_total;
};
// Parses PATCH /v1/admin/flights/{id}: at least one of price, seats_total.
FlightPatch ParseFlightPatch(const boost::json::object& body);


}  // namespace rihla::domain
