#include "http/pipeline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "observability/correlation.hpp"

namespace rihla::http {
namespace {

class FakeAuth : public domain::CredentialResolver {
 public:
  std::string UserForToken(std::string_view token) override {
    ++lookups;
    return token == "good-token" ? "u1" : "";
  }
  bool IsAdminToken(std::string_view token) const override { return token == "admin-token"; }
  int lookups = 0;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

bool LooksLikeUuidV4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
  }
  return s[14] == '4';
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest()
      : log_file_(std::tmpfile()),
        logger_(LogLevel::kDebug, log_file_.get()),
        pipeline_(router_, logger_, metrics_, auth_, std::chrono::seconds(10)) {
    Add("GET", "/healthz", Auth::kNone, false, /*runs_inline=*/true);
    Add("GET", "/v1/flights/{id}", Auth::kNone, false, false);
    Add("GET", "/v1/bookings", Auth::kUser, false, false);
    Add("POST", "/v1/bookings", Auth::kUser, true, false);
    Add("GET", "/v1/bookings/{id}", Auth::kUser, false, false);
    Add("POST", "/v1/admin/flights", Auth::kAdmin, true, false);
    Route boom;
    boom.method = "GET";
    boom.pattern = "/boom/{kind}";
    boom.handler = [](RequestContext&, const Request&, const PathParams& params) -> Response {
      if (Param(params, "kind") == "storage") throw StorageUnavailable("connection refused to db:5432");
      if (Param(params, "kind") == "api") throw ApiError(ErrorCode::kSoldOut, "no seats");
      if (Param(params, "kind") == "later") throw NotReady(std::chrono::milliseconds(40));
      throw std::runtime_error("secret internal detail");
    };
    router_.Add(std::move(boom));
  }

  void Add(std::string method, std::string pattern, Auth auth, bool json_body, bool runs_inline) {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.auth = auth;
    r.json_body = json_body;
    r.runs_inline = runs_inline;
    r.handler = [this](RequestContext& ctx, const Request&, const PathParams& params) {
      ++handler_calls_;
      last_user_ = ctx.user_id;
      last_principal_ = ctx.principal;
      last_id_param_ = std::string(Param(params, "id"));
      return JsonResponse(200, R"({"ok":true})");
    };
    router_.Add(std::move(r));
  }

  static Request Req(std::string method, std::string path,
                     std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.path = path;
    r.target = std::move(path);
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
  }

  // Runs a request through Begin, Execute (if needed) and Finish.
  Response Run(Request req) {
    Exchange ex;
    ex.request = std::move(req);
    pipeline_.Begin(ex);
    if (!ex.response) pipeline_.Execute(ex);
    return pipeline_.Finish(ex);
  }

  // Everything the logger wrote so far, one entry per line.
  std::vector<boost::json::object> LogLines() {
    logger_.Flush();
    std::string text;
    char buf[4096];
    off_t off = 0;
    for (;;) {
      ssize_t n = pread(fileno(log_file_.get()), buf, sizeof buf, off);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      off += n;
    }
    std::vector<boost::json::object> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty()) continue;
      raw_log_ += line + "\n";
      lines.push_back(boost::json::parse(line).as_object());
    }
    return lines;
  }

  // The access log lines ("msg": "request").
  std::vector<boost::json::object> AccessLines() {
    std::vector<boost::json::object> out;
    for (auto& l : LogLines()) {
      if (l.contains("msg") && l.at("msg").as_string() == "request") out.push_back(std::move(l));
    }
    return out;
  }

  static boost::json::object Body(const Response& r) { return boost::json::parse(r.body).as_object(); }

  // Declared before logger_ so that it is closed only after the logger's writer thread stopped.
  std::unique_ptr<std::FILE, FileCloser> log_file_;
  Router router_;
  Logger logger_;
  Metrics metrics_;
  FakeAuth auth_;
  Pipeline pipeline_;
  int handler_calls_ = 0;
  std::string last_user_, last_principal_, last_id_param_;
  std::string raw_log_;
};

TEST_F(PipelineTest, BeginAnswersAnUnknownPathWith404Problem) {
  Exchange ex;
  ex.request = Req("GET", "/nope", {{"x-correlation-id", "cid-404"}});
  pipeline_.Begin(ex);
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->status, 404);
  EXPECT_EQ(ex.response->content_type, "application/problem+json");
  auto body = Body(*ex.response);
  EXPECT_EQ(body.at("type").as_string(), "/problems/not-found");
  EXPECT_EQ(body.at("correlation_id").as_string(), "cid-404");
  EXPECT_EQ(ex.ctx.route_template, "unmatched");
}

