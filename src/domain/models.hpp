#pragma once
// Plain data the domain, storage and handlers share. Times are milliseconds since the Unix epoch
// (UTC); money is integer minor units plus an ISO 4217 code.
#include <cstdint>
#include <string>
#include <vector>

namespace rihla::domain {

struct Money {
  std::int64_t minor = 0;
  std::string currency;
  bool operator==(const Money&) const = default;
};

struct Airport {
  std::string code, name, city, country;
};

struct Flight {
  std::string id;
  std::string flight_number;
  std::string origin, destination;
  std::int64_t departure_ms = 0;
  std::int64_t arrival_ms = 0;
  std::string cabin;
  Money price;  // per passenger
  int seats_total = 0;
  int seats_available = 0;
};

struct Passenger {
  std::string given_name, family_name;
  bool operator==(const Passenger&) const = default;
};

enum class BookingStatus { kPendingPayment, kConfirmed, kCancelled, kExpired };

struct Booking {
  std::string id;
  std::string user_id;
  std::string flight_id;
  BookingStatus status = BookingStatus::kPendingPayment;
  std::vector<Passenger> passengers;
  Money total;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
};

struct User {
  std::string id;
  std::string email;
  std::string password_hash;
};

}  // namespace rihla::domain
