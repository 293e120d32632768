#pragma once
// Open-file limits. The usual soft RLIMIT_NOFILE of 1024 would make RIHLA_MAX_CONNECTIONS
// (10,000) a promise the process cannot keep, so `serve` raises the soft limit to the hard one
// and caps client connections below it, leaving descriptors for what opens lazily later.
#include <cstddef>
#include <cstdint>

namespace rihla::app {

// Raises the soft RLIMIT_NOFILE to the hard limit (best effort) and returns the soft limit
// now in force.
std::uint64_t RaiseOpenFileLimit();

// Descriptors kept back from client connections: database connections, Redis connections (one
// per worker at most), the listener, log and SQLite files, and some slack.
std::size_t ReservedDescriptors(std::size_t db_pool, std::size_t workers);

// The client-connection cap that fits in `fd_limit`: `configured`, lowered so that `reserved`
// descriptors stay free, but never below 1.
std::size_t ConnectionCap(std::size_t configured, std::uint64_t fd_limit, std::size_t reserved);

}  // namespace rihla::app
