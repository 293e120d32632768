#include "storage/retention.hpp"

#include <soci/soci.h>

namespace rihla::storage {
namespace {

// The batch is picked in a derived table: MySQL cannot LIMIT a subquery on the table it
// deletes from.
constexpr const char* kDeleteLoginFailures =
    "DELETE FROM login_failures WHERE id IN (SELECT id FROM (SELECT id FROM login_failures WHERE failed_at < :c"
    " ORDER BY failed_at LIMIT :l) AS stale)";

}  // namespace

std::size_t DeleteLoginFailuresBefore(Tx& tx, std::int64_t cutoff_ms, int limit) {
  long long cutoff = cutoff_ms;
  soci::statement st = (tx.sql.prepare << kDeleteLoginFailures, soci::use(cutoff), soci::use(limit));
  st.execute(true);
  return static_cast<std::size_t>(st.get_affected_rows());
}

}  // namespace rihla::storage
