#pragma once
// Database URLs: which engine, and how to reach it, from RIHLA_DATABASE_URL.
#include <string>
#include <string_view>

#include "storage/dialect.hpp"

namespace rihla::storage {

struct DatabaseUrl {
  Engine engine = Engine::kSqlite;
  std::string connect_string;  // SOCI connection string (holds the password: never log it)
  std::string redacted;        // the URL with the password masked, for logs
  std::string file_path;       // file engines (SQLite) only
};

// Parses `sqlite:PATH` (also `sqlite://PATH`), `postgresql://user:pass@host:port/db` (also
// `postgres://`) and `mysql://user:pass@host:port/db` (also `mariadb://`): the schemes of the
// Dialect table. Host defaults to 127.0.0.1, port to the engine's. Throws std::invalid_argument
// with a message naming the problem (never the password).
DatabaseUrl ParseDatabaseUrl(std::string_view url);

}  // namespace rihla::storage
