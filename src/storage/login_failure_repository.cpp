#include "storage/login_failure_repository.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kInsertFailure =
    "INSERT INTO login_failures (email_normalized, failed_at) VALUES (:e, :t)";
constexpr const char* kRecentFailures =
    "SELECT failed_at FROM login_failures WHERE email_normalized = :e AND failed_at > :s "
    "ORDER BY failed_at DESC LIMIT :l";

}  // namespace

void InsertLoginFailure(Tx& tx, const std::string& email_normalized, std::int64_t now_ms) {
  long long now = now_ms;
  Execute(tx, kInsertFailure, soci::use(email_normalized), soci::use(now));
}

std::vector<std::int64_t> RecentLoginFailures(Tx& tx, const std::string& email_normalized, std::int64_t since_ms,
                                              int limit) {
  std::vector<long long> rows(static_cast<std::size_t>(limit));
  long long since = since_ms;
  Execute(tx, kRecentFailures, soci::use(email_normalized), soci::use(since), soci::use(limit), soci::into(rows));
  return {rows.begin(), rows.end()};
}

}  // namespace rihla::storage
