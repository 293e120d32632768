#include "storage/database.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <boost/url/parse.hpp>

#include <filesystem>
#include <stdexcept>

#include "domain/errors.hpp"

namespace rihla::storage {

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite: return "sqlite";
    case Dialect::kPostgres: return "postgres";
    case Dialect::kMysql: return "mysql";
  }
  return "sqlite";
}

namespace {

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

enum class Failure { kConnection, kDuplicate, kRetry, kOther };

bool Contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

// Sorts an engine error into what callers can act on.
Failure Classify(const soci::soci_error& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    std::string state = pg->sqlstate();
    if (state == "23505") return Failure::kDuplicate;
    if (state == "40001" || state == "40P01") return Failure::kRetry;
    // 08xxx connection exceptions, 57P01-03 admin shutdown / crash, 57014 statement timeout
    if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0 || state.rfind("53", 0) == 0) {
      return Failure::kConnection;
    }
  }
  if (const auto* my = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    unsigned n = my->err_num_;
    if (n == 1062 || n == 1586) return Failure::kDuplicate;
    if (n == 1213 || n == 1205) return Failure::kRetry;  // deadlock, lock wait timeout
    if (n >= 2000 && n < 3000) return Failure::kConnection;  // client errors: gone away, lost, can't connect
    if (n == 1927 || n == 1053 || n == 3024 || n == 1969) return Failure::kConnection;  // killed, shutdown, timeouts
  }
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    int rc = lite->result() & 0xff;
    if (rc == SQLITE_CONSTRAINT) {
      return Contains(e.what(), "UNIQUE") || Contains(e.what(), "PRIMARY KEY") ? Failure::kDuplicate : Failure::kOther;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Failure::kConnection;
  }
  switch (e.get_error_category()) {
    case soci::soci_error::connection_error: return Failure::kConnection;
    case soci::soci_error::constraint_violation:
      return Contains(e.what(), "nique") || Contains(e.what(), "uplicate") ? Failure::kDuplicate : Failure::kOther;
    default: break;
  }
  // SOCI reports some lost connections without a category.
  if (Contains(e.what(), "server closed the connection") || Contains(e.what(), "no connection to the server") ||
      Contains(e.what(), "gone away") || Contains(e.what(), "Lost connection") ||
      Contains(e.what(), "connection not open") || Contains(e.what(), "database is locked")) {
    return Failure::kConnection;
  }
  return Failure::kOther;
}

}  // namespace

DatabaseUrl ParseDatabaseUrl(std::string_view text) {
  DatabaseUrl out;
  if (text.rfind("sqlite:", 0) == 0) {
    std::string path(text.substr(7));
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://relative or sqlite:///abs
    if (path.empty()) throw std::invalid_argument("sqlite URL needs a path: sqlite:var/rihla.db");
    out.dialect = Dialect::kSqlite;
    out.sqlite_path = path;
    if (path.find('"') != std::string::npos) throw std::invalid_argument("sqlite path must not contain '\"'");
    out.connect_string = "db=\"" + path + "\" timeout=5";  // SOCI's sqlite3 backend quotes with "
    out.redacted = "sqlite:" + path;
    return out;
  }
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) throw std::invalid_argument("database URL is not a valid URL");
  auto url = *parsed;
  std::string scheme(url.scheme());
  if (scheme == "postgresql" || scheme == "postgres") {
    out.dialect = Dialect::kPostgres;
  } else if (scheme == "mysql" || scheme == "mariadb") {
    out.dialect = Dialect::kMysql;
  } else {
    throw std::invalid_argument("database URL scheme must be sqlite:, postgresql:// or mysql://");
  }
  std::string host = url.host_address().empty() ? "127.0.0.1" : std::string(url.host_address());
  std::string port = url.has_port() ? std::string(url.port()) : (out.dialect == Dialect::kPostgres ? "5432" : "3306");
  std::string user = url.user();
  std::string password = url.password();
  std::string db = url.path();
  if (!db.empty() && db[0] == '/') db = db.substr(1);
  if (db.empty()) throw std::invalid_argument("database URL needs a database name: .../dbname");
  if (out.dialect == Dialect::kPostgres) {
    out.connect_string = "host=" + QuoteParam(host) + " port=" + QuoteParam(port) + " dbname=" + QuoteParam(db);
    if (!user.empty()) out.connect_string += " user=" + QuoteParam(user);
    if (!password.empty()) out.connect_string += " password=" + QuoteParam(password);
  } else {
    out.connect_string = "host=" + QuoteParam(host) + " port=" + port + " db=" + QuoteParam(db);
    if (!user.empty()) out.connect_string += " user=" + QuoteParam(user);
    if (!password.empty()) out.connect_string += " password=" + QuoteParam(password);
  }
  out.redacted = scheme + "://" + (user.empty() ? "" : user + (password.empty() ? "@" : ":***@")) + host + ":" +
                 port + "/" + db;
  return out;
}

struct Database::Slot {
  std::unique_ptr<soci::session> session;
};

