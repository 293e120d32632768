#include "services/auth_service.hpp"

#include "domain/errors.hpp"
#include "domain/login_throttle.hpp"
#include "domain/models.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"
#include "storage/login_failure_repository.hpp"
#include "storage/token_repository.hpp"
#include "storage/user_repository.hpp"

namespace rihla::services {

std::string NormalizeEmail(std::string_view email) {
  while (!email.empty() && email.front() == ' ') email.remove_prefix(1);
  while (!email.empty() && email.back() == ' ') email.remove_suffix(1);
  std::string out(email);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

bool LooksLikeEmail(std::string_view e) {
  auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= e.size() || e.size() > 254) return false;
  if (e.find('@', at + 1) != std::string_view::npos) return false;
  if (e.find('.', at) == std::string_view::npos) return false;
  for (char c : e) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Verified against when the email is unknown, so both failures cost the same time.
const std::string& DummyHash() {
  static const std::string hash = HashPassword("rihla-dummy-password");
  return hash;
}

}  // namespace

Session AuthService::IssueToken(storage::Tx& tx, const std::string& user_id) {
  std::string token = RandomToken(32);
  storage::InsertToken(tx, Sha256Hex(token), user_id, domain::NowMs());
  return Session{user_id, token};
}

Session AuthService::Signup(RequestContext& ctx, const std::string& email, const std::string& password) {
  std::string normalized = NormalizeEmail(email);
  std::vector<FieldError> errors;
  if (!LooksLikeEmail(normalized)) errors.push_back({"email", "must be an email address"});
  if (password.size() < 8) errors.push_back({"password", "must be at least 8 characters"});
  if (password.size() > 1024) errors.push_back({"password", "must be at most 1024 characters"});
  if (!errors.empty()) throw ApiError(ErrorCode::kInvalidRequest, "invalid signup", std::move(errors));
  domain::User user{"usr_" + RandomHex(12), std::string(email), HashPassword(password)};
  Session session;
  try {
    db_.Write([&](storage::Tx& tx) {
      storage::InsertUser(tx, user, normalized, domain::NowMs());
      session = IssueToken(tx, user.id);
    });
  } catch (const DuplicateKey&) {
    throw ApiError(ErrorCode::kEmailTaken, "an account with this email exists");
  }
  ctx.Log(LogLevel::kInfo, "user signed up", {{"user_id", user.id}});
  return session;
}

Session AuthService::Login(RequestContext& ctx, const std::string& email, const std::string& password) {
  const std::string normalized = NormalizeEmail(email);
  const std::int64_t now = domain::NowMs();
  std::optional<domain::User> user;
  std::vector<std::int64_t> failures;
  db_.Read([&](storage::Tx& tx) {
    failures = storage::RecentLoginFailures(tx, normalized, now - domain::LoginThrottle::kWindow.count(),
                                            domain::LoginThrottle::kLimit);
    user = storage::FindUserByEmail(tx, normalized);
  });
  if (auto wait = domain::LoginRetryAfter(failures, now)) {
    ctx.Log(LogLevel::kWarn, "login throttled", {{"retry_after_s", wait->count()}});
    throw ApiError(ErrorCode::kTooManyRequests, "too many failed logins for this email; retry later").RetryIn(*wait);
  }
  bool ok = user ? VerifyPassword(user->password_hash, password) : (VerifyPassword(DummyHash(), password), false);
  if (!ok) {
    db_.Write([&](storage::Tx& tx) { storage::InsertLoginFailure(tx, normalized, domain::NowMs()); });
    throw ApiError(ErrorCode::kUnauthorized, "wrong email or password");
  }
  Session session;
  db_.Write([&](storage::Tx& tx) { session = IssueToken(tx, user->id); });
  ctx.Log(LogLevel::kInfo, "user logged in", {{"user_id", user->id}});
  return session;
}

void AuthService::Logout(RequestContext& ctx, std::string_view token) {
  std::string hash = Sha256Hex(token);
  db_.Write([&](storage::Tx& tx) { storage::DeleteToken(tx, hash); });
  ForgetToken(hash);
  ctx.Log(LogLevel::kInfo, "user logged out", {{"user_id", ctx.user_id}});
}

void AuthService::ForgetToken(const std::string& hash) {
  std::lock_guard lock(cache_mu_);
  token_cache_.erase(hash);
}

std::string AuthService::UserForToken(std::string_view token) {
  if (token.size() > 512) return {};
  std::string hash = Sha256Hex(token);
  const auto steady_now = std::chrono::steady_clock::now();
  const std::int64_t now = domain::NowMs();
  {
    std::lock_guard lock(cache_mu_);
    auto it = token_cache_.find(hash);
    if (it != token_cache_.end() && steady_now - it->second.checked < options_.token_cache_ttl &&
        now < it->second.expires_ms) {
      return it->second.user_id;
    }
  }
  std::optional<storage::TokenRow> row;
  db_.Read([&](storage::Tx& tx) { row = storage::FindToken(tx, hash); });
  const std::int64_t ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.token_ttl).count();
  if (!row || now >= row->created_ms + ttl_ms) {
    ForgetToken(hash);
    return {};
  }
  std::lock_guard lock(cache_mu_);
  if (token_cache_.size() >= kTokenCacheMax) token_cache_.clear();
  token_cache_[hash] = CachedToken{row->user_id, row->created_ms + ttl_ms, steady_now};
  return row->user_id;
}

bool AuthService::IsAdminToken(std::string_view token) const {
  if (admin_token_.empty()) return false;
  // Compare digests so the comparison time does not reveal the token's length either.
  return ConstantTimeEquals(Sha256Hex(token), Sha256Hex(admin_token_));
}

}  // namespace rihla::services
