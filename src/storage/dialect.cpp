#include "storage/dialect.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <stdexcept>

#include "storage/mysql_batch.hpp"
#include "storage/postgres_pipeline.hpp"

namespace rihla::storage {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

// Quotes a value for a libpq / SOCI-mysql "key=value" connection string.
std::string QuoteParam(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string UserAndPassword(const UrlParts& p) {
  std::string out;
  if (!p.user.empty()) out += " user=" + QuoteParam(p.user);
  if (!p.password.empty()) out += " password=" + QuoteParam(p.password);
  return out;
}

void NoMigrationLock(soci::session&) {}
void KeepStatementAsIs(soci::statement&) noexcept {}

// ---- SQLite ---------------------------------------------------------------------------------
// Isolation: BEGIN IMMEDIATE takes the write lock up front, so a transaction never has to
// upgrade a read lock (no upgrade deadlocks) and writers are serialized. WAL lets readers run
// beside the one writer. No separate migration lock: each migration runs in its own BEGIN
// IMMEDIATE transaction, which re-reads what is applied under the write lock
// (migration_lock_per_transaction), so concurrent `migrate` runs on one file apply each once.

std::string SqliteConnectString(const UrlParts& p) {
  if (p.path.find('"') != std::string::npos) throw std::invalid_argument("sqlite path must not contain '\"'");
  return "db=\"" + p.path + "\" timeout=5";  // SOCI's sqlite3 backend quotes with "
}

void OpenSqlite(soci::session& session, const std::string& connect_string, const SessionTimeouts& t) {
  session.open(soci::sqlite3, connect_string);
  session << "PRAGMA journal_mode=WAL";
  session << "PRAGMA synchronous=NORMAL";
  session << "PRAGMA foreign_keys=ON";
  // Waits of other processes on the same file (this process's writers queue in Database).
  session << "PRAGMA busy_timeout=" + std::to_string(t.query.count() * 1000);
}

void ResetSqliteStatement(soci::statement& st) noexcept {
  // static_cast: this entry's sessions are SQLite ones (SOCI exports no typeinfo for a dynamic_cast).
  if (auto* backend = static_cast<soci::sqlite3_statement_backend*>(st.get_backend()); backend != nullptr) {
    if (backend->stmt_ != nullptr) sqlite_api::sqlite3_reset(backend->stmt_);
  }
}

std::optional<EngineFailure> ClassifySqlite(const soci::soci_error& e) {
  const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e);
  if (lite == nullptr) return std::nullopt;
  int rc = lite->result() & 0xff;
  if (rc == SQLITE_CONSTRAINT) {
    return Contains(e.what(), "UNIQUE") || Contains(e.what(), "PRIMARY KEY") ? EngineFailure::kDuplicate
                                                                             : EngineFailure::kOther;
  }
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return EngineFailure::kConnection;
  return std::nullopt;
}

// ---- PostgreSQL -----------------------------------------------------------------------------
// Isolation: the server default, READ COMMITTED. Writes are guarded single-statement conditional
// updates, so there are no lost updates; 40001/40P01 still re-run the transaction.

// Transaction-level: released at COMMIT/ROLLBACK, so it never outlives the transaction (a
// session lock would stay on a PgBouncer server connection another client gets next).
constexpr const char* kPostgresMigrationLock = "SELECT pg_advisory_xact_lock(726110)";

std::string PostgresConnectString(const UrlParts& p) {
  return "host=" + QuoteParam(p.host) + " port=" + QuoteParam(p.port) + " dbname=" + QuoteParam(p.database) +
         UserAndPassword(p);
}

// Directly connected, the timeouts are startup options of the session. PgBouncer refuses
// startup options (or drops them with ignore_startup_parameters), so behind a transaction
// pooler the session gets none and PostgresTransactionSettings sets them in every transaction.
void OpenPostgres(soci::session& session, const std::string& connect_string, const SessionTimeouts& t) {
  std::string query_ms = std::to_string(t.query.count() * 1000);
  std::string cs = connect_string + " connect_timeout=" + std::to_string(t.connect.count());
  if (!t.per_transaction) cs += " options='-c statement_timeout=" + query_ms + " -c lock_timeout=" + query_ms + "'";
  session.open(soci::postgresql, cs);
}

// SET LOCAL lasts until the transaction ends, on whichever server connection the pooler picked.
std::string PostgresTransactionSettings(const SessionTimeouts& t) {
  std::string query_ms = std::to_string(t.query.count() * 1000);
  return "; SET LOCAL statement_timeout=" + query_ms + "; SET LOCAL lock_timeout=" + query_ms;
}

void ForgetPostgresStatement(soci::statement& st) noexcept {
  // static_cast: this entry's sessions are PostgreSQL ones.
  if (auto* backend = static_cast<soci::postgresql_statement_backend*>(st.get_backend()); backend != nullptr) {
    backend->statementName_.clear();
  }
}

void LockPostgresMigrations(soci::session& session) { session << kPostgresMigrationLock; }

std::optional<EngineFailure> ClassifyPostgres(const soci::soci_error& e) {
  const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e);
  if (pg == nullptr) return std::nullopt;
  std::string state = pg->sqlstate();
  if (state == "23505") return EngineFailure::kDuplicate;
  if (state == "40001" || state == "40P01") return EngineFailure::kRetry;
  // 08xxx connection exceptions, 53xxx insufficient resources, 57P01-03 admin shutdown / crash,
  // 57014 statement timeout
  if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0 || state.rfind("53", 0) == 0) {
    return EngineFailure::kConnection;
  }
  return std::nullopt;
}

