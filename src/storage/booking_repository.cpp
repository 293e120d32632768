#include "storage/booking_repository.hpp"

#include <soci/soci.h>

#include "domain/render.hpp"
#include "storage/commit_writes.hpp"
#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kInsertBooking =
    "INSERT INTO bookings (id, user_id, flight_id, status, seats, total_minor, currency, created_at, expires_at,"
    " updated_at) VALUES (:id, :u, :f, :s, :n, :t, :c, :ca, :ea, :ua)";
constexpr const char* kInsertPassenger =
    "INSERT INTO passengers (booking_id, seq, given_name, family_name) VALUES (:b, :s, :g, :f)";
constexpr const char* kBookingColumns =
    "SELECT id, user_id, flight_id, status, total_minor, currency, created_at, expires_at FROM bookings ";
constexpr const char* kFindBookingWhere = "WHERE id = :id";
constexpr const char* kListFirstWhere = "WHERE user_id = :u ORDER BY created_at DESC, id DESC LIMIT :l";
constexpr const char* kListAfterWhere =
    "WHERE user_id = :u AND (created_at < :c1 OR (created_at = :c2 AND id < :id))"
    " ORDER BY created_at DESC, id DESC LIMIT :l";
constexpr const char* kPassengers =
    "SELECT given_name, family_name FROM passengers WHERE booking_id = :b ORDER BY seq";
// TransitionBooking: the base, then the status list (fixed identifiers), then the guards set.
constexpr const char* kTransition =
    "UPDATE bookings SET status = :to, updated_at = :now WHERE id = :id AND status IN (";
constexpr const char* kTransitionExpiredBefore = " AND expires_at <= :eb";
constexpr const char* kTransitionValidAfter = " AND expires_at > :va";
// ClaimDueBookings: then the dialect's claim suffix (FOR UPDATE SKIP LOCKED or nothing).
constexpr const char* kClaimDue =
    "SELECT id, flight_id, seats, expires_at FROM bookings WHERE status = 'pending_payment' AND expires_at <= :now"
    " ORDER BY expires_at LIMIT :l";
// ExpireBookings: then one placeholder per id and ")".
constexpr const char* kExpireMany =
    "UPDATE bookings SET status = 'expired', updated_at = :now WHERE status = 'pending_payment'"
    " AND expires_at <= :now2 AND id IN (";
constexpr const char* kOldestDue =
    "SELECT MIN(expires_at) FROM bookings WHERE status = 'pending_payment' AND expires_at <= :now";

struct BookingRow {
  std::string id, user_id, flight_id, status, currency;
  long long total = 0, created = 0, expires = 0;
};

// Adds the booking columns as into-elements; the caller adds its use-elements and calls
// Statement::Bind.
void IntoBooking(soci::statement& st, BookingRow& r) {
  st.exchange(soci::into(r.id));
  st.exchange(soci::into(r.user_id));
  st.exchange(soci::into(r.flight_id));
  st.exchange(soci::into(r.status));
  st.exchange(soci::into(r.total));
  st.exchange(soci::into(r.currency));
  st.exchange(soci::into(r.created));
  st.exchange(soci::into(r.expires));
}

domain::Booking ToBooking(const BookingRow& r) {
  domain::Booking b;
  b.id = r.id;
  b.user_id = r.user_id;
  b.flight_id = r.flight_id;
  domain::ParseStatus(r.status, b.status);
  b.total = domain::Money{r.total, r.currency};
  b.created_ms = r.created;
  b.expires_ms = r.expires;
  return b;
}

void LoadPassengers(Tx& tx, domain::Booking& b) {
  domain::Passenger p;
  Statement st(tx, kPassengers, soci::use(b.id), soci::into(p.given_name), soci::into(p.family_name));
  st->execute();
  while (st->fetch()) b.passengers.push_back(p);
}

std::string StatusList(const std::vector<domain::BookingStatus>& statuses) {
  // Status names are fixed identifiers from domain::StatusName, never user input.
  std::string out;
  for (auto s : statuses) {
    if (!out.empty()) out += ", ";
    out += "'" + std::string(domain::StatusName(s)) + "'";
  }
  return out;
}

}  // namespace

