#pragma once
// Resolving bearer credentials to principals. The HTTP pipeline consumes this interface;
// services::AuthService implements it.
#include <string>
#include <string_view>

namespace rihla::domain {

// Implementations are shared by all worker threads (thread-safe) and may block on the
// database: call them on worker threads only.
class CredentialResolver {
 public:
  virtual ~CredentialResolver() = default;
  // The user id owning this bearer token, or empty when unknown.
  virtual std::string UserForToken(std::string_view token) = 0;
  // Constant-time check against the configured admin token; false when none is configured.
  virtual bool IsAdminToken(std::string_view token) const = 0;
};

}  // namespace rihla::domain
