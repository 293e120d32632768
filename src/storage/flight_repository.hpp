#pragma once
// Airports and flights. Every function runs inside the caller's Tx and throws what
// Database::Write/Read document.
#include <optional>
#include <string>
#include <vector>

#include "domain/models.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

std::vector<domain::Airport> ListAirports(Tx& tx);
bool AirportExists(Tx& tx, const std::string& code);

// Flights from `origin` to `destination` in `cabin` departing in [from_ms, to_ms) with at least
// `min_seats` seats available, ordered by departure time (then id).
std::vector<domain::Flight> SearchFlights(Tx& tx, const std::string& origin, const std::string& destination,
                                          const std::string& cabin, std::int64_t from_ms, std::int64_t to_ms,
                                          int min_seats);
std::optional<domain::Flight> FindFlight(Tx& tx, const std::string& id);

// Throws DuplicateKey when (flight_number, departure, cabin) or the id exists.
void InsertFlight(Tx& tx, const domain::Flight& flight, std::int64_t now_ms);
// Inserts those of `flights` whose id is not there yet; returns how many were inserted.
std::size_t InsertMissingFlights(Tx& tx, const std::vector<domain::Flight>& flights, std::int64_t now_ms);
void InsertAirports(Tx& tx, const std::vector<domain::Airport>& airports);

void UpdateFlightPrice(Tx& tx, const std::string& id, const domain::Money& price);
// Sets seats_total and moves seats_available by the same difference, only if the seats already
// held still fit: returns false (and changes nothing) when new_total < seats held.
bool UpdateSeatsTotal(Tx& tx, const std::string& id, int new_total);

// Takes `seats` seats in one guarded statement; false when fewer are available (or no flight).
bool HoldSeats(Tx& tx, const std::string& flight_id, int seats);
// What HoldSeatsAndRead found: whether the seats were taken, and the flight as it is after
// that (nullopt: no flight with this id).
struct SeatHold {
  bool held = false;
  std::optional<domain::Flight> flight;
};
// HoldSeats, then the flight as FindFlight reads it, both inside tx (the hold's row lock keeps
// it unchanged until commit). Where the engine has UPDATE ... RETURNING (Dialect) a successful
// hold reads the row in the same statement: one round trip; otherwise, and after a failed
// hold, FindFlight follows.
SeatHold HoldSeatsAndRead(Tx& tx, const std::string& flight_id, int seats);
// Gives `seats` seats back in one guarded statement; changes nothing when that would exceed
// seats_total (or there is no such flight).
void ReleaseSeats(Tx& tx, const std::string& flight_id, int seats);

}  // namespace rihla::storage
