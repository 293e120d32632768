// The HTTP core against the real binary: health, routing, limits, hostile input, correlation
// ids under concurrency, graceful shutdown.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <barrier>
#include <chrono>
#include <set>
#include <thread>

#include "support/api.hpp"
#include "support/shared_server.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace rihla::test {
namespace {

class CoreTest : public SharedServerTest<CoreTest> {
 public:
  static ServerConfig Config() { return ServerConfig{.env = {{"RIHLA_READ_TIMEOUT_MS", "1000"}}}; }
};

void ExpectProblem(const HttpResponse& r, int status, const std::string& slug) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  auto body = r.Json().as_object();
  EXPECT_EQ(body.at("type").as_string(), "/problems/" + slug);
  EXPECT_EQ(body.at("status").as_int64(), status);
  EXPECT_FALSE(body.at("title").as_string().empty());
  EXPECT_EQ(body.at("correlation_id").as_string(), r.Header("x-correlation-id"));
}

TEST_F(CoreTest, HealthzAndReadyzAnswerOk) {
  auto h = client_.Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Json().at("status").as_string(), "ok");
  auto r = client_.Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("checks").at("database").as_string(), "ok");
  EXPECT_EQ(r.Json().at("checks").at("cache").as_string(), "ok");
}

TEST_F(CoreTest, MetricsCountRequestsByRouteAndStatus) {
  client_.Get("/healthz");
  client_.Get("/v1/flights/nope-" + std::to_string(::getpid()));
  auto m = client_.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("http_requests_total{method=\"GET\",route=\"/v1/flights/{id}\",status=\"404\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\""), std::string::npos);
  EXPECT_NE(m.body.find("rihla_db_pool_size"), std::string::npos);
}

TEST_F(CoreTest, UnknownRouteIs404Problem) { ExpectProblem(client_.Get("/v1/nothing-here"), 404, "not-found"); }

TEST_F(CoreTest, WrongMethodIs405WithAllow) {
  auto r = client_.Request("DELETE", "/v1/bookings");
  ExpectProblem(r, 405, "method-not-allowed");
  EXPECT_EQ(r.Header("allow"), "POST, GET");
}

TEST_F(CoreTest, NonJsonBodyIs415) {
  auto r = client_.Request("POST", "/v1/auth/signup", "email=a", {{"Content-Type", "text/plain"}});
  ExpectProblem(r, 415, "unsupported-media-type");
}

TEST_F(CoreTest, BodyOver64KiBIs413AndServerStaysUp) {
  std::string big(70 * 1024, 'x');
  auto r = client_.PostJson("/v1/auth/signup", "{\"email\":\"" + big + "\"}");
  ExpectProblem(r, 413, "payload-too-large");
  EXPECT_EQ(HttpClient(server_->port()).Get("/healthz").status, 200);
}

TEST_F(CoreTest, HugeHeadersAre431) {
  std::string raw = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  auto r = client_.SendRaw(raw);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  EXPECT_EQ(HttpClient(server_->port()).Get("/healthz").status, 200);
}

TEST_F(CoreTest, GarbageRequestLineIs400) {
  auto r = client_.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(HttpClient(server_->port()).Get("/healthz").status, 200);
}

TEST_F(CoreTest, HostileJsonBodiesGetClear400s) {
  std::string deep(10000, '[');
  std::vector<std::string> bodies = {"{not json", deep, "\"just a string\"", "[1,2,3]",
                                     std::string("{\"email\":\"\xff\xfe\",\"password\":\"12345678\"}"),
                                     "{\"email\": 5, \"password\": []}"};
  for (const auto& body : bodies) {
    auto r = client_.PostJson("/v1/auth/signup", body);
    ExpectProblem(r, 400, "invalid-request");
  }
  EXPECT_EQ(client_.Get("/healthz").status, 200);
}

