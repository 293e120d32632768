// POST /v1/auth/signup, /v1/auth/login, /v1/auth/logout.
#include <boost/json.hpp>

#include "domain/auth_rules.hpp"
#include "domain/json_input.hpp"
#include "handlers/routes.hpp"
#include "http/pipeline.hpp"
#include "services/auth_service.hpp"

namespace rihla::handlers {
namespace {

std::pair<std::string, std::string> Credentials(const http::Request& req) {
  auto c = domain::ParseCredentials(domain::ParseJsonObject(req.body));
  return {std::move(c.email), std::move(c.password)};
}

}  // namespace

void AddAuthRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "POST",
              .pattern = "/v1/auth/signup",
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                auto [email, password] = Credentials(req);
                auto session = deps.auth.Signup(ctx, email, password);
                return http::JsonResponse(201, boost::json::serialize(boost::json::object{
                                                   {"user_id", session.user_id}, {"token", session.token}}));
              },
              .work = http::Work::kPasswordHashing});

  router.Add({.method = "POST",
              .pattern = "/v1/auth/login",
              .json_body = true,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                auto [email, password] = Credentials(req);
                auto session = deps.auth.Login(ctx, email, password);
                return http::JsonResponse(200, boost::json::serialize(boost::json::object{{"token", session.token}}));
              },
              .work = http::Work::kPasswordHashing});

  // Revokes the bearer token the request carries (the pipeline has already resolved it).
  router.Add({.method = "POST",
              .pattern = "/v1/auth/logout",
              .auth = http::Auth::kUser,
              .handler = [&deps](RequestContext& ctx, const http::Request& req, const http::PathParams&) {
                deps.auth.Logout(ctx, http::BearerToken(req));
                http::Response r;
                r.status = 204;
                r.content_type.clear();  // no body
                return r;
              }});
}

}  // namespace rihla::handlers
