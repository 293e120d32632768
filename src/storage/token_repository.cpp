#include "storage/token_repository.hpp"

#include <soci/soci.h>

namespace rihla::storage {
namespace {

constexpr const char* kInsertToken = "INSERT INTO tokens (token_hash, user_id, created_at) VALUES (:h, :u, :t)";
constexpr const char* kUserForToken = "SELECT user_id FROM tokens WHERE token_hash = :h";

}  // namespace

void InsertToken(Tx& tx, const std::string& token_hash, const std::string& user_id, std::int64_t now_ms) {
  long long now = now_ms;
  tx.sql << kInsertToken, soci::use(token_hash), soci::use(user_id), soci::use(now);
}

std::string UserForTokenHash(Tx& tx, const std::string& token_hash) {
  std::string user_id;
  tx.sql << kUserForToken, soci::use(token_hash), soci::into(user_id);
  return tx.sql.got_data() ? user_id : std::string();
}

}  // namespace rihla::storage