Database::Database(DatabaseUrl url, DatabaseOptions options) : url_(std::move(url)), options_(options) {
  if (options_.pool_size == 0) options_.pool_size = 1;
  if (url_.dialect == Dialect::kSqlite) {
    std::filesystem::path p(url_.sqlite_path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  }
}

Database::~Database() = default;

std::size_t Database::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

void Database::Connect(Slot& slot) {
  slot.session.reset();
  auto session = std::make_unique<soci::session>();
  std::string timeout = std::to_string(options_.connect_timeout.count());
  std::string query_ms = std::to_string(options_.query_timeout.count() * 1000);
  try {
    switch (url_.dialect) {
      case Dialect::kSqlite:
        session->open(soci::sqlite3, url_.connect_string);
        *session << "PRAGMA journal_mode=WAL";
        *session << "PRAGMA synchronous=NORMAL";
        *session << "PRAGMA foreign_keys=ON";
        *session << "PRAGMA busy_timeout=" + std::to_string(options_.query_timeout.count() * 1000);
        break;
      case Dialect::kPostgres:
        session->open(soci::postgresql, url_.connect_string + " connect_timeout=" + timeout +
                                            " options='-c statement_timeout=" + query_ms +
                                            " -c lock_timeout=" + query_ms + "'");
        break;
      case Dialect::kMysql:
        session->open(soci::mysql, url_.connect_string + " connect_timeout=" + timeout + " read_timeout=" +
                                       std::to_string(options_.query_timeout.count()) + " write_timeout=" +
                                       std::to_string(options_.query_timeout.count()) + " charset=utf8mb4");
        *session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
        *session << "SET SESSION innodb_lock_wait_timeout=" + std::to_string(options_.query_timeout.count());
        *session << "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'";
        break;
    }
  } catch (const soci::soci_error& e) {
    // The message may contain the host but never the password (libpq and MariaDB omit it).
    throw StorageUnavailable(std::string("cannot connect to the ") + std::string(DialectName(url_.dialect)) +
                             " database: " + e.get_error_message());
  }
  slot.session = std::move(session);
}

std::unique_ptr<Database::Slot> Database::Acquire() {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto slot = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      return slot;
    }
    if (created_ < options_.pool_size) {
      ++created_;
      ++in_use_;
      return std::make_unique<Slot>();
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && created_ >= options_.pool_size) {
      throw StorageUnavailable("no database connection became free in time");
    }
  }
}

void Database::Release(std::unique_ptr<Slot> slot, bool broken) {
  if (broken) slot->session.reset();  // reconnect on next use
  {
    std::lock_guard lock(mu_);
    --in_use_;
    idle_.push_back(std::move(slot));
  }
  cv_.notify_one();
}

void Database::Run(Mode mode, const std::function<void(Tx&)>& fn) {
  std::unique_lock<std::mutex> writer;
  if (url_.dialect == Dialect::kSqlite && (mode == Mode::kWrite || mode == Mode::kWriteStatement)) {
    writer = std::unique_lock(sqlite_writer_mu_);
  }
  auto slot = Acquire();
  bool broken = false;
  struct Returner {
    Database& db;
    std::unique_ptr<Slot>& slot;
    bool& broken;
    ~Returner() { db.Release(std::move(slot), broken); }
  } returner{*this, slot, broken};

  for (int attempt = 1;; ++attempt) {
    if (!slot->session) {
      try {
        Connect(*slot);
      } catch (...) {
        broken = true;
        throw;
      }
    }
    soci::session& sql = *slot->session;
    Tx tx{sql, url_.dialect};
    bool in_tx = false;
    try {
      if (mode == Mode::kWrite) {
        sql << (url_.dialect == Dialect::kSqlite ? "BEGIN IMMEDIATE"
                : url_.dialect == Dialect::kMysql ? "START TRANSACTION"
                                                  : "BEGIN");
        in_tx = true;
      }
      fn(tx);
      if (in_tx) {
        in_tx = false;
        sql << "COMMIT";
      }
      return;
    } catch (const soci::soci_error& e) {
      Failure failure = Classify(e);
      if (in_tx) {
        try {
          sql << "ROLLBACK";
        } catch (...) {
          failure = Failure::kConnection;
        }
      }
      switch (failure) {
        case Failure::kDuplicate: throw DuplicateKey(e.get_error_message());
        case Failure::kRetry:
          if (attempt < 3) continue;
          throw StorageUnavailable("transaction kept conflicting: " + e.get_error_message());
        case Failure::kConnection: broken = true; throw StorageUnavailable(e.get_error_message());
        case Failure::kOther: throw std::runtime_error("database error: " + e.get_error_message());
      }
    } catch (...) {
      if (in_tx) {
        try {
          sql << "ROLLBACK";
        } catch (...) {
          broken = true;
        }
      }
      throw;
    }
  }
}

void Database::Write(const std::function<void(Tx&)>& fn) { Run(Mode::kWrite, fn); }
void Database::Read(const std::function<void(Tx&)>& fn) { Run(Mode::kRead, fn); }
void Database::WriteStatement(const std::function<void(Tx&)>& fn) { Run(Mode::kWriteStatement, fn); }
void Database::Raw(const std::function<void(Tx&)>& fn) { Run(Mode::kRaw, fn); }

bool Database::Ping() {
  try {
    Read([](Tx& tx) {
      int one = 0;
      tx.sql << "SELECT 1", soci::into(one);
    });
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace rihla::storage
