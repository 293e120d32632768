#pragma once
// Signup, login, logout and bearer-token resolution. Passwords: argon2id; tokens: 32 random
// bytes, stored only as SHA-256, valid for token_ttl after they were issued or until logout.
// Blocking: call on worker threads (Signup and Login on the password-hashing pool).
#include <chrono>
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

struct AuthOptions {
  std::chrono::seconds token_ttl{2'592'000};  // RIHLA_TOKEN_TTL_SECONDS
  // How long a token lookup is trusted without asking the database again. A logout on another
  // instance is seen within this (the contract allows 5 s); on this instance at once.
  std::chrono::milliseconds token_cache_ttl{2000};
};

class AuthService : public domain::CredentialResolver {
 public:
  AuthService(storage::Database& db, std::string admin_token, AuthOptions options = {})
      : db_(db), admin_token_(std::move(admin_token)), options_(options) {}

  // Throws kInvalidRequest (bad email / short password) or kEmailTaken.
  Session Signup(RequestContext& ctx, const std::string& email, const std::string& password);
  // Throws kTooManyRequests (with a retry hint) when the email had 10 failed logins in the last
  // 15 minutes, decided before any hashing; kUnauthorized for an unknown email or a wrong
  // password (one answer for both), which counts as a failed login.
  Session Login(RequestContext& ctx, const std::string& email, const std::string& password);
  // Revokes `token` on every instance (within token_cache_ttl elsewhere, at once here).
  void Logout(RequestContext& ctx, std::string_view token);

  // The user of a known, unexpired, not revoked token; empty otherwise.
  std::string UserForToken(std::string_view token) override;
  bool IsAdminToken(std::string_view token) const override;

 private:
  struct CachedToken {
    std::string user_id;
    std::int64_t expires_ms;                       // issued + token_ttl
    std::chrono::steady_clock::time_point checked;  // when the database last confirmed it
  };
  Session IssueToken(storage::Tx& tx, const std::string& user_id);
  void ForgetToken(const std::string& hash);

  storage::Database& db_;
  std::string admin_token_;
  const AuthOptions options_;
  // token hash -> its last confirmed lookup; bounded (cleared when full). Guarded by cache_mu_.
  static constexpr std::size_t kTokenCacheMax = 10'000;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedToken> token_cache_;
};

// Lower-cases ASCII and trims spaces: emails are unique case-insensitively.
std::string NormalizeEmail(std::string_view email);

}  // namespace rihla::services
