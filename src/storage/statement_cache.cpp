#include "storage/statement_cache.hpp"

namespace rihla::storage {

StatementCache::StatementCache(const Dialect& dialect, bool enabled, StatementCounters& counters)
    : dialect_(dialect), enabled_(enabled), counters_(counters) {}

StatementCache::~StatementCache() { Clear(); }

std::unique_ptr<soci::statement> StatementCache::Take(soci::session& session, const std::string& query) {
  if (enabled_) {
    auto it = statements_.find(query);
    if (it != statements_.end()) {
      auto statement = std::move(it->second);
      statements_.erase(it);
      counters_.reuses.fetch_add(1, std::memory_order_relaxed);
      return statement;
    }
  }
  auto statement = std::make_unique<soci::statement>(session);
  statement->alloc();
  bool cacheable = enabled_ && statements_.size() < kCapacity;
  statement->prepare(query, cacheable ? soci::details::st_repeatable_query : soci::details::st_one_time_query);
  counters_.prepares.fetch_add(1, std::memory_order_relaxed);
  return statement;
}

void StatementCache::Give(const std::string& query, std::unique_ptr<soci::statement> statement) noexcept {
  try {
    dialect_.finish_statement(*statement);
    statement->bind_clean_up();
    if (enabled_ && statements_.size() < kCapacity && !statements_.contains(query)) {
      statements_.emplace(query, std::move(statement));
      return;
    }
    statement->clean_up();  // a named statement not kept is deallocated on the server
    return;
  } catch (...) {
    // The connection failed or the transaction is aborted: the server frees it with the
    // session; forgotten so that its destructor does not try again (and throw).
  }
  dialect_.forget_statement(*statement);
}

void StatementCache::Clear() noexcept {
  for (auto& [query, statement] : statements_) dialect_.forget_statement(*statement);
  statements_.clear();
  server_prepared_.clear();  // the server drops them with the session
}

const std::string* StatementCache::PreparedName(const std::string& query) {
  if (!enabled_) return nullptr;
  auto it = server_prepared_.find(query);
  if (it == server_prepared_.end()) return nullptr;
  counters_.reuses.fetch_add(1, std::memory_order_relaxed);
  return &it->second;
}

std::optional<std::string> StatementCache::NewName() {
  counters_.prepares.fetch_add(1, std::memory_order_relaxed);
  if (!enabled_ || server_prepared_.size() >= kCapacity) return std::nullopt;
  // SOCI names its own statements "st_<n>"; these never clash with them.
  return "rihla_w" + std::to_string(++names_given_);
}

void StatementCache::RememberPrepared(const std::string& query, std::string name) {
  if (server_prepared_.size() < kCapacity) server_prepared_.emplace(query, std::move(name));
}

}  // namespace rihla::storage
