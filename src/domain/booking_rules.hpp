#pragma once
// Booking rules: request validation, pricing, the status state machine and list cursors. Pure.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "domain/models.hpp"

namespace rihla::domain {

struct NewBooking {
  std::string flight_id;
  std::vector<Passenger> passengers;  // 1..9
};
// Parses POST /v1/bookings. Throws ApiError(kInvalidRequest).
NewBooking ParseNewBooking(const boost::json::object& body);

// price per passenger x passengers.
Money BookingTotal(const Money& price, std::size_t passengers);

// A pending booking whose hold has ended is expired, whatever the row says yet.
BookingStatus EffectiveStatus(const Booking& booking, std::int64_t now_ms);
// Statuses from which a booking may be cancelled.
std::vector<BookingStatus> CancellableStatuses();

// Opaque list cursor: base64url of "<created_ms>:<id>". ParseCursor throws kInvalidRequest.
std::string MakeCursor(std::int64_t created_ms, const std::string& id);
std::pair<std::int64_t, std::string> ParseCursor(std::string_view cursor);

}  // namespace rihla::domain
