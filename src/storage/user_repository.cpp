#include "storage/user_repository.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kInsertUser =
    "INSERT INTO users (id, email, email_normalized, password_hash, created_at) VALUES (:id, :e, :n, :h, :t)";
constexpr const char* kFindUserByEmail = "SELECT id, email, password_hash FROM users WHERE email_normalized = :n";

}  // namespace

void InsertUser(Tx& tx, const domain::User& user, const std::string& email_normalized, std::int64_t now_ms) {
  long long now = now_ms;
  Execute(tx, kInsertUser, soci::use(user.id), soci::use(user.email), soci::use(email_normalized),
          soci::use(user.password_hash), soci::use(now));
}

std::optional<domain::User> FindUserByEmail(Tx& tx, const std::string& email_normalized) {
  domain::User u;
  soci::indicator ind;
  if (!Execute(tx, kFindUserByEmail, soci::use(email_normalized), soci::into(u.id, ind), soci::into(u.email),
               soci::into(u.password_hash))) {
    return std::nullopt;
  }
  return u;
}

}  // namespace rihla::storage
