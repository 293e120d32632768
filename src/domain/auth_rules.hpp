#pragma once
// Validation of the sign-up and login bodies. Pure.
#include <boost/json/object.hpp>

#include <string>

namespace rihla::domain {

struct Credentials {
  std::string email;     // 1..254 bytes
  std::string password;  // 1..1024 bytes
};

// Parses POST /v1/auth/signup and /v1/auth/login: {"email": ..., "password": ...}.
// Throws ApiError(kInvalidRequest, "invalid credentials") listing every invalid field.
Credentials ParseCredentials(const boost::json::object& body);

}  // namespace rihla::domain
