#include "domain/auth_rules.hpp"

#include "domain/json_input.hpp"

namespace rihla::domain {

Credentials ParseCredentials(const boost::json::object& body) {
  FieldReader r(body);
  auto email = r.String("email", true, 254);
  auto password = r.String("password", true, 1024);
  r.ThrowIfErrors("invalid credentials");
  return {*email, *password};
}

}  // namespace rihla::domain