TEST_F(PipelineTest, BeginAnswersAWrongMethodWith405AndAllow) {
  Exchange ex;
  ex.request = Req("DELETE", "/v1/bookings");
  pipeline_.Begin(ex);
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->status, 405);
  EXPECT_EQ(ex.response->Header("Allow"), "GET, POST");
  EXPECT_EQ(Body(*ex.response).at("type").as_string(), "/problems/method-not-allowed");
  EXPECT_EQ(ex.ctx.route_template, "/v1/bookings");
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, BeginRejectsAJsonRouteWithoutJsonContentType) {
  for (const char* ct : {"", "text/plain", "application/x-www-form-urlencoded", "application/jsonp"}) {
    Exchange ex;
    ex.request = Req("POST", "/v1/bookings", {{"authorization", "Bearer good-token"}}, R"({"a":1})");
    if (*ct) ex.request.headers.emplace_back("content-type", ct);
    pipeline_.Begin(ex);
    ASSERT_TRUE(ex.response) << "content-type: " << ct;
    EXPECT_EQ(ex.response->status, 415) << "content-type: " << ct;
    EXPECT_EQ(Body(*ex.response).at("type").as_string(), "/problems/unsupported-media-type");
  }
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, BeginAcceptsJsonContentTypeWithParametersAndAnyCase) {
  for (const char* ct : {"application/json", "application/json; charset=utf-8", "Application/JSON"}) {
    Exchange ex;
    ex.request = Req("POST", "/v1/bookings", {{"content-type", ct}, {"authorization", "Bearer good-token"}}, "{}");
    pipeline_.Begin(ex);
    EXPECT_FALSE(ex.response) << "content-type: " << ct;
  }
}

TEST_F(PipelineTest, BeginRunsInlineRoutesOnTheSpot) {
  Exchange ex;
  ex.request = Req("GET", "/healthz");
  pipeline_.Begin(ex);
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->status, 200);
  EXPECT_EQ(handler_calls_, 1);
}

TEST_F(PipelineTest, BeginLeavesWorkerRoutesForExecute) {
  Exchange ex;
  ex.request = Req("GET", "/v1/flights/fl_7");
  pipeline_.Begin(ex);
  EXPECT_FALSE(ex.response);
  EXPECT_EQ(handler_calls_, 0);
  pipeline_.Execute(ex);
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->status, 200);
  EXPECT_EQ(last_id_param_, "fl_7");
  EXPECT_EQ(ex.ctx.route_template, "/v1/flights/{id}");
}

// A handler whose answer is not ready leaves no response, only the wait: the transport parks
// the request off the worker and calls Execute again.
TEST_F(PipelineTest, ExecuteHandsANotReadyHandlerBackWithItsParkTime) {
  Exchange ex;
  ex.request = Req("GET", "/boom/later");
  pipeline_.Begin(ex);
  pipeline_.Execute(ex);
  EXPECT_FALSE(ex.response);
  ASSERT_TRUE(ex.park_for);
  EXPECT_EQ(ex.park_for->count(), 40);
}

TEST_F(PipelineTest, FinishEchoesAValidIncomingCorrelationId) {
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", "abc-123.X_y:z"}}));
  EXPECT_EQ(r.Header("X-Correlation-ID"), "abc-123.X_y:z");
}

TEST_F(PipelineTest, FinishReplacesACorrelationIdWithASpaceByAUuid) {
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", "bad id"}}));
  std::string_view id = r.Header("X-Correlation-ID");
  EXPECT_NE(id, "bad id");
  EXPECT_TRUE(LooksLikeUuidV4(id)) << id;
}

TEST_F(PipelineTest, FinishReplacesA129CharacterCorrelationIdByAUuid) {
  std::string long_id(129, 'a');
  Response r = Run(Req("GET", "/nope", {{"x-correlation-id", long_id}}));
  std::string_view id = r.Header("X-Correlation-ID");
  EXPECT_TRUE(LooksLikeUuidV4(id)) << id;
  EXPECT_EQ(Body(r).at("correlation_id").as_string(), id);
  EXPECT_EQ(r.body.find(long_id), std::string::npos);
}

TEST_F(PipelineTest, FinishFallsBackToXRequestId) {
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-request-id", "req-42"}}));
  EXPECT_EQ(r.Header("X-Correlation-ID"), "req-42");
  Response r2 = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", "bad id"}, {"x-request-id", "req-43"}}));
  EXPECT_EQ(r2.Header("X-Correlation-ID"), "req-43");
}

TEST_F(PipelineTest, FinishGeneratesADifferentIdForEachRequestWithoutOne) {
  Response a = Run(Req("GET", "/v1/flights/fl_1"));
  Response b = Run(Req("GET", "/v1/flights/fl_1"));
  EXPECT_TRUE(LooksLikeUuidV4(a.Header("X-Correlation-ID")));
  EXPECT_NE(a.Header("X-Correlation-ID"), b.Header("X-Correlation-ID"));
}

