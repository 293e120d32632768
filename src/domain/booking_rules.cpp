#include "domain/booking_rules.hpp"

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/parse_int.hpp"
#include "security/crypto.hpp"

namespace rihla::domain {

NewBooking ParseNewBooking(const boost::json::object& body) {
  FieldReader r(body);
  NewBooking b;
  auto flight_id = r.String("flight_id", true, 40);
  const auto* passengers = r.Array("passengers", true);
  if (passengers && (passengers->empty() || passengers->size() > 9)) {
    r.Fail("passengers", "must list 1 to 9 passengers");
  } else if (passengers) {
    for (std::size_t i = 0; i < passengers->size(); ++i) {
      std::string path = "passengers[" + std::to_string(i) + "]";
      const auto& p = (*passengers)[i];
      if (!p.is_object()) {
        r.Fail(path, "must be an object");
        continue;
      }
      FieldReader pr(p.get_object(), path + ".");
      auto given = pr.String("given_name", true, 100);
      auto family = pr.String("family_name", true, 100);
      for (auto& e : pr.errors()) r.errors().push_back(std::move(e));
      if (given && family) b.passengers.push_back({*given, *family});
    }
  }
  r.ThrowIfErrors("invalid booking");
  b.flight_id = *flight_id;
  return b;
}

Money BookingTotal(const Money& price, std::size_t passengers) {
  return Money{price.minor * static_cast<std::int64_t>(passengers), price.currency};
}

BookingStatus EffectiveStatus(const Booking& booking, std::int64_t now_ms) {
  if (booking.status == BookingStatus::kPendingPayment && booking.expires_ms <= now_ms) return BookingStatus::kExpired;
  return booking.status;
}

std::vector<BookingStatus> CancellableStatuses() {
  return {BookingStatus::kPendingPayment, BookingStatus::kConfirmed};
}

std::string MakeCursor(std::int64_t created_ms, const std::string& id) {
  return Base64UrlEncode(std::to_string(created_ms) + ":" + id);
}

std::pair<std::int64_t, std::string> ParseCursor(std::string_view cursor) {
  std::string raw;
  auto bad = [] { return ApiError(ErrorCode::kInvalidRequest, "invalid cursor", {{"cursor", "is not a cursor this API issued"}}); };
  if (cursor.empty() || cursor.size() > 200 || !Base64UrlDecode(cursor, raw)) throw bad();
  auto colon = raw.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= raw.size()) throw bad();
  auto created = ParseInteger<std::int64_t>(std::string_view(raw).substr(0, colon), 0);
  if (!created) throw bad();
  std::string id = raw.substr(colon + 1);
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) throw bad();
  }
  return {*created, id};
}

}  // namespace rihla::domain
