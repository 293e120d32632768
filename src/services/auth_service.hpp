#pragma once
// Signup, login and bearer-token resolution. Passwords: argon2id; tokens: 32 random bytes,
// stored only as SHA-256. Blocking: call on worker threads.
#include <string>

#include "http/pipeline.hpp"
#include "storage/database.hpp"

namespace rihla::services {

struct Session {
  std::string user_id;
  std::string token;
};

class AuthService : public http::Authenticator {
 public:
  AuthService(storage::Database& db, std::string admin_token) : db_(db), admin_token_(std::move(admin_token)) {}

  // Throws kInvalidRequest (bad email / short password) or kEmailTaken.
  Session Signup(RequestContext& ctx, const std::string& email, const std::string& password);
  // Throws kUnauthorized for an unknown email or a wrong password (one answer for both).
  Session Login(RequestContext& ctx, const std::string& email, const std::string& password);

  std::string UserForToken(RequestContext& ctx, std::string_view token) override;
  bool IsAdminToken(std::string_view token) const override;

 private:
  Session IssueToken(storage::Tx& tx, const std::string& user_id);

  storage::Database& db_;
  std::string admin_token_;
};

// Lower-cases ASCII and trims spaces: emails are unique case-insensitively.
std::string NormalizeEmail(std::string_view email);

}  // namespace rihla::services
