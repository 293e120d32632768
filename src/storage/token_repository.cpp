#include "storage/token_repository.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kInsertToken = "INSERT INTO tokens (token_hash, user_id, created_at) VALUES (:h, :u, :t)";
constexpr const char* kFindToken = "SELECT user_id, created_at FROM tokens WHERE token_hash = :h";
constexpr const char* kDeleteToken = "DELETE FROM tokens WHERE token_hash = :h";

}  // namespace

void InsertToken(Tx& tx, const std::string& token_hash, const std::string& user_id, std::int64_t now_ms) {
  long long now = now_ms;
  Execute(tx, kInsertToken, soci::use(token_hash), soci::use(user_id), soci::use(now));
}

std::optional<TokenRow> FindToken(Tx& tx, const std::string& token_hash) {
  std::string user_id;
  long long created = 0;
  if (!Execute(tx, kFindToken, soci::use(token_hash), soci::into(user_id), soci::into(created))) return std::nullopt;
  return TokenRow{user_id, created};
}

bool DeleteToken(Tx& tx, const std::string& token_hash) {
  Statement st(tx, kDeleteToken, soci::use(token_hash));
  st->execute(true);
  return st->get_affected_rows() > 0;
}

}  // namespace rihla::storage