TEST_F(PipelineTest, FinishSetsExactlyOneCorrelationHeader) {
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", "one"}}));
  int n = 0;
  for (const auto& [k, v] : r.headers) n += k == "X-Correlation-ID";
  EXPECT_EQ(n, 1);
}

TEST_F(PipelineTest, ExecuteAnswersAUserRouteWithoutBearerTokenWith401) {
  Exchange ex;
  ex.request = Req("GET", "/v1/bookings");
  pipeline_.Begin(ex);
  ASSERT_FALSE(ex.response);
  pipeline_.Execute(ex);
  ASSERT_TRUE(ex.response);
  EXPECT_EQ(ex.response->status, 401);
  EXPECT_EQ(Body(*ex.response).at("type").as_string(), "/problems/unauthorized");
  EXPECT_EQ(handler_calls_, 0);
  EXPECT_EQ(auth_.lookups, 0);
}

TEST_F(PipelineTest, ExecuteRejectsMalformedAuthorizationHeaders) {
  for (const char* h : {"good-token", "Basic good-token", "Bearer ", "Bearer", "Token good-token"}) {
    Response r = Run(Req("GET", "/v1/bookings", {{"authorization", h}}));
    EXPECT_EQ(r.status, 401) << h;
  }
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, ExecuteAnswersAnUnknownBearerTokenWith401) {
  Response r = Run(Req("GET", "/v1/bookings", {{"authorization", "Bearer wrong-token"}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(auth_.lookups, 1);
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, ExecuteRunsTheHandlerAsTheTokensUser) {
  Response r = Run(Req("GET", "/v1/bookings/bk_1", {{"authorization", "bearer good-token"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(handler_calls_, 1);
  EXPECT_EQ(last_user_, "u1");
  EXPECT_EQ(last_principal_, "user:u1");
  EXPECT_EQ(last_id_param_, "bk_1");
}

TEST_F(PipelineTest, ExecuteRequiresTheAdminTokenOnAdminRoutes) {
  auto req = [](const char* auth) {
    return Req("POST", "/v1/admin/flights", {{"content-type", "application/json"}, {"authorization", auth}}, "{}");
  };
  EXPECT_EQ(Run(req("Bearer good-token")).status, 401);
  EXPECT_EQ(Run(req("")).status, 401);
  EXPECT_EQ(handler_calls_, 0);
  EXPECT_EQ(Run(req("Bearer admin-token")).status, 200);
  EXPECT_EQ(last_principal_, "admin");
}

TEST_F(PipelineTest, ExecuteMapsStorageUnavailableTo503WithRetryAfter) {
  Response r = Run(Req("GET", "/boom/storage"));
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.Header("Retry-After").empty());
  EXPECT_EQ(r.body.find("5432"), std::string::npos) << r.body;
}

TEST_F(PipelineTest, ExecuteMapsApiErrorsThrownByHandlers) {
  Response r = Run(Req("GET", "/boom/api"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Body(r).at("type").as_string(), "/problems/sold-out");
}

TEST_F(PipelineTest, ExecuteHidesUnexpectedExceptionsBehindA500) {
  Response r = Run(Req("GET", "/boom/other", {{"x-correlation-id", "cid-500"}}));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body.find("secret internal detail"), std::string::npos) << r.body;
  EXPECT_EQ(Body(r).at("correlation_id").as_string(), "cid-500");
}

TEST_F(PipelineTest, OverloadedAnswers503WithRetryAfter) {
  Exchange ex;
  ex.request = Req("GET", "/v1/flights/fl_1");
  pipeline_.Begin(ex);
  pipeline_.Overloaded(ex);
  Response r = pipeline_.Finish(ex);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, ARequestThatWaitedInTheQueuePastItsDeadlineIsShedWithoutRunning) {
  Exchange ex;
  ex.request = Req("GET", "/v1/flights/fl_1");
  pipeline_.Begin(ex);
  ASSERT_FALSE(ex.response.has_value()) << "this route needs a worker";
  ex.ctx.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);  // queued too long
  pipeline_.Execute(ex);
  Response r = pipeline_.Finish(ex);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(handler_calls_, 0);
}

TEST_F(PipelineTest, ProblemBodiesCarryTheResponseCorrelationId) {
  Response r = Run(Req("GET", "/v1/bookings", {{"x-request-id", "rid-7"}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r).at("correlation_id").as_string(), "rid-7");
  EXPECT_EQ(r.Header("X-Correlation-ID"), "rid-7");
}

TEST_F(PipelineTest, AccessLogLineHasMethodRouteStatusDurationAndCorrelationId) {
  Run(Req("GET", "/v1/flights/fl_9", {{"x-correlation-id", "cid-log-1"}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  const auto& l = lines[0];
  EXPECT_EQ(l.at("method").as_string(), "GET");
  EXPECT_EQ(l.at("route").as_string(), "/v1/flights/{id}");  // the template, not the concrete path
  EXPECT_EQ(l.at("status").as_int64(), 200);
  ASSERT_TRUE(l.contains("duration_ms"));
  EXPECT_TRUE(l.at("duration_ms").is_number());
  EXPECT_GE(l.at("duration_ms").to_number<double>(), 0.0);
  EXPECT_EQ(l.at("correlation_id").as_string(), "cid-log-1");
  EXPECT_EQ(raw_log_.find("fl_9"), std::string::npos) << raw_log_;
}

TEST_F(PipelineTest, AccessLogRecordsErrorStatusesAndUnmatchedRoutes) {
  Run(Req("GET", "/v1/bookings", {{"x-correlation-id", "cid-401"}}));
  Run(Req("GET", "/does/not/exist", {{"x-correlation-id", "cid-404"}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 2u) << raw_log_;
  EXPECT_EQ(lines[0].at("status").as_int64(), 401);
  EXPECT_EQ(lines[0].at("route").as_string(), "/v1/bookings");
  EXPECT_EQ(lines[0].at("correlation_id").as_string(), "cid-401");
  EXPECT_EQ(lines[1].at("status").as_int64(), 404);
  EXPECT_EQ(lines[1].at("route").as_string(), "unmatched");
  EXPECT_EQ(lines[1].at("correlation_id").as_string(), "cid-404");
}

TEST_F(PipelineTest, AccessLogNeverContainsAnInvalidRawCorrelationId) {
  const std::string raw = "evil id\",\"injected\":\"yes";
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", raw}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  EXPECT_EQ(lines[0].at("correlation_id").as_string(), r.Header("X-Correlation-ID"));
  EXPECT_FALSE(lines[0].contains("injected"));
  EXPECT_EQ(raw_log_.find("evil id"), std::string::npos) << raw_log_;
}

TEST_F(PipelineTest, AccessLogNeverContainsAnOverlongRawCorrelationId) {
  const std::string raw(129, 'z');
  Response r = Run(Req("GET", "/v1/flights/fl_1", {{"x-correlation-id", raw}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  EXPECT_EQ(lines[0].at("correlation_id").as_string(), r.Header("X-Correlation-ID"));
  EXPECT_EQ(raw_log_.find(raw), std::string::npos);
}

TEST_F(PipelineTest, UnexpectedErrorsAreLoggedWithTheRequestsCorrelationId) {
  Run(Req("GET", "/boom/other", {{"x-correlation-id", "cid-err"}}));
  auto lines = LogLines();
  int with_id = 0;
  for (const auto& l : lines) with_id += l.contains("correlation_id") && l.at("correlation_id").as_string() == "cid-err";
  EXPECT_GE(with_id, 2) << raw_log_;  // the error line and the access line
}

TEST_F(PipelineTest, ValidTraceparentIsLoggedAsTraceId) {
  Run(Req("GET", "/v1/flights/fl_1",
          {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  ASSERT_TRUE(lines[0].contains("trace_id")) << raw_log_;
  EXPECT_EQ(lines[0].at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_F(PipelineTest, InvalidTraceparentIsIgnored) {
  Run(Req("GET", "/v1/flights/fl_1",
          {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}));
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  EXPECT_FALSE(lines[0].contains("trace_id")) << raw_log_;
}

TEST_F(PipelineTest, MetricsCountRequestsByRouteTemplateAndStatus) {
  Run(Req("GET", "/v1/flights/fl_1"));
  Run(Req("GET", "/v1/flights/fl_2"));
  std::string text = metrics_.Render();
  EXPECT_NE(text.find("route=\"/v1/flights/{id}\""), std::string::npos) << text;
  EXPECT_NE(text.find("status=\"200\""), std::string::npos) << text;
  EXPECT_EQ(text.find("fl_1"), std::string::npos) << text;
}

TEST_F(PipelineTest, RejectUnparsedAnswersWithAFinishedProblem) {
  Request partial = Req("POST", "/v1/bookings", {{"x-correlation-id", "cid-413"}});
  Response r = pipeline_.RejectUnparsed(ErrorCode::kPayloadTooLarge, "too big", partial);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("X-Correlation-ID"), "cid-413");
  EXPECT_EQ(Body(r).at("correlation_id").as_string(), "cid-413");
  auto lines = AccessLines();
  ASSERT_EQ(lines.size(), 1u) << raw_log_;
  EXPECT_EQ(lines[0].at("route").as_string(), "unparsed");
  EXPECT_EQ(lines[0].at("status").as_int64(), 413);
}

}  // namespace
}  // namespace rihla::http