// ---- MySQL / MariaDB ------------------------------------------------------------------------
// Isolation: READ COMMITTED like PostgreSQL, set per session (InnoDB's default is REPEATABLE
// READ); 1213 deadlock and 1205 lock wait timeout re-run the transaction (except on the
// no-wait claim, where a 1205 means "held": only that statement failed). DDL commits
// implicitly, so a failed migration can leave part of its statements applied.

constexpr const char* kMysqlReadCommitted = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
constexpr const char* kMysqlLockWaitTimeout = "SET SESSION innodb_lock_wait_timeout=";
constexpr const char* kMysqlStrictMode = "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'";
// Waits as long as any lock wait of the session (innodb_lock_wait_timeout = the query timeout,
// set at open), less a second so the server answers before the client's read timeout fires.
constexpr const char* kMysqlMigrationLock =
    "SELECT GET_LOCK('rihla_migrate', GREATEST(@@SESSION.innodb_lock_wait_timeout - 1, 1))";
constexpr const char* kMysqlMigrationUnlock = "SELECT RELEASE_LOCK('rihla_migrate')";

std::string MysqlConnectString(const UrlParts& p) {
  return "host=" + QuoteParam(p.host) + " port=" + p.port + " db=" + QuoteParam(p.database) + UserAndPassword(p);
}