void InsertBooking(Tx& tx, const domain::Booking& b, std::int64_t now_ms) {
  // Nothing in the booking's transaction reads these rows back: they go with the COMMIT.
  ExecuteAtCommit(tx, kInsertBooking,
                  {b.id, b.user_id, b.flight_id, std::string(domain::StatusName(b.status)),
                   static_cast<long long>(b.passengers.size()), static_cast<long long>(b.total.minor), b.total.currency,
                   static_cast<long long>(b.created_ms), static_cast<long long>(b.expires_ms),
                   static_cast<long long>(now_ms)});
  for (std::size_t i = 0; i < b.passengers.size(); ++i) {
    ExecuteAtCommit(tx, kInsertPassenger,
                    {b.id, static_cast<long long>(i), b.passengers[i].given_name, b.passengers[i].family_name});
  }
}

std::optional<domain::Booking> FindBooking(Tx& tx, const std::string& id) {
  BookingRow r;
  {
    Statement st(tx, std::string(kBookingColumns) + kFindBookingWhere, Statement::kDeferBind);
    IntoBooking(*st, r);
    st->exchange(soci::use(id));
    st.Bind();
    if (!st->execute(true)) return std::nullopt;
  }
  domain::Booking b = ToBooking(r);
  LoadPassengers(tx, b);
  return b;
}

std::vector<domain::Booking> ListBookings(Tx& tx, const std::string& user_id, const std::optional<BookingCursor>& after,
                                          int limit) {
  std::vector<domain::Booking> out;
  BookingRow r;
  long long c = after ? after->created_ms : 0;
  {
    Statement st(tx, std::string(kBookingColumns) + (after ? kListAfterWhere : kListFirstWhere), Statement::kDeferBind);
    IntoBooking(*st, r);
    st->exchange(soci::use(user_id));
    if (after) {
      st->exchange(soci::use(c));
      st->exchange(soci::use(c));
      st->exchange(soci::use(after->id));
    }
    st->exchange(soci::use(limit));
    st.Bind();
    st->execute();
    while (st->fetch()) out.push_back(ToBooking(r));
  }
  for (auto& b : out) LoadPassengers(tx, b);
  return out;
}

bool TransitionBooking(Tx& tx, const std::string& id, const TransitionGuard& guard, domain::BookingStatus to,
                       std::int64_t now_ms) {
  std::string sql = kTransition + StatusList(guard.from) + ")";
  if (guard.expired_before) sql += kTransitionExpiredBefore;
  if (guard.valid_after) sql += kTransitionValidAfter;
  std::string to_name(domain::StatusName(to));
  long long now = now_ms;
  long long eb = guard.expired_before.value_or(0), va = guard.valid_after.value_or(0);
  Statement st(tx, sql, Statement::kDeferBind);
  st->exchange(soci::use(to_name));
  st->exchange(soci::use(now));
  st->exchange(soci::use(id));
  if (guard.expired_before) st->exchange(soci::use(eb));
  if (guard.valid_after) st->exchange(soci::use(va));
  st.Bind();
  st->execute(true);
  return st->get_affected_rows() == 1;
}

std::vector<DueBooking> ClaimDueBookings(Tx& tx, std::int64_t now_ms, int limit) {
  std::vector<DueBooking> out;
  DueBooking row;
  long long now = now_ms, expires = 0;
  Statement st(tx, std::string(kClaimDue) + std::string(tx.dialect.claim_rows_suffix), soci::use(now),
               soci::use(limit), soci::into(row.id), soci::into(row.flight_id), soci::into(row.seats),
               soci::into(expires));
  st->execute();
  while (st->fetch()) {
    row.expires_ms = expires;
    out.push_back(row);
  }
  return out;
}

std::size_t ExpireBookings(Tx& tx, const std::vector<std::string>& ids, std::int64_t now_ms) {
  if (ids.empty()) return 0;
  std::string sql = kExpireMany;
  for (std::size_t i = 0; i < ids.size(); ++i) sql += (i == 0 ? ":i" : ", :i") + std::to_string(i);
  sql += ")";
  long long now = now_ms;
  Statement st(tx, sql, Statement::kDeferBind);
  st->exchange(soci::use(now));
  st->exchange(soci::use(now));
  for (const auto& id : ids) st->exchange(soci::use(id));
  st.Bind();
  st->execute(true);
  return static_cast<std::size_t>(st->get_affected_rows());
}

std::optional<std::int64_t> OldestDueExpiry(Tx& tx, std::int64_t now_ms) {
  long long now = now_ms, oldest = 0;
  soci::indicator ind = soci::i_null;
  Execute(tx, kOldestDue, soci::use(now), soci::into(oldest, ind));
  if (ind != soci::i_ok) return std::nullopt;
  return oldest;
}

}  // namespace rihla::storage
