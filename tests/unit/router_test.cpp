#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rihla::http {
namespace {

Route R(std::string method, std::string pattern) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = [](RequestContext&, const Request&, const PathParams&) { return Response{}; };
  return r;
}

Router MakeRouter() {
  Router router;
  router.Add(R("GET", "/healthz"));
  router.Add(R("GET", "/v1/flights/search"));
  router.Add(R("GET", "/v1/flights/{id}"));
  router.Add(R("PATCH", "/v1/admin/flights/{id}"));
  router.Add(R("GET", "/v1/bookings"));
  router.Add(R("POST", "/v1/bookings"));
  router.Add(R("GET", "/v1/bookings/{id}"));
  router.Add(R("POST", "/v1/bookings/{id}/cancel"));
  router.Add(R("GET", "/v1/users/{user}/bookings/{booking}"));
  return router;
}

TEST(Router, MatchesLiteralPath) {
  Router router = MakeRouter();
  Match m = router.Find("GET", "/healthz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/healthz");
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_TRUE(m.params.empty());
  EXPECT_TRUE(m.path_known);
}

TEST(Router, MatchesParameterSegmentAndExtractsIt) {
  Router router = MakeRouter();
  Match m = router.Find("GET", "/v1/flights/fl_123");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/flights/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "fl_123");
  EXPECT_EQ(Param(m.params, "id"), "fl_123");
  EXPECT_EQ(Param(m.params, "other"), "");
}

TEST(Router, ExtractsSeveralParameters) {
  Router router = MakeRouter();
  Match m = router.Find("GET", "/v1/users/u1/bookings/b2");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(Param(m.params, "user"), "u1");
  EXPECT_EQ(Param(m.params, "booking"), "b2");
}

TEST(Router, MatchesParameterFollowedByLiteral) {
  Router router = MakeRouter();
  Match m = router.Find("POST", "/v1/bookings/bk_1/cancel");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/bookings/{id}/cancel");
  EXPECT_EQ(Param(m.params, "id"), "bk_1");
}

TEST(Router, PrefersTheEarlierRegisteredLiteralOverAParameter) {
  Router router = MakeRouter();
  Match m = router.Find("GET", "/v1/flights/search");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/flights/search");
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, PicksTheRouteWithTheRequestedMethodOnASharedPath) {
  Router router = MakeRouter();
  Match get = router.Find("GET", "/v1/bookings");
  Match post = router.Find("POST", "/v1/bookings");
  ASSERT_NE(get.route, nullptr);
  ASSERT_NE(post.route, nullptr);
  EXPECT_EQ(get.route->method, "GET");
  EXPECT_EQ(post.route->method, "POST");
}

TEST(Router, ReportsKnownPathWithWrongMethodForA405) {
  Router router = MakeRouter();
  Match m = router.Find("DELETE", "/v1/bookings");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.allow, "GET, POST");
  EXPECT_EQ(m.pattern, "/v1/bookings");
}

TEST(Router, ReportsPatternOfAParameterisedPathForA405) {
  Router router = MakeRouter();
  Match m = router.Find("DELETE", "/v1/flights/fl_9");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.pattern, "/v1/flights/{id}");
  EXPECT_EQ(m.allow, "GET");
}

TEST(Router, AllowListsEachMethodOnceAcrossOverlappingPatterns) {
  Router router = MakeRouter();
  // "/v1/flights/search" matches both the literal and the {id} route, both GET.
  Match m = router.Find("POST", "/v1/flights/search");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.allow, "GET");
  EXPECT_EQ(m.pattern, "/v1/flights/search");
}

TEST(Router, ReportsUnknownPathForA404) {
  Router router = MakeRouter();
  for (const char* path : {"/nope", "/v1/flights", "/v1/flights/a/b", "/", ""}) {
    Match m = router.Find("GET", path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_FALSE(m.path_known) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
  }
}

TEST(Router, DoesNotMatchATrailingSlash) {
  Router router = MakeRouter();
  EXPECT_FALSE(router.Find("GET", "/healthz/").path_known);
  EXPECT_FALSE(router.Find("GET", "/v1/bookings/").path_known);
}

TEST(Router, DoesNotMatchAnEmptyParameterSegment) {
  Router router = MakeRouter();
  EXPECT_FALSE(router.Find("POST", "/v1/bookings//cancel").path_known);
}

TEST(Router, MethodsAreCaseSensitive) {
  Router router = MakeRouter();
  Match m = router.Find("get", "/healthz");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
}

TEST(Router, ListsRoutesInRegistrationOrder) {
  Router router = MakeRouter();
  auto list = router.List();
  ASSERT_EQ(list.size(), 9u);
  EXPECT_EQ(list[0], (std::pair<std::string, std::string>{"GET", "/healthz"}));
  EXPECT_EQ(list[4], (std::pair<std::string, std::string>{"GET", "/v1/bookings"}));
  EXPECT_EQ(list[5], (std::pair<std::string, std::string>{"POST", "/v1/bookings"}));
  EXPECT_EQ(list[8], (std::pair<std::string, std::string>{"GET", "/v1/users/{user}/bookings/{booking}"}));
}

TEST(Router, RejectsPatternsThatDoNotStartWithASlash) {
  Router router;
  EXPECT_THROW(router.Add(R("GET", "healthz")), std::invalid_argument);
  EXPECT_THROW(router.Add(R("GET", "")), std::invalid_argument);
}

}  // namespace
}  // namespace rihla::http
