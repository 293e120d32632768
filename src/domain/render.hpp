#pragma once
// The wire format (API.md) of domain objects. Pure functions.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "domain/models.hpp"

namespace rihla::domain {

std::string_view StatusName(BookingStatus status);
bool ParseStatus(std::string_view text, BookingStatus& out);

boost::json::object MoneyJson(const Money& money);
boost::json::object AirportJson(const Airport& airport);
boost::json::object FlightJson(const Flight& flight);
boost::json::object BookingJson(const Booking& booking);
// {"flights": [...], "count": n}
std::string SearchResultBody(const std::vector<Flight>& flights);

}  // namespace rihla::domain