TEST_F(CoreTest, SqlLookingInputIsJustData) {
  auto r = client_.Get("/v1/flights/search?from=RUH%27%3B%20DROP%20TABLE%20flights%3B--&to=JED&date=" + FutureDate());
  ExpectProblem(r, 400, "invalid-request");
  auto f = client_.Get("/v1/flights/x'%20OR%20'1'%3D'1");
  ExpectProblem(f, 404, "not-found");
  auto login = client_.PostJson("/v1/auth/login", R"({"email":"' OR 1=1 --","password":"' OR '1'='1"})");
  ExpectProblem(login, 401, "unauthorized");
  EXPECT_EQ(client_.Get("/v1/airports").status, 200);
}

TEST_F(CoreTest, ValidCorrelationIdIsEchoedInvalidIsReplaced) {
  auto a = client_.Get("/healthz", {{"X-Correlation-ID", "abc-123_X.y:z"}});
  EXPECT_EQ(a.Header("x-correlation-id"), "abc-123_X.y:z");
  auto b = client_.Get("/healthz", {{"X-Request-ID", "req-42"}});
  EXPECT_EQ(b.Header("x-correlation-id"), "req-42");
  auto c = client_.Get("/healthz", {{"X-Correlation-ID", "bad id<script>"}, {"X-Request-ID", "req-43"}});
  EXPECT_EQ(c.Header("x-correlation-id"), "req-43");
  auto d = client_.Get("/healthz", {{"X-Correlation-ID", std::string(129, 'a')}});
  EXPECT_EQ(d.Header("x-correlation-id").size(), 36u);  // a generated UUIDv4
  EXPECT_EQ(server_->LogText().find("<script>"), std::string::npos);
  EXPECT_EQ(server_->LogText().find(std::string(129, 'a')), std::string::npos);
}

TEST_F(CoreTest, TraceparentIsLoggedAsTraceIdAndSpanId) {
  client_.Get("/healthz", {{"X-Correlation-ID", "trace-check-1"},
                           {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  client_.Get("/healthz", {{"X-Correlation-ID", "trace-check-2"},
                           {"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}});
  bool found = Eventually(
      [&] {
        for (const auto& line : server_->LogLines()) {
          if (line.contains("correlation_id") && line.at("correlation_id") == "trace-check-1") return true;
        }
        return false;
      },
      5000);
  ASSERT_TRUE(found);
  for (const auto& line : server_->LogLines()) {
    if (!line.contains("correlation_id")) continue;
    if (line.at("correlation_id") == "trace-check-1") {
      EXPECT_EQ(line.at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(line.at("span_id").as_string(), "00f067aa0ba902b7");
    }
    if (line.at("correlation_id") == "trace-check-2") {
      EXPECT_FALSE(line.contains("trace_id"));
    }
  }
}

// 200 concurrent requests with distinct ids, across threads and keep-alive connections that
// hit both the I/O-thread path and the worker path: every response and every log line carries
// its own request's id.
TEST_F(CoreTest, ConcurrentRequestsNeverMixCorrelationIds) {
  constexpr int kThreads = 20, kPerThread = 10;
  std::barrier start(kThreads);
  std::vector<std::string> mismatches;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server_->port());
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "cc-" + std::to_string(t) + "-" + std::to_string(i);
        std::string target = i % 2 ? "/v1/airports" : "/v1/flights/missing-" + id;
        auto r = c.Get(target, {{"X-Correlation-ID", id}});
        bool ok = r.Header("x-correlation-id") == id &&
                  (r.status == 200 || r.Json().at("correlation_id").as_string() == id);
        if (!ok) {
          std::lock_guard lock(mu);
          mismatches.push_back(id + " got " + r.Header("x-correlation-id"));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches, first: " << mismatches.front();

  std::map<std::string, std::string> route_of;  // id -> route in its access line
  ASSERT_TRUE(Eventually(
      [&] {
        route_of.clear();
        for (const auto& line : server_->LogLines()) {
          if (!line.contains("correlation_id") || line.at("msg") != "request") continue;
          std::string id(line.at("correlation_id").as_string());
          if (id.rfind("cc-", 0) == 0) route_of[id] = std::string(line.at("route").as_string());
        }
        return route_of.size() == kThreads * kPerThread;
      },
      10000));
  for (const auto& [id, route] : route_of) {
    int i = std::stoi(id.substr(id.rfind('-') + 1));
    EXPECT_EQ(route, i % 2 ? "/v1/airports" : "/v1/flights/{id}") << id;
  }
}

TEST_F(CoreTest, SilentClientIsDisconnectedAfterReadTimeout) {
  int fd = client_.Connect();
  std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";  // never finishes its headers
  ASSERT_GT(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), 0);
  EXPECT_TRUE(WaitForPeerClose(fd, 5000));
  ::close(fd);
  EXPECT_EQ(client_.Get("/healthz").status, 200);
}

// The bytes of the response(s) to `request` on a fresh connection, read until the server
// closes it or `timeout_ms` passes (poll with deadline).
std::string Exchange(HttpClient& client, const std::string& request, int timeout_ms = 3000) {
  int fd = client.Connect();
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string bytes;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // closed by the server
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

// The head of the first response in `bytes` (through the blank line), and what follows it.
std::pair<std::string, std::string> SplitHead(const std::string& bytes) {
  auto end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return {bytes, ""};
  return {bytes.substr(0, end + 4), bytes.substr(end + 4)};
}

// Responses are written from a hand-rendered head (server.cpp), so its framing is pinned here:
// status line per version, Connection per version and keep-alive, Content-Length for every
// response with a body (also HEAD, without the body), none for a 204.
TEST_F(CoreTest, ResponseFramingFollowsTheRequestsVersionAndMethod) {
  auto body_of_get = client_.Get("/healthz").body;
  ASSERT_FALSE(body_of_get.empty());
  const std::string length = "Content-Length: " + std::to_string(body_of_get.size()) + "\r\n";

  auto [h11, b11] = SplitHead(Exchange(client_, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(h11.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << h11;
  EXPECT_NE(h11.find("\r\nServer: rihla\r\n"), std::string::npos) << h11;
  EXPECT_NE(h11.find("\r\nConnection: close\r\n"), std::string::npos) << h11;
  EXPECT_NE(h11.find("\r\n" + length), std::string::npos) << h11;
  EXPECT_NE(h11.find("\r\nX-Correlation-ID: "), std::string::npos) << h11;
  EXPECT_EQ(b11, body_of_get) << "the body, then the server closed the connection";

  auto [h10, b10] = SplitHead(Exchange(client_, "GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(h10.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << h10;
  EXPECT_EQ(h10.find("Connection:"), std::string::npos) << "HTTP/1.0 closes by default: " << h10;
  EXPECT_EQ(b10, body_of_get);

  // HTTP/1.0 keep-alive: two requests on one connection, both answered, the connection kept.
  std::string two = "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  std::string kept = Exchange(client_, two + two, 1500);
  auto [k1, rest] = SplitHead(kept);
  EXPECT_NE(k1.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << k1;
  ASSERT_GE(rest.size(), body_of_get.size());
  auto [k2, b2] = SplitHead(rest.substr(body_of_get.size()));
  EXPECT_EQ(k2.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << "second answer on the kept connection: " << kept;
  EXPECT_EQ(b2, body_of_get);

  auto [hh, bh] = SplitHead(Exchange(client_, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(hh.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << hh;
  EXPECT_NE(hh.find("\r\n" + length), std::string::npos) << "HEAD carries the GET's length: " << hh;
  EXPECT_EQ(bh, "") << "and no body";

  auto user = SignUp(client_);
  auto [hl, bl] = SplitHead(Exchange(client_, "POST /v1/auth/logout HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                                  user.token + "\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(hl.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << hl;
  EXPECT_EQ(hl.find("Content-Length"), std::string::npos) << "a 204 has no body and no length: " << hl;
  EXPECT_EQ(bl, "");
}

TEST(Shutdown, SigtermDrainsAndExitsZero) {
  ServerProcess server;
  HttpClient idle(server.port());
  ASSERT_EQ(idle.Get("/healthz").status, 200);  // leaves an idle keep-alive connection open
  EXPECT_EQ(server.Terminate(), 0);
  auto text = server.LogText();
  EXPECT_NE(text.find("shutting down"), std::string::npos);
  EXPECT_NE(text.find("\"msg\":\"stopped\""), std::string::npos);
}

TEST(Migrations, EditedMigrationRefusesToStart) {
  if (Backend() != "sqlite") GTEST_SKIP() << "edits the SQLite file directly";
  ServerProcess server;
  server.Terminate();
  std::string path = server.database_url().substr(7);
  std::string cmd = "sqlite3 '" + path + "' \"UPDATE schema_migrations SET checksum='edited' WHERE version=1\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_THROW(server.Restart(), std::runtime_error);
  EXPECT_NE(server.LogText().find("checksum mismatch"), std::string::npos);
  EXPECT_NE(server.RunCommand({"migrate"}), 0);
}

// A flag gets the same range check as its environment variable: once a 0 sweep interval
// killed `serve` with SIGFPE and a 0 lease let every retry take over a running request.
TEST(CommandLine, FlagsAreRangeCheckedLikeTheirVariables) {
  ServerProcess server;
  for (const auto& [flag, range] : std::vector<std::pair<std::string, std::string>>{
           {"--sweep-interval-ms", "from 50 to"}, {"--idempotency-lease-seconds", "from 1 to"}}) {
    std::size_t before = server.LogText().size();
    int status = server.RunCommand({"serve", "--listen", "127.0.0.1:0", flag, "0"});
    EXPECT_GT(status, 0) << flag;
    EXPECT_LT(status, 128) << flag << ": refused with a message, not killed by a signal";
    std::string said = server.LogText().substr(before);
    EXPECT_NE(said.find(flag + " must be an integer " + range), std::string::npos) << said;
  }
}

TEST(Migrations, MigrateTwiceIsANoOp) {
  ServerProcess server;
  EXPECT_EQ(server.RunCommand({"migrate"}), 0);
  EXPECT_EQ(server.RunCommand({"migrate"}), 0);
  EXPECT_NE(server.LogText().find("\"applied\":0"), std::string::npos);
}

}  // namespace
}  // namespace rihla::test

namespace rihla::test {
namespace {

// One worker, a queue of one, and every idempotent request held 1.5 s: a burst of bookings must
// be shed with 503 + Retry-After at once instead of queueing without bound.
TEST(LoadShedding, AFullWorkerQueueAnswers503AtOnce) {
  ServerProcess server(ServerConfig{
      .env = {{"RIHLA_WORKERS", "1"}, {"RIHLA_MAX_QUEUE", "1"}, {"RIHLA_FAULT", "slow_operation"}}});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "RUH", "MCT", 20, "100.00", 2).at("id"));
  constexpr int kClients = 6;
  auto answers = Race(
      kClients, [&](int) { return server.port(); },
      [&](int i, HttpClient& c) { return Book(c, user, flight, "shed-" + std::to_string(i)); });
  int created = 0, shed = 0;
  for (const auto& a : answers) {
    if (a.status == 201) ++created;
    if (a.status == 503) {
      ++shed;
      EXPECT_EQ(a.Json().at("type"), "/problems/service-unavailable");
      EXPECT_EQ(a.Header("retry-after"), "1");
    }
  }
  EXPECT_GE(created, 1);
  EXPECT_GE(shed, 1);
  EXPECT_EQ(created + shed, kClients);
  EXPECT_EQ(SeatsAvailable(setup, flight), 20 - created);
}

// SIGTERM while a request is executing: it completes and is answered, then the process exits 0.
TEST(Shutdown, InFlightRequestFinishesBeforeExit) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", "slow_operation"}}});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "RUH", "MCT", 5, "100.00", 2).at("id"));
  auto busy = [&](int n) {
    return setup.Get("/metrics").body.find("rihla_workers_busy " + std::to_string(n) + "\n") != std::string::npos;
  };
  // A worker counts itself busy until just after it handed back its answer, so wait until the
  // set-up requests are off the workers: a busy worker after that is the booking.
  ASSERT_TRUE(Eventually([&] { return busy(0); }, 5000));
  HttpResponse answer;
  std::string error;
  std::thread in_flight([&] {
    try {
      HttpClient c(server.port());
      answer = Book(c, user, flight, "drain-me");
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // Wait until the request is held inside the server (slow_operation holds it after its claim).
  ASSERT_TRUE(Eventually([&] { return busy(1); }, 5000));
  EXPECT_EQ(server.Terminate(), 0);
  in_flight.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(answer.status, 201) << answer.body;
  EXPECT_EQ(answer.Header("connection"), "close");
}

}  // namespace
}  // namespace rihla::test
