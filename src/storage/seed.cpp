#include "storage/seed.hpp"

#include "domain/time.hpp"
#include "storage/demo_data.hpp"
#include "storage/flight_repository.hpp"

namespace rihla::storage {

std::size_t SeedDemoData(Database& db, Logger& logger, std::int64_t now_ms, int days) {
  std::vector<domain::Airport> airports;
  for (const auto& a : DemoAirports()) {
    airports.push_back({std::string(a.code), std::string(a.name), std::string(a.city), std::string(a.country)});
  }
  std::vector<domain::Flight> flights;
  for (auto& f : DemoSchedule(domain::StartOfUtcDay(now_ms), days)) {
    flights.push_back(domain::Flight{std::move(f.id), std::move(f.flight_number), std::move(f.origin),
                                     std::move(f.destination), f.departure_ms, f.arrival_ms, std::move(f.cabin),
                                     domain::Money{f.price_minor, std::move(f.currency)}, f.seats_total,
                                     f.seats_total});
  }
  std::size_t inserted = 0;
  db.Write([&](Tx& tx) {
    InsertAirports(tx, airports);
    inserted = InsertMissingFlights(tx, flights, now_ms);
  });
  LogEvent(logger, LogLevel::kInfo, "demo data seeded",
           {{"airports", airports.size()}, {"flights_inserted", inserted}, {"days", days}});
  return inserted;
}

}  // namespace rihla::storage