void OpenMysql(soci::session& session, const std::string& connect_string, const SessionTimeouts& t) {
  std::string query_s = std::to_string(t.query.count());
  session.open(soci::mysql, connect_string + " connect_timeout=" + std::to_string(t.connect.count()) +
                                " read_timeout=" + query_s + " write_timeout=" + query_s + " charset=utf8mb4");
  session << kMysqlReadCommitted;
  session << std::string(kMysqlLockWaitTimeout) + query_s;
  session << kMysqlStrictMode;
  // For the multi-statement batches of mysql_batch.hpp (the writes sent with COMMIT, a write
  // sent with START TRANSACTION); every other statement is one statement.
  // static_cast: a session this function opened with the MySQL backend.
  if (mysql_set_server_option(static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_,
                              MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
    throw soci::soci_error("MySQL: cannot turn multi-statements on for this session");
  }
}

// GET_LOCK waits up to the query timeout. It answers 1 when it got the lock, 0 when the wait timed out
// (another migrate still runs) and NULL on an error: migrating without the lock could apply a
// migration twice, so anything but 1 refuses.
void LockMysqlMigrations(soci::session& session) {
  int got = 0;
  soci::indicator ind = soci::i_ok;
  session << kMysqlMigrationLock, soci::into(got, ind);
  if (ind != soci::i_ok || got != 1) {
    throw std::runtime_error("could not take the migration lock (GET_LOCK 'rihla_migrate' timed out or failed): "
                             "another migrate may be running; refusing to migrate");
  }
}
void UnlockMysqlMigrations(soci::session& session) {
  int released = 0;
  session << kMysqlMigrationUnlock, soci::into(released);
}

// MariaDB (10.3+) accepts `SET STATEMENT innodb_lock_wait_timeout=0 FOR ...`; MySQL has no
// SET STATEMENT and its lock wait timeout is at least 1 s. Both name themselves in VERSION().
// The no-wait claim also needs a lock wait timeout to roll back only its statement
// (innodb_rollback_on_timeout OFF, the default): with it ON the whole transaction would be gone.
bool MysqlServerIsMariadb(soci::session& session) {
  std::string version;
  int rollback_on_timeout = 1;
  session << "SELECT VERSION(), @@innodb_rollback_on_timeout", soci::into(version), soci::into(rollback_on_timeout);
  return Contains(version, "MariaDB") && rollback_on_timeout == 0;
}

std::optional<EngineFailure> ClassifyMysql(const soci::soci_error& e) {
  const auto* my = dynamic_cast<const soci::mysql_soci_error*>(&e);
  if (my == nullptr) return std::nullopt;
  unsigned n = my->err_num_;
  if (n == 1062 || n == 1586) return EngineFailure::kDuplicate;
  if (n == 1213 || n == 1205) return EngineFailure::kRetry;      // deadlock, lock wait timeout
  if (n >= 2000 && n < 3000) return EngineFailure::kConnection;  // client: gone away, lost, can't connect
  // killed, shutdown, timeouts
  if (n == 1927 || n == 1053 || n == 3024 || n == 1969) return EngineFailure::kConnection;
  return std::nullopt;
}

// ---- The table ------------------------------------------------------------------------------
// One entry per engine, in Engine order. Adding an engine means:
//   1. an Engine value and one entry here (with its functions above, and its SOCI backend
//      linked in CMakeLists.txt);
//   2. its migrations, migrations/<name>/NNNN_*.sql, with the same versions as the others;
//   3. its service script (scripts/services.sh) and a backend in the functional suite
//      (tests/CMakeLists.txt, tests/support/server_process.cpp) so every test runs on it.
// No other file in src/ branches on the engine.
constexpr std::string_view kSqliteSchemes[] = {"sqlite"};
constexpr std::string_view kPostgresSchemes[] = {"postgresql", "postgres"};
constexpr std::string_view kMysqlSchemes[] = {"mysql", "mariadb"};

constexpr Dialect kDialects[] = {
    {
        .engine = Engine::kSqlite,
        .name = "sqlite",
        .schemes = kSqliteSchemes,
        .file_based = true,
        .default_port = "",
        .default_pool_size = 8,
        .connect_string = SqliteConnectString,
        .open = OpenSqlite,
        .begin = "BEGIN IMMEDIATE",
        .transaction_settings = nullptr,
        .single_writer = true,
        .claim_rows_suffix = "",
        .update_returning = true,
        .try_transaction_lock = "",
        .lock_migrations = NoMigrationLock,
        .migration_lock_per_transaction = true,
        .unlock_migrations = NoMigrationLock,
        .finish_statement = ResetSqliteStatement,
        .forget_statement = KeepStatementAsIs,
        .classify = ClassifySqlite,
    },
    {
        .engine = Engine::kPostgres,
        .name = "postgres",
        .schemes = kPostgresSchemes,
        .file_based = false,
        .default_port = "5432",
        .default_pool_size = 16,
        .connect_string = PostgresConnectString,
        .open = OpenPostgres,
        .begin = "BEGIN",
        .transaction_settings = PostgresTransactionSettings,
        .single_writer = false,
        .claim_rows_suffix = " FOR UPDATE SKIP LOCKED",  // PostgreSQL 9.5+, MySQL 8.0+, MariaDB 10.6+
        .update_returning = true,
        .try_transaction_lock = "CASE WHEN pg_try_advisory_xact_lock(:h) THEN 1 ELSE 0 END",
        .lock_migrations = LockPostgresMigrations,
        .migration_lock_per_transaction = true,
        .unlock_migrations = NoMigrationLock,
        .finish_statement = KeepStatementAsIs,
        .forget_statement = ForgetPostgresStatement,
        .commit_with_writes = PostgresCommitWithWrites,
        .classify = ClassifyPostgres,
    },
    {
        .engine = Engine::kMysql,
        .name = "mysql",
        .schemes = kMysqlSchemes,
        .file_based = false,
        .default_port = "3306",
        .default_pool_size = 16,
        .connect_string = MysqlConnectString,
        .open = OpenMysql,
        .begin = "START TRANSACTION",
        .transaction_settings = nullptr,
        .single_writer = false,
        .claim_rows_suffix = " FOR UPDATE SKIP LOCKED",  // PostgreSQL 9.5+, MySQL 8.0+, MariaDB 10.6+
        .update_returning = false,
        .try_transaction_lock = "",
        .no_wait_insert = "SET STATEMENT innodb_lock_wait_timeout=0 FOR ",
        .no_wait_insert_available = MysqlServerIsMariadb,
        .lock_migrations = LockMysqlMigrations,
        .migration_lock_per_transaction = false,
        .unlock_migrations = UnlockMysqlMigrations,
        .finish_statement = KeepStatementAsIs,
        .forget_statement = KeepStatementAsIs,
        .commit_with_writes = MysqlCommitWithWrites,
        .begin_with_write = MysqlBeginWithWrite,
        .classify = ClassifyMysql,
    },
};

}  // namespace

const Dialect& DialectOf(Engine engine) {
  for (const Dialect& d : kDialects) {
    if (d.engine == engine) return d;
  }
  throw std::logic_error("no dialect entry for an engine");  // unreachable while every Engine has an entry
}

const Dialect* DialectForScheme(std::string_view scheme) {
  for (const Dialect& d : kDialects) {
    for (std::string_view s : d.schemes) {
      if (s == scheme) return &d;
    }
  }
  return nullptr;
}

std::span<const Dialect> Dialects() { return kDialects; }

}  // namespace rihla::storage
