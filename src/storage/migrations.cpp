#include "storage/migrations.hpp"

#include <soci/soci.h>

#include <map>

#include "domain/time.hpp"
#include "security/crypto.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " name VARCHAR(200) NOT NULL,"
    " checksum VARCHAR(64) NOT NULL,"
    " applied_at BIGINT NOT NULL)";
constexpr const char* kSelectApplied = "SELECT version, checksum FROM schema_migrations ORDER BY version";
constexpr const char* kInsertApplied =
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (:v, :n, :c, :t)";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";

std::vector<const EmbeddedMigration*> ForDialect(const Dialect& dialect) {
  std::vector<const EmbeddedMigration*> out;
  for (const auto& m : EmbeddedMigrations()) {
    if (dialect.name == m.dialect) out.push_back(&m);
  }
  return out;
}

std::map<int, std::string> Applied(Tx& tx) {
  tx.sql << kCreateMigrationsTable;
  std::map<int, std::string> out;
  int version = 0;
  std::string checksum;
  soci::statement st = (tx.sql.prepare << kSelectApplied, soci::into(version), soci::into(checksum));
  st.execute();
  while (st.fetch()) out[version] = checksum;
  return out;
}

// Returns the migrations still to apply; throws on an edited or unknown applied migration.
std::vector<const EmbeddedMigration*> Plan(const Dialect& dialect, const std::map<int, std::string>& applied) {
  auto known = ForDialect(dialect);
  std::map<int, const EmbeddedMigration*> by_version;
  for (const auto* m : known) by_version[m->version] = m;
  for (const auto& [version, checksum] : applied) {
    auto it = by_version.find(version);
    if (it == by_version.end()) {
      throw MigrationError("database has migration " + std::to_string(version) +
                           " which this binary does not know; upgrade rihla");
    }
    if (Sha256Hex(it->second->sql) != checksum) {
      throw MigrationError("migration " + std::to_string(version) + "_" + it->second->name +
                           " was edited after it was applied (checksum mismatch); restore it and add a new migration");
    }
  }
  std::vector<const EmbeddedMigration*> pending;
  for (const auto* m : known) {
    if (!applied.contains(m->version)) pending.push_back(m);
  }
  return pending;
}

}  // namespace

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t end = sql.find('\n', pos);
    if (end == std::string::npos) end = sql.size();
    std::string line = sql.substr(pos, end - pos);
    pos = end + 1;
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    std::size_t last = line.find_last_not_of(" \t\r");
    current += line.substr(0, last + 1);
    current += '\n';
    if (line[last] == ';') {
      current.erase(current.find_last_of(';'));
      out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

int PendingMigrations(Database& db) {
  int pending = 0;
  db.Raw([&](Tx& tx) { pending = static_cast<int>(Plan(tx.dialect, Applied(tx)).size()); });
  return pending;
}

namespace {

// The statements of `m` and its schema_migrations row, inside the caller's transaction.
void ApplyOne(Tx& tx, const EmbeddedMigration& m) {
  for (const auto& statement : SplitStatements(m.sql)) tx.sql << statement;
  std::string checksum = Sha256Hex(m.sql);
  long long now = domain::NowMs();
  std::string name = m.name;
  int version = m.version;
  tx.sql << kInsertApplied, soci::use(version), soci::use(name), soci::use(checksum), soci::use(now);
}

// Runs `fn` between Tx::begin and COMMIT, rolling back (best effort) when it throws.
template <class Fn>
auto InTransaction(Tx& tx, Fn fn) {
  tx.sql << std::string(tx.begin);
  try {
    auto result = fn();
    tx.sql << kCommit;
    return result;
  } catch (...) {
    try {
      tx.sql << kRollback;
    } catch (...) {
    }
    throw;
  }
}

void LogApplied(Logger& logger, const EmbeddedMigration& m) {
  LogEvent(logger, LogLevel::kInfo, "migration applied",
           {{"version", m.version}, {"name", m.name}, {"dialect", m.dialect}});
}

// A transaction-level lock (PostgreSQL pg_advisory_xact_lock; SQLite's BEGIN IMMEDIATE is one by
// itself): each migration runs in its own
// transaction, which takes the lock, re-reads what is applied and applies the next pending one.
// Nothing outlives a transaction, so this also works through PgBouncer in transaction mode.
int ApplyUnderTransactionLocks(Tx& tx, Logger& logger) {
  int count = 0;
  for (;;) {
    const EmbeddedMigration* applied = InTransaction(tx, [&]() -> const EmbeddedMigration* {
      tx.dialect.lock_migrations(tx.sql);
      auto pending = Plan(tx.dialect, Applied(tx));
      if (pending.empty()) return nullptr;
      ApplyOne(tx, *pending.front());
      return pending.front();
    });
    if (applied == nullptr) return count;
    ++count;
    LogApplied(logger, *applied);
  }
}

// A session-level lock (MySQL GET_LOCK, whose DDL commits implicitly) held around all of them.
int ApplyUnderSessionLock(Tx& tx, Logger& logger) {
  int count = 0;
  tx.dialect.lock_migrations(tx.sql);
  struct Unlock {
    Tx& tx;
    ~Unlock() {
      try {
        tx.dialect.unlock_migrations(tx.sql);
      } catch (...) {
      }
    }
  } unlock{tx};
  for (const auto* m : Plan(tx.dialect, Applied(tx))) {
    InTransaction(tx, [&] {
      ApplyOne(tx, *m);
      return 0;
    });
    ++count;
    LogApplied(logger, *m);
  }
  return count;
}

}  // namespace

int ApplyMigrations(Database& db, Logger& logger) {
  int count = 0;
  db.Raw([&](Tx& tx) {
    // Serialize concurrent `migrate` runs (several instances starting at once).
    count = tx.dialect.migration_lock_per_transaction ? ApplyUnderTransactionLocks(tx, logger)
                                                      : ApplyUnderSessionLock(tx, logger);
  });
  return count;
}

}  // namespace rihla::storage
