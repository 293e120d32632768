#pragma once
// The prepared statements of one database connection, kept for reuse so that a repository call
// does not parse and plan its SQL again each time (SQLite: sqlite3_prepare; PostgreSQL: a named
// server-side statement, PQprepare once, then PQexecPrepared; MySQL/MariaDB: SOCI binds on the
// client, so only the client-side parse is saved).
//
// With caching off (RIHLA_DB_PREPARED=off, and always behind a transaction pooler) every
// statement is a one-time one: on PostgreSQL an unnamed statement (PQexecParams, one round
// trip), which is what PgBouncer in transaction mode can route safely; a named statement would
// live on one server connection while the next transaction may run on another.
//
// Owned by a connection-pool slot and used by the one thread that holds its lease; not
// thread-safe. Must be cleared (Clear) before its session closes.
#include <soci/soci.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/dialect.hpp"

namespace rihla::storage {

// Totals over every connection of a pool (thread-safe).
struct StatementCounters {
  std::atomic<std::uint64_t> prepares{0};  // statements prepared (cached or one-time)
  std::atomic<std::uint64_t> reuses{0};    // executions of an already prepared statement
};

class StatementCache {
 public:
  // At most this many statements per connection: queries built with a varying number of
  // placeholders (batch expiry) could otherwise grow it without bound; beyond it new queries
  // run one-time.
  static constexpr std::size_t kCapacity = 128;

  StatementCache(const Dialect& dialect, bool enabled, StatementCounters& counters);
  ~StatementCache();  // Clear()
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // A statement for `query` without bound elements: the cached one, or a new one, prepared
  // (repeatable when caching, one-time otherwise). The caller exchanges its elements, calls
  // define_and_bind and executes it, then hands it back with Give. Throws soci::soci_error.
  std::unique_ptr<soci::statement> Take(soci::session& session, const std::string& query);
  // Back after use: finished (SQLite: reset, so it holds no read snapshot), its elements
  // released, and kept for the next Take of `query` (dropped when not cacheable). Never throws.
  void Give(const std::string& query, std::unique_ptr<soci::statement> statement) noexcept;
  // Drops every statement without a round trip (the server frees them with the session).
  void Clear() noexcept;

  // Statements a dialect prepares itself, outside SOCI (PostgreSQL's pipelined writes,
  // Dialect::commit_with_writes): the server-side name `query` is prepared under on this
  // connection, or nullptr (counted as a reuse when found). NewName, for a query not prepared
  // yet (counted as a prepare), gives a name never handed out on this connection before, or
  // nullopt when caching is off or kCapacity is reached: the caller then runs it unnamed.
  // RememberPrepared records that the server accepted `query` under that name.
  const std::string* PreparedName(const std::string& query);
  std::optional<std::string> NewName();
  void RememberPrepared(const std::string& query, std::string name);

  bool enabled() const { return enabled_; }
  std::size_t size() const { return statements_.size(); }

 private:
  const Dialect& dialect_;
  const bool enabled_;
  StatementCounters& counters_;
  std::unordered_map<std::string, std::unique_ptr<soci::statement>> statements_;
  std::unordered_map<std::string, std::string> server_prepared_;  // query -> name
  std::uint64_t names_given_ = 0;
};

}  // namespace rihla::storage
