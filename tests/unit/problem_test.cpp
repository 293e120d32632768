#include "http/problem.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "handlers/idempotent_response.hpp"

namespace rihla::http {
namespace {

struct Row {
  ErrorCode code;
  int status;
  std::string_view slug;
};

// The table in /work/shared/API.md ("Errors: RFC 9457 problem details").
const std::vector<Row>& ApiTable() {
  static const std::vector<Row> rows = {
      {ErrorCode::kInvalidRequest, 400, "invalid-request"},
      {ErrorCode::kUnauthorized, 401, "unauthorized"},
      {ErrorCode::kInvalidSignature, 401, "invalid-signature"},
      {ErrorCode::kNotFound, 404, "not-found"},
      {ErrorCode::kMethodNotAllowed, 405, "method-not-allowed"},
      {ErrorCode::kIdempotencyKeyMissing, 400, "idempotency-key-missing"},
      {ErrorCode::kIdempotencyKeyInvalid, 400, "idempotency-key-invalid"},
      {ErrorCode::kIdempotencyInProgress, 409, "idempotency-in-progress"},
      {ErrorCode::kIdempotencyKeyReused, 422, "idempotency-key-reused"},
      {ErrorCode::kSoldOut, 409, "sold-out"},
      {ErrorCode::kInvalidState, 409, "invalid-state"},
      {ErrorCode::kEmailTaken, 409, "email-taken"},
      {ErrorCode::kPayloadTooLarge, 413, "payload-too-large"},
      {ErrorCode::kUnsupportedMediaType, 415, "unsupported-media-type"},
      {ErrorCode::kServiceUnavailable, 503, "service-unavailable"},
      {ErrorCode::kInternal, 500, "internal"},
  };
  return rows;
}

boost::json::object Body(const Response& r) { return boost::json::parse(r.body).as_object(); }

TEST(Problem, MapsEveryErrorCodeInTheApiTableToItsStatusAndSlug) {
  for (const Row& row : ApiTable()) {
    ProblemType t = ProblemFor(row.code);
    EXPECT_EQ(t.status, row.status) << row.slug;
    EXPECT_EQ(t.slug, row.slug);
    EXPECT_FALSE(t.title.empty()) << row.slug;
  }
}

TEST(Problem, MapsHeaderTooLargeTo431) {
  ProblemType t = ProblemFor(ErrorCode::kHeaderTooLarge);
  EXPECT_EQ(t.status, 431);
  EXPECT_FALSE(t.slug.empty());
}

TEST(Problem, GivesEveryCodeADistinctSlug) {
  std::set<std::string_view> slugs;
  int n = 0;
  for (int c = static_cast<int>(ErrorCode::kInvalidRequest); c <= static_cast<int>(ErrorCode::kInternal); ++c, ++n) {
    slugs.insert(ProblemFor(static_cast<ErrorCode>(c)).slug);
  }
  EXPECT_EQ(slugs.size(), static_cast<std::size_t>(n));
}

TEST(Problem, RendersAnRfc9457Body) {
  Response r = ProblemResponse(ApiError(ErrorCode::kSoldOut, "only 2 seats left"), "corr-123");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = Body(r);
  EXPECT_EQ(body.at("type").as_string(), "/problems/sold-out");
  EXPECT_EQ(body.at("title").as_string(), std::string(ProblemFor(ErrorCode::kSoldOut).title));
  EXPECT_EQ(body.at("status").as_int64(), 409);
  EXPECT_EQ(body.at("detail").as_string(), "only 2 seats left");
  EXPECT_EQ(body.at("correlation_id").as_string(), "corr-123");
  EXPECT_FALSE(body.contains("errors"));
  EXPECT_TRUE(r.Header("Retry-After").empty());
  EXPECT_TRUE(r.Header("Allow").empty());
}

TEST(Problem, BodyStatusMatchesResponseStatusForEveryCode) {
  for (const Row& row : ApiTable()) {
    Response r = ProblemResponse(row.code, "d", "c");
    EXPECT_EQ(r.status, row.status) << row.slug;
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto body = Body(r);
    EXPECT_EQ(body.at("status").as_int64(), row.status);
    EXPECT_EQ(body.at("type").as_string(), "/problems/" + std::string(row.slug));
  }
}

TEST(Problem, ListsFieldErrorsInOrder) {
  ApiError e(ErrorCode::kInvalidRequest, "invalid booking",
             {{"flight_id", "required"}, {"passengers[0].given_name", "must not be empty"}});
  auto body = Body(ProblemResponse(e, "c1"));
  ASSERT_TRUE(body.contains("errors"));
  const auto& errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("field").as_string(), "flight_id");
  EXPECT_EQ(errors[0].at("message").as_string(), "required");
  EXPECT_EQ(errors[1].at("field").as_string(), "passengers[0].given_name");
  EXPECT_EQ(errors[1].at("message").as_string(), "must not be empty");
}

TEST(Problem, SetsRetryAfterWhenGiven) {
  ApiError e(ErrorCode::kIdempotencyInProgress, "still running");
  e.RetryIn(std::chrono::seconds(2));
  Response r = ProblemResponse(e, "c");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.Header("Retry-After"), "2");
}

TEST(Problem, SetsAllowForMethodNotAllowed) {
  Response r = MethodNotAllowedResponse("no", "GET, POST", "c");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, POST");
}

TEST(Problem, EscapesDetailAndCorrelationIdAsJson) {
  Response r = ProblemResponse(ErrorCode::kInvalidRequest, "quote \" and newline \n", "c\"1");
  auto body = Body(r);  // would throw if the JSON were broken
  EXPECT_EQ(body.at("detail").as_string(), "quote \" and newline \n");
  EXPECT_EQ(body.at("correlation_id").as_string(), "c\"1");
}

TEST(Problem, TheIdempotencyRendererStoresTheProblemResponsesExactStatusAndBody) {
  ApiError e(ErrorCode::kInvalidState, "the booking has expired");
  Response r = ProblemResponse(e, "corr-9");
  idempotency::StoredResponse stored = handlers::RenderProblem(e, "corr-9");
  EXPECT_EQ(stored.status, r.status);
  EXPECT_EQ(stored.body, r.body);
}

}  // namespace
}  // namespace rihla::http
