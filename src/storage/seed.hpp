#pragma once
#include <cstdint>

#include "observability/logger.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

// Loads the demo airports and the deterministic schedule for [today, today + days) (UTC).
// Idempotent: rows that exist are left alone. Returns how many flights were inserted.
std::size_t SeedDemoData(Database& db, Logger& logger, std::int64_t now_ms, int days = 60);

}  // namespace rihla::storage
