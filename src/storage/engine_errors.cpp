#include "storage/engine_errors.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "domain/errors.hpp"
#include "storage/dialect.hpp"

namespace rihla::storage {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

// What every engine's errors have in common: SOCI's category, and the messages of lost
// connections that SOCI reports without one.
EngineFailure ClassifyGeneric(const soci::soci_error& e) {
  switch (e.get_error_category()) {
    case soci::soci_error::connection_error: return EngineFailure::kConnection;
    case soci::soci_error::constraint_violation:
      return Contains(e.what(), "nique") || Contains(e.what(), "uplicate") ? EngineFailure::kDuplicate
                                                                           : EngineFailure::kOther;
    default: break;
  }
  if (Contains(e.what(), "server closed the connection") || Contains(e.what(), "no connection to the server") ||
      Contains(e.what(), "gone away") || Contains(e.what(), "Lost connection") ||
      Contains(e.what(), "connection not open") || Contains(e.what(), "database is locked")) {
    return EngineFailure::kConnection;
  }
  return EngineFailure::kOther;
}

}  // namespace

EngineFailure ClassifyEngineError(const soci::soci_error& error, const Dialect& dialect) {
  if (std::optional<EngineFailure> own = dialect.classify(error)) return *own;
  return ClassifyGeneric(error);
}

void ThrowEngineFailure(EngineFailure failure, const soci::soci_error& error) {
  switch (failure) {
    case EngineFailure::kDuplicate: throw DuplicateKey(error.get_error_message());
    case EngineFailure::kRetry: throw StorageUnavailable("transaction kept conflicting: " + error.get_error_message());
    case EngineFailure::kConnection: throw StorageUnavailable(error.get_error_message());
    case EngineFailure::kOther: break;
  }
  throw std::runtime_error("database error: " + error.get_error_message());
}

}  // namespace rihla::storage
