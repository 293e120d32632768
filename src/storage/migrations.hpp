#pragma once
// Versioned, checksummed schema migrations per engine (migrations/<Dialect::name>/NNNN_name.sql,
// embedded at build time). Applied versions are recorded in schema_migrations with the SHA-256
// of their text; a database whose applied migration differs from this binary's copy is refused.
#include <stdexcept>
#include <string>
#include <vector>

#include "observability/logger.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

struct EmbeddedMigration {
  const char* dialect;  // Dialect::name of the engine it is for
  int version;
  const char* name;
  const char* sql;
};
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Splits a migration into statements: a statement ends with a line whose last non-blank
// character is ';'. Lines starting with "--" are dropped.
std::vector<std::string> SplitStatements(const std::string& sql);

// Number of migrations not yet applied. Throws MigrationError when an applied migration was
// edited (checksum mismatch) or the database has a version this binary does not know.
int PendingMigrations(Database& db);
// Applies pending migrations in order, each in its own transaction where the engine allows
// (MySQL commits DDL implicitly). Serialized across processes by the dialect's migration lock
// (Dialect::lock_migrations) where the engine has one. Returns how many were applied. Throws
// MigrationError as PendingMigrations does, and what Database::Raw documents.
int ApplyMigrations(Database& db, Logger& logger);

}  // namespace rihla::storage
