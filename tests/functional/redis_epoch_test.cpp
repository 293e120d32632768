// Invalidations Redis did not confirm (issue 8 §3, contract v1.1): the write still succeeds, but
// answers only once no instance can serve an entry from before it (the cache epoch lease), with
// at most 2 s of extra latency; searches that cannot be checked come from the database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "cache/redis_client.hpp"
#include "support/api.hpp"

namespace rihla::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

long long ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// One admin command to the test Redis on its own connection; fails the test on error.
void RedisAdmin(const std::vector<std::string>& args) {
  cache::RedisClient client(cache::ParseRedisUrl(Env("RIHLA_TEST_REDIS_URL")), milliseconds(1000),
                            milliseconds(5000), 1);
  std::string error;
  auto conn = client.Connect(error);
  ASSERT_TRUE(conn) << error;
  cache::RedisClient::Reply reply;
  bool ok = client.Exec(*conn, args, reply, error);
  client.Release(*conn, ok);
  ASSERT_TRUE(ok) << args[0] << " " << args[1] << ": " << error;
}

class RedisEpochTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("RIHLA_TEST_REDIS_URL").empty()) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set";
  }
  static ServerConfig WithRedis(std::string database_url = "", std::map<std::string, std::string> extra = {}) {
    extra["RIHLA_REDIS_URL"] = Env("RIHLA_TEST_REDIS_URL");
    int seed_days = database_url.empty() ? 0 : -1;  // seed only the first instance's database
    return ServerConfig{.database_url = std::move(database_url), .env = std::move(extra), .seed_days = seed_days};
  }
};

// Redis paused for writes (as failover and Sentinel do): the write on A cannot bump the
// generation; it answers 201 within 2 s more than a normal booking, and B, which still reads
// Redis, never serves its warm entry from before the write.
TEST_F(RedisEpochTest, AWriteDuringAClientPauseAnswersSoonAndNoInstanceServesTheOldEntry) {
  ServerProcess a(WithRedis());
  ServerProcess b(WithRedis(a.database_url()));
  HttpClient writer(a.port()), reader(b.port());
  auto user = SignUp(writer);
  auto flight = Str(CreateFlight(writer, "AMM", "AHB", 50, "100.00", 17).at("id"));
  std::string q = "/v1/flights/search?from=AMM&to=AHB&date=" + FutureDate(17);
  ASSERT_EQ(SeatsInSearch(reader, q, flight), 50);
  auto start = Clock::now();
  ASSERT_EQ(Book(writer, user, flight, "before-pause").status, 201);
  long long normal_ms = ElapsedMs(start);
  ASSERT_EQ(SeatsInSearch(reader, q, flight), 49);
  ASSERT_EQ(reader.Get(q).Header("x-cache"), "HIT");

  RedisAdmin({"CLIENT", "PAUSE", "4000", "WRITE"});
  struct Unpause {
    ~Unpause() { RedisAdmin({"CLIENT", "UNPAUSE"}); }
  } unpause;
  start = Clock::now();
  auto booked = Book(writer, user, flight, "during-pause");
  long long paused_ms = ElapsedMs(start);
  EXPECT_EQ(booked.status, 201) << booked.body;
  EXPECT_LT(paused_ms, normal_ms + 2000) << "the write may take at most 2 s longer";
  EXPECT_EQ(SeatsInSearch(reader, q, flight), 48) << "B served an entry from before the write";
  EXPECT_EQ(SeatsInSearch(writer, q, flight), 48);
}

// RIHLA_REDIS_WAIT_REPLICAS=1 against a Redis without replicas: every bump is under-replicated,
// so every write waits out the epoch lease (about 1 s), and stays fresh on the other instance.
TEST_F(RedisEpochTest, TooFewReplicasCountAsNotConfirmed) {
  ServerProcess a(WithRedis("", {{"RIHLA_REDIS_WAIT_REPLICAS", "1"}}));
  ServerProcess b(WithRedis(a.database_url()));
  HttpClient writer(a.port()), reader(b.port());
  auto user = SignUp(writer);
  auto flight = Str(CreateFlight(writer, "AMM", "AJF", 50, "100.00", 18).at("id"));
  std::string q = "/v1/flights/search?from=AMM&to=AJF&date=" + FutureDate(18);
  ASSERT_EQ(SeatsInSearch(reader, q, flight), 50);
  auto start = Clock::now();
  auto booked = Book(writer, user, flight, "under-replicated");
  long long ms = ElapsedMs(start);
  EXPECT_EQ(booked.status, 201) << booked.body;
  EXPECT_GE(ms, 1000) << "the write must wait out the epoch lease";
  EXPECT_EQ(SeatsInSearch(reader, q, flight), 49);
  EXPECT_GT(MetricValue(writer, "rihla_cache_redis_errors_total"), 0);
}

// A listening socket that accepts connections (the kernel completes them) and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1024) != 0) {
      throw std::runtime_error("silent server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A Redis that accepts connections but never answers: no 5xx, searches from the database and
// fresh, and a booking within 2 s more than usual (a command timeout, then the epoch lease).
TEST(SilentRedisCache, ARedisThatNeverAnswersCostsNoErrorsAndServesNothingStale) {
  SilentServer silent;
  // The database is made first without Redis: the harness's start-up `cache purge` would fail.
  ServerProcess setup;
  std::string database_url = setup.database_url();
  setup.Terminate();
  ServerProcess server(ServerConfig{.database_url = database_url,
                                    .env = {{"RIHLA_REDIS_URL", "redis://127.0.0.1:" + std::to_string(silent.port())}},
                                    .seed_days = -1});
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "AJF", "AMM", 20, "100.00", 19).at("id"));
  std::string q = "/v1/flights/search?from=AJF&to=AMM&date=" + FutureDate(19);
  for (int i = 0; i < 3; ++i) {
    auto r = client.Get(q);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(SeatsInSearch(client, q, flight), 20);
  auto start = Clock::now();
  auto booked = Book(client, user, flight, "silent-redis");
  long long ms = ElapsedMs(start);
  EXPECT_EQ(booked.status, 201) << booked.body;
  EXPECT_LT(ms, 3000) << "a command timeout plus the 1 s epoch lease, with room for a slow build";
  EXPECT_EQ(SeatsInSearch(client, q, flight), 19);
  auto ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.Json().at("checks").at("cache"), "degraded");
}

}  // namespace
}  // namespace rihla::test
