// JSON request bodies through the validation the handlers run: ParseJsonObject, then every
// body validator (booking, sign-up/login credentials, admin flight create and patch, payment
// webhook event).
// Invariants: only ApiError(kInvalidRequest) escapes; ParseJsonObject accepts exactly the
// bodies TryParseJson reads as an object; CanonicalJson writes JSON that reads back to the
// same value and text (see below for doubles); accepted bodies satisfy each validator's bounds.
#include <boost/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/auth_rules.hpp"
#include "domain/booking_rules.hpp"
#include "domain/flight_rules.hpp"
#include "domain/json_input.hpp"
#include "domain/money.hpp"
#include "domain/payment_event.hpp"
#include "domain/search.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace rihla;

template <class F>
void Validate(F&& parse) {
  try {
    parse();
  } catch (const ApiError& e) {
    fuzz::CheckInvalidRequest(e);
    FUZZ_CHECK(!e.fields().empty());
  }
}

// True if the document holds a double (only a non-finite one, with non_finite_only).
bool HasDouble(const boost::json::value& v, bool non_finite_only) {
  if (v.is_double()) return !non_finite_only || !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (HasDouble(e, non_finite_only)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (HasDouble(kv.value(), non_finite_only)) return true;
    }
  }
  return false;
}

void CheckMoney(const domain::Money& m) {
  FUZZ_CHECK(m.minor >= 0);
  auto again = domain::ParseMoney(domain::FormatAmount(m), m.currency);
  FUZZ_CHECK(again && *again == m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto any = domain::TryParseJson(in);
  // Boost.JSON 1.81 reads numbers beyond the double range as +-infinity and writes those as
  // `Infinity`, which is not JSON, and its (default, fast) number parsing is not correctly
  // rounded, so a double may drift in its last digit on each write and re-read. The canonical
  // text is only hashed (the idempotency fingerprint of the same raw bytes), never read back:
  // it must be JSON for finite documents, and a fixed point for documents without doubles.
  if (any && !HasDouble(*any, /*non_finite_only=*/true)) {
    std::string canonical = domain::CanonicalJson(*any);
    auto reparsed = domain::TryParseJson(canonical);
    FUZZ_CHECK(reparsed.has_value());
    if (!HasDouble(*any, false)) {
      FUZZ_CHECK(*reparsed == *any);
      FUZZ_CHECK(domain::CanonicalJson(*reparsed) == canonical);
    }
  }
  boost::json::object body;
  try {
    body = domain::ParseJsonObject(in);
  } catch (const ApiError& e) {
    fuzz::CheckInvalidRequest(e);
    FUZZ_CHECK(!any || !any->is_object() || in.empty());
    return 0;
  }
  FUZZ_CHECK(any && any->is_object());
  FUZZ_CHECK(domain::CanonicalJson(*any) == domain::CanonicalJson(body));  // == fails on NaN (0e400)

  Validate([&] {
    auto b = domain::ParseNewBooking(body);
    FUZZ_CHECK(!b.flight_id.empty() && b.flight_id.size() <= 40);
    FUZZ_CHECK(!b.passengers.empty() && b.passengers.size() <= 9);
    for (const auto& p : b.passengers) {
      FUZZ_CHECK(!p.given_name.empty() && p.given_name.size() <= 100);
      FUZZ_CHECK(!p.family_name.empty() && p.family_name.size() <= 100);
    }
  });
  Validate([&] {
    auto c = domain::ParseCredentials(body);
    FUZZ_CHECK(!c.email.empty() && c.email.size() <= 254);
    FUZZ_CHECK(!c.password.empty() && c.password.size() <= 1024);
  });
  Validate([&] {
    auto f = domain::ParseNewFlight(body);
    FUZZ_CHECK(domain::IsIataCode(f.origin) && domain::IsIataCode(f.destination) && f.origin != f.destination);
    FUZZ_CHECK(f.origin == domain::ToUpper(f.origin) && f.destination == domain::ToUpper(f.destination));
    FUZZ_CHECK(f.arrival_ms > f.departure_ms);
    FUZZ_CHECK(f.departure_ms % 1000 == 0 && f.arrival_ms % 1000 == 0);
    FUZZ_CHECK(f.seats_total >= 1 && f.seats_total <= 1000 && f.seats_available == f.seats_total);
    FUZZ_CHECK(domain::IsCabin(f.cabin));
    CheckMoney(f.price);
  });
  Validate([&] {
    auto p = domain::ParseFlightPatch(body);
    FUZZ_CHECK(p.price || p.seats_total);
    if (p.price) CheckMoney(*p.price);
    if (p.seats_total) FUZZ_CHECK(*p.seats_total >= 0 && *p.seats_total <= 1000);
  });
  Validate([&] {
    auto e = domain::ParsePaymentEvent(body);
    FUZZ_CHECK(!e.id.empty() && e.id.size() <= 255);
    FUZZ_CHECK(!e.type.empty() && e.type.size() <= 50);
    FUZZ_CHECK(!e.booking_id.empty() && e.booking_id.size() <= 40);
    FUZZ_CHECK(e.amount.has_value());
    CheckMoney(*e.amount);
  });
  return 0;
}
