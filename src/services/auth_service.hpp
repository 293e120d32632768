#pragma once
// Signup, login and bearer-token resolution. Passwords: argon2id; tokens: 32 random bytes,
// stored only as SHA-256. Blocking: call on worker threads.
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/credentials.hpp"
#include "observability/request_context.hpp"
#include "storage/database.hpp"

namespace rihla::services {

struct Session {
  std::string user_id;
  std::string token;
};

class AuthService : public domain::CredentialResolver {
 public:
  AuthService(storage::Database& db, std::string admin_token) : db_(db), admin_token_(std::move(admin_token)) {}

  // Throws kInvalidRequest (bad email / short password) or kEmailTaken.
  Session Signup(RequestContext& ctx, const std::string& email, const std::string& password);
  // Throws kUnauthorized for an unknown email or a wrong password (one answer for both).
  Session Login(RequestContext& ctx, const std::string& email, const std::string& password);

  std::string UserForToken(std::string_view token) override;
  bool IsAdminToken(std::string_view token) const override;

 private:
  Session IssueToken(storage::Tx& tx, const std::string& user_id);

  storage::Database& db_;
  std::string admin_token_;
  // token hash -> user id. Tokens are immutable and never revoked in v1, so a cached mapping
  // cannot go stale; bounded (cleared when full). Guarded by cache_mu_.
  static constexpr std::size_t kTokenCacheMax = 10'000;
  std::mutex cache_mu_;
  std::unordered_map<std::string, std::string> token_cache_;
};

// Lower-cases ASCII and trims spaces: emails are unique case-insensitively.
std::string NormalizeEmail(std::string_view email);

}  // namespace rihla::services
