#include "domain/render.hpp"

#include <boost/json.hpp>

#include "domain/money.hpp"
#include "domain/time.hpp"

namespace rihla::domain {

std::string_view StatusName(BookingStatus status) {
  switch (status) {
    case BookingStatus::kPendingPayment: return "pending_payment";
    case BookingStatus::kConfirmed: return "confirmed";
    case BookingStatus::kCancelled: return "cancelled";
    case BookingStatus::kExpired: return "expired";
  }
  return "pending_payment";
}

bool ParseStatus(std::string_view text, BookingStatus& out) {
  for (auto s : {BookingStatus::kPendingPayment, BookingStatus::kConfirmed, BookingStatus::kCancelled,
                 BookingStatus::kExpired}) {
    if (StatusName(s) == text) {
      out = s;
      return true;
    }
  }
  return false;
}

boost::json::object MoneyJson(const Money& money) {
  return boost::json::object{{"amount", FormatAmount(money)}, {"currency", money.currency}};
}

boost::json::object AirportJson(const Airport& a) {
  return boost::json::object{{"code", a.code}, {"name", a.name}, {"city", a.city}, {"country", a.country}};
}

boost::json::object FlightJson(const Flight& f) {
  boost::json::object o;
  o.reserve(9);
  o["id"] = f.id;
  o["flight_number"] = f.flight_number;
  o["from"] = f.origin;
  o["to"] = f.destination;
  o["departure_time"] = FormatRfc3339(f.departure_ms);
  o["arrival_time"] = FormatRfc3339(f.arrival_ms);
  o["cabin"] = f.cabin;
  o["price"] = MoneyJson(f.price);
  o["seats_available"] = f.seats_available;
  return o;
}

boost::json::object BookingJson(const Booking& b) {
  boost::json::array passengers;
  for (const auto& p : b.passengers) {
    passengers.push_back(boost::json::object{{"given_name", p.given_name}, {"family_name", p.family_name}});
  }
  boost::json::object o;
  o["id"] = b.id;
  o["status"] = StatusName(b.status);
  o["flight_id"] = b.flight_id;
  o["passengers"] = std::move(passengers);
  o["total"] = MoneyJson(b.total);
  o["created_at"] = FormatRfc3339(b.created_ms);
  o["expires_at"] = FormatRfc3339(b.expires_ms);
  return o;
}

std::string SearchResultBody(const std::vector<Flight>& flights) {
  boost::json::array items;
  items.reserve(flights.size());
  for (const auto& f : flights) items.push_back(FlightJson(f));
  boost::json::object body;
  body["flights"] = std::move(items);
  body["count"] = flights.size();
  return boost::json::serialize(body);
}

}  // namespace rihla::domain
