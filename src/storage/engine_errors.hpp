#pragma once
// Engine error classification: sorts a SOCI error from any engine into what the transaction
// runner acts on, and translates it into the errors callers see (domain/errors.hpp).
// Stateless and thread-safe.
#include <optional>

namespace soci {
class soci_error;
}

namespace rihla::storage {

struct Dialect;

enum class EngineFailure {
  kConnection,  // the session is unusable or the engine is overloaded: drop the session
  kDuplicate,   // a unique or primary key constraint refused the row
  kRetry,       // serialization failure or deadlock: the transaction may be re-run
  kOther,       // anything else (syntax, other constraints): a bug, not an outage
};

// The engine's own codes first (Dialect::classify), then what SOCI's category and message say.
EngineFailure ClassifyEngineError(const soci::soci_error& error, const Dialect& dialect);

// Throws the error callers see for `failure`: DuplicateKey (kDuplicate), StorageUnavailable
// (kConnection, and kRetry once the runner gave up), std::runtime_error (kOther). The message is
// the engine's, which names no password.
[[noreturn]] void ThrowEngineFailure(EngineFailure failure, const soci::soci_error& error);

}  // namespace rihla::storage
