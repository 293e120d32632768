#include "services/auth_service.hpp"

#include "domain/errors.hpp"
#include "domain/models.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"
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
  std::optional<domain::User> user;
  db_.Read([&](storage::Tx& tx) { user = storage::FindUserByEmail(tx, NormalizeEmail(email)); });
  bool ok = user ? VerifyPassword(user->password_hash, password) : (VerifyPassword(DummyHash(), password), false);
  if (!ok) throw ApiError(ErrorCode::kUnauthorized, "wrong email or password");
  Session session;
  db_.Write([&](storage::Tx& tx) { session = IssueToken(tx, user->id); });
  ctx.Log(LogLevel::kInfo, "user logged in", {{"user_id", user->id}});
  return session;
}

std::string AuthService::UserForToken(std::string_view token) {
  if (token.size() > 512) return {};
  std::string hash = Sha256Hex(token);
  {
    std::lock_guard lock(cache_mu_);
    auto it = token_cache_.find(hash);
    if (it != token_cache_.end()) return it->second;
  }
  std::string user_id;
  db_.Read([&](storage::Tx& tx) { user_id = storage::UserForTokenHash(tx, hash); });
  if (!user_id.empty()) {
    std::lock_guard lock(cache_mu_);
    if (token_cache_.size() >= kTokenCacheMax) token_cache_.clear();
    token_cache_.emplace(std::move(hash), user_id);
  }
  return user_id;
}

bool AuthService::IsAdminToken(std::string_view token) const {
  if (admin_token_.empty()) return false;
  // Compare digests so the comparison time does not reveal the token's length either.
  return ConstantTimeEquals(Sha256Hex(token), Sha256Hex(admin_token_));
}

}  // namespace rihla::services
