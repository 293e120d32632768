#include "storage/flight_repository.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

#include <unordered_set>

namespace rihla::storage {
namespace {

constexpr const char* kListAirports = "SELECT code, name, city, country FROM airports ORDER BY code";
constexpr const char* kAirportExists = "SELECT COUNT(*) FROM airports WHERE code = :code";
constexpr const char* kFlightColumns =
    "SELECT id, flight_number, origin, destination, departure_at, arrival_at, cabin, price_minor, currency,"
    " seats_total, seats_available FROM flights ";
constexpr const char* kSearchWhere =
    "WHERE origin = :o AND destination = :d AND cabin = :c AND departure_at >= :f AND departure_at < :t"
    " AND seats_available >= :n ORDER BY departure_at, id";
constexpr const char* kFindWhere = "WHERE id = :id";
constexpr const char* kInsertFlight =
    "INSERT INTO flights (id, flight_number, origin, destination, departure_at, arrival_at, cabin, price_minor,"
    " currency, seats_total, seats_available, created_at)"
    " VALUES (:id, :num, :o, :d, :dep, :arr, :cabin, :price, :cur, :total, :avail, :now)";
constexpr const char* kFlightIdsInRange = "SELECT id FROM flights WHERE departure_at >= :f AND departure_at < :t";
constexpr const char* kInsertAirport = "INSERT INTO airports (code, name, city, country) VALUES (:c, :n, :ci, :co)";
constexpr const char* kUpdatePrice = "UPDATE flights SET price_minor = :p, currency = :c WHERE id = :id";
// seats_available is assigned first: MySQL evaluates SET left to right with updated values.
constexpr const char* kUpdateSeatsTotal =
    "UPDATE flights SET seats_available = seats_available + (:n1 - seats_total), seats_total = :n2"
    " WHERE id = :id AND seats_total - seats_available <= :n3";
constexpr const char* kHoldSeats =
    "UPDATE flights SET seats_available = seats_available - :n WHERE id = :id AND seats_available >= :n2";
// kHoldSeats, returning the updated row in kFlightColumns' column order (IntoFlight).
constexpr const char* kHoldSeatsReturning =
    "UPDATE flights SET seats_available = seats_available - :n WHERE id = :id AND seats_available >= :n2"
    " RETURNING id, flight_number, origin, destination, departure_at, arrival_at, cabin, price_minor, currency,"
    " seats_total, seats_available";
constexpr const char* kReleaseSeats =
    "UPDATE flights SET seats_available = seats_available + :n WHERE id = :id AND seats_available + :n2 <= seats_total";

struct FlightRow {
  std::string id, number, origin, destination, cabin, currency;
  long long dep = 0, arr = 0, price = 0;
  int total = 0, avail = 0;
  domain::Flight ToFlight() const {
    return domain::Flight{id, number, origin, destination, dep, arr, cabin, domain::Money{price, currency}, total, avail};
  }
};

// Adds the flight columns as into-elements; the caller adds its use-elements and calls
// Statement::Bind.
void IntoFlight(soci::statement& st, FlightRow& r) {
  st.exchange(soci::into(r.id));
  st.exchange(soci::into(r.number));
  st.exchange(soci::into(r.origin));
  st.exchange(soci::into(r.destination));
  st.exchange(soci::into(r.dep));
  st.exchange(soci::into(r.arr));
  st.exchange(soci::into(r.cabin));
  st.exchange(soci::into(r.price));
  st.exchange(soci::into(r.currency));
  st.exchange(soci::into(r.total));
  st.exchange(soci::into(r.avail));
}


}  // namespace

std::vector<domain::Airport> ListAirports(Tx& tx) {
  std::vector<domain::Airport> out;
  domain::Airport a;
  Statement st(tx, kListAirports, soci::into(a.code), soci::into(a.name), soci::into(a.city), soci::into(a.country));
  st->execute();
  while (st->fetch()) out.push_back(a);
  return out;
}

bool AirportExists(Tx& tx, const std::string& code) {
  long long n = 0;
  Execute(tx, kAirportExists, soci::use(code), soci::into(n));
  return n > 0;
}

std::vector<domain::Flight> SearchFlights(Tx& tx, const std::string& origin, const std::string& destination,
                                          const std::string& cabin, std::int64_t from_ms, std::int64_t to_ms,
                                          int min_seats) {
  std::vector<domain::Flight> out;
  FlightRow r;
  long long f = from_ms, t = to_ms;
  Statement st(tx, std::string(kFlightColumns) + kSearchWhere, Statement::kDeferBind);
  IntoFlight(*st, r);
  st->exchange(soci::use(origin));
  st->exchange(soci::use(destination));
  st->exchange(soci::use(cabin));
  st->exchange(soci::use(f));
  st->exchange(soci::use(t));
  st->exchange(soci::use(min_seats));
  st.Bind();
  st->execute();
  while (st->fetch()) out.push_back(r.ToFlight());
  return out;
}

std::optional<domain::Flight> FindFlight(Tx& tx, const std::string& id) {
  FlightRow r;
  Statement st(tx, std::string(kFlightColumns) + kFindWhere, Statement::kDeferBind);
  IntoFlight(*st, r);
  st->exchange(soci::use(id));
  st.Bind();
  if (!st->execute(true)) return std::nullopt;
  return r.ToFlight();
}

void InsertFlight(Tx& tx, const domain::Flight& f, std::int64_t now_ms) {
  long long dep = f.departure_ms, arr = f.arrival_ms, price = f.price.minor, now = now_ms;
  Execute(tx, kInsertFlight, soci::use(f.id), soci::use(f.flight_number), soci::use(f.origin),
          soci::use(f.destination), soci::use(dep), soci::use(arr), soci::use(f.cabin), soci::use(price),
          soci::use(f.price.currency), soci::use(f.seats_total), soci::use(f.seats_available), soci::use(now));
}

std::size_t InsertMissingFlights(Tx& tx, const std::vector<domain::Flight>& flights, std::int64_t now_ms) {
  if (flights.empty()) return 0;
  long long lo = flights.front().departure_ms, hi = flights.front().departure_ms;
  for (const auto& f : flights) {
    lo = std::min<long long>(lo, f.departure_ms);
    hi = std::max<long long>(hi, f.departure_ms);
  }
  ++hi;
  std::unordered_set<std::string> existing;
  std::string id;
  {
    Statement st(tx, kFlightIdsInRange, soci::use(lo), soci::use(hi), soci::into(id));
    st->execute();
    while (st->fetch()) existing.insert(id);
  }
  std::vector<std::string> ids, nums, origins, dests, cabins, currencies;
  std::vector<long long> deps, arrs, prices, nows;
  std::vector<int> totals, avails;
  for (const auto& f : flights) {
    if (existing.contains(f.id)) continue;
    ids.push_back(f.id);
    nums.push_back(f.flight_number);
    origins.push_back(f.origin);
    dests.push_back(f.destination);
    deps.push_back(f.departure_ms);
    arrs.push_back(f.arrival_ms);
    cabins.push_back(f.cabin);
    prices.push_back(f.price.minor);
    currencies.push_back(f.price.currency);
    totals.push_back(f.seats_total);
    avails.push_back(f.seats_available);
    nows.push_back(now_ms);
  }
  if (ids.empty()) return 0;
  Execute(tx, kInsertFlight, soci::use(ids), soci::use(nums), soci::use(origins), soci::use(dests),
          soci::use(deps), soci::use(arrs), soci::use(cabins), soci::use(prices), soci::use(currencies),
          soci::use(totals), soci::use(avails), soci::use(nows));
  return ids.size();
}

void InsertAirports(Tx& tx, const std::vector<domain::Airport>& airports) {
  for (const auto& a : airports) {
    if (AirportExists(tx, a.code)) continue;
    Execute(tx, kInsertAirport, soci::use(a.code), soci::use(a.name), soci::use(a.city), soci::use(a.country));
  }
}

void UpdateFlightPrice(Tx& tx, const std::string& id, const domain::Money& price) {
  long long p = price.minor;
  Execute(tx, kUpdatePrice, soci::use(p), soci::use(price.currency), soci::use(id));
}

bool UpdateSeatsTotal(Tx& tx, const std::string& id, int new_total) {
  {
    Statement st(tx, kUpdateSeatsTotal, soci::use(new_total), soci::use(new_total), soci::use(id),
                 soci::use(new_total));
    st->execute(true);
    if (st->get_affected_rows() == 1) return true;
  }
  // MySQL counts changed rows, not matched ones: an update to the same total reports 0.
  auto flight = FindFlight(tx, id);
  return flight && flight->seats_total == new_total;
}

bool HoldSeats(Tx& tx, const std::string& flight_id, int seats) {
  Statement st(tx, kHoldSeats, soci::use(seats), soci::use(flight_id), soci::use(seats));
  st->execute(true);
  return st->get_affected_rows() == 1;
}

SeatHold HoldSeatsAndRead(Tx& tx, const std::string& flight_id, int seats) {
  if (!tx.dialect.update_returning) {
    bool held = HoldSeats(tx, flight_id, seats);
    return SeatHold{held, FindFlight(tx, flight_id)};
  }
  FlightRow r;
  bool held = false;
  {
    Statement st(tx, kHoldSeatsReturning, Statement::kDeferBind);
    IntoFlight(*st, r);
    st->exchange(soci::use(seats));
    st->exchange(soci::use(flight_id));
    st->exchange(soci::use(seats));
    st.Bind();
    held = st->execute(true);
  }
  if (held) return SeatHold{true, r.ToFlight()};
  return SeatHold{false, FindFlight(tx, flight_id)};  // sold out, or no such flight
}

void ReleaseSeats(Tx& tx, const std::string& flight_id, int seats) {
  Statement st(tx, kReleaseSeats, soci::use(seats), soci::use(flight_id), soci::use(seats));
  st->execute(true);
}

}  // namespace rihla::storage
