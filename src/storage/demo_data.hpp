#pragma once
// Demo reference data: real airports and a deterministic, made-up flight schedule
// used to seed development and demo databases.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rihla::storage {

// A real airport: IATA code, English name, city, ISO 3166-1 alpha-2 country.
struct DemoAirport { std::string_view code, name, city, country; };

// At least 40 real airports: the major Saudi airports (RUH, JED, DMM, MED, AHB, TIF, TUU, GIZ, ELQ,
// AJF, HOF, YNB, HAS, EAM, ULH, ...), the Gulf hubs (DXB, AUH, DOH, KWI, BAH, MCT, SHJ) and major
// international hubs (CAI, AMM, IST, LHR, CDG, FRA, AMS, JFK, SIN, KUL, BOM, DEL, KHI, ISB, CMB,
// NBO, ADD, ...). Sorted by code; the data is static, so the span never dangles.
std::span<const DemoAirport> DemoAirports();

struct DemoFlight {
  std::string id;             // deterministic, "fl_" + 16 lowercase hex chars: FNV-1a 64 of flight_number, departure and cabin
  std::string flight_number;  // e.g. "SV1021" (airline code + number)
  std::string origin, destination;  // IATA codes from DemoAirports()
  std::int64_t departure_ms;  // UTC, milliseconds since the Unix epoch
  std::int64_t arrival_ms;    // > departure_ms, realistic block time for the route
  std::string cabin;          // "economy" | "business" | "first"
  std::int64_t price_minor;   // per passenger, in minor units (halalas for SAR)
  std::string currency;       // "SAR" for every demo flight
  int seats_total;            // economy 150-180, business 20-30, first 8
};

// Deterministic schedule: the same arguments always give the same flights (no randomness, no clock
// reads). start_day_ms is a UTC midnight; flights depart on days [start_day, start_day + days).
// Every day, each route of a fixed list (both directions) gets departures at fixed times of day, and
// each departure is offered in its cabins as separate DemoFlight rows. Prices vary deterministically
// by route, cabin, day of week and departure hour. Ordered by (departure_ms, flight_number, cabin).
// days <= 0 gives an empty schedule.
std::vector<DemoFlight> DemoSchedule(std::int64_t start_day_ms, int days);

}  // namespace rihla::storage
