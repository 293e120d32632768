// rihla on a Redis Cluster and on Redis under Sentinel, each started for the test by
// scripts/services.sh (support/redis_topology.hpp), under rihla-check's load of searches and
// bookings across two instances: a slot migration of the hottest route, the death of a Cluster
// primary, and a Sentinel failover. Every run must show zero stale reads and zero 5xx.
// ctest runs ClusterTopology.* in the cluster.* group and SentinelTopology.* in sentinel.*.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "support/api.hpp"
#include "support/check_run.hpp"
#include "support/redis_topology.hpp"

namespace rihla::test {
namespace {

using Clock = std::chrono::steady_clock;

long long MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

bool ProcessGone(int pid) { return ::kill(pid, 0) != 0; }

std::string CacheStatus(int port) {
  try {
    HttpClient client(port, 2000);
    return Str(client.Get("/readyz").Json().at("checks").at("cache"));
  } catch (const std::exception&) {
    return "unreachable";
  }
}

// A new route's search twice on `port`: the second is a HIT only if Redis stored the first.
bool SearchIsCachedInRedis(int port, const std::string& to, int days) {
  HttpClient client(port);
  std::string q = "/v1/flights/search?from=RUH&to=" + to + "&date=" + FutureDate(days);
  client.Get(q);
  return client.Get(q).Header("x-cache") == "HIT";
}

void ExpectCleanRun(const CheckRun& run) {
  std::cout << run.output;
  ExpectNoViolations(run);
  EXPECT_EQ(ServerErrors(run), 0) << boost::json::serialize(run.report.at("ops"));
  for (const auto& f : run.report.at("faults").as_array()) EXPECT_EQ(f.at("exit_status").as_int64(), 0) << f;
  EXPECT_GT(run.report.at("ops").at("book").at("count").as_int64(), 0);
  EXPECT_GT(run.report.at("ops").at("search").at("count").as_int64(), 0);
}

std::vector<std::string> TwoTargets(const ServerProcess& a, const ServerProcess& b, const std::string& seconds) {
  return {"--target", Url(a), "--target", Url(b), "--duration", seconds, "--concurrency", "16",
          "--log", a.dir() + "/server.log", "--log", b.dir() + "/server.log"};
}

class ClusterTopology : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisTopology() != "cluster") GTEST_SKIP() << "runs in the cluster.* group (RIHLA_TEST_REDIS_TOPOLOGY=cluster)";
    cluster_ = std::make_unique<PrivateRedis>("redis-cluster");
    env_ = {{"RIHLA_REDIS_URL", cluster_->Env("RIHLA_TEST_REDIS_CLUSTER_URL")}};
  }
  std::unique_ptr<PrivateRedis> cluster_;
  std::map<std::string, std::string> env_;
};

// The hottest route's slot moves to another primary while the load runs (ASK during the
// migration, MOVED after it, TRYAGAIN for the split multi-key commands).
TEST_F(ClusterTopology, SlotMigrationOfTheHottestRouteServesNoStaleReadAndNo5xx) {
  ServerProcess a(ServerConfig{.env = env_});
  ServerProcess b(ServerConfig{.database_url = a.database_url(), .env = env_, .seed_days = -1});
  std::string migrate = std::string(RIHLA_SOURCE_DIR) + "/tests/support/redis-cluster-migrate-slot.sh " +
                        cluster_->Env("RIHLA_TEST_REDIS_CLUSTER_PORTS");
  auto args = TwoTargets(a, b, "14");
  args.insert(args.end(), {"--fault", "at=3s cmd=" + migrate, "--seed", "21"});
  CheckRun run = RunChecker(a.dir(), args);
  ExpectCleanRun(run);
  ASSERT_EQ(run.report.at("faults").as_array().size(), 1u);
  // Both instances still use the Cluster afterwards.
  EXPECT_EQ(CacheStatus(a.port()), "ok");
  EXPECT_EQ(CacheStatus(b.port()), "ok");
  EXPECT_TRUE(SearchIsCachedInRedis(a.port(), "DMM", 3));
}

// One of the three primaries (no replicas) is SIGKILLed mid-run: its slots are gone, so the
// instances degrade as for an unreachable Redis (docs/API.md): searches answer from the
// database, writes succeed within the epoch lease, nothing stale is served. Then the node is
// restarted (empty, with its slots) and both instances use the Cluster again.
TEST_F(ClusterTopology, APrimaryDeathDegradesToTheDatabaseWithoutStaleReads) {
  ServerProcess a(ServerConfig{.env = env_});
  ServerProcess b(ServerConfig{.database_url = a.database_url(), .env = env_, .seed_days = -1});
  auto pids = Words(cluster_->Env("RIHLA_TEST_REDIS_CLUSTER_PIDS"));
  ASSERT_EQ(pids.size(), 3u);
  const int victim = std::stoi(pids[1]);
  auto args = TwoTargets(a, b, "10");
  args.insert(args.end(), {"--fault", "at=3s cmd=kill -9 " + pids[1], "--seed", "23"});
  CheckRun run;
  std::thread checker([&] { run = RunChecker(a.dir(), args); });

  // While the primary is dead: degraded, and a booking and searches answer from the database.
  bool killed = Eventually([&] { return ProcessGone(victim); }, 15000);
  bool degraded = Eventually([&] { return CacheStatus(a.port()) == "degraded"; }, 5000);
  HttpClient client(b.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "RUH", "AHB", 5, "100.00", 4).at("id"));
  std::string q = "/v1/flights/search?from=RUH&to=AHB&date=" + FutureDate(4);
  long long seats_before = SeatsInSearch(client, q, flight);
  auto start = Clock::now();
  int booked = Book(client, user, flight, "after-primary-death").status;
  long long book_ms = MsSince(start);
  HttpClient other(a.port());
  long long seats_b = SeatsInSearch(client, q, flight), seats_a = SeatsInSearch(other, q, flight);

  std::string restart = "setsid redis-server " + cluster_->state_dir() +
                        "/redis_cluster/node1/redis.conf </dev/null >/dev/null 2>&1 &";
  ASSERT_EQ(std::system(restart.c_str()), 0);
  checker.join();
  ExpectCleanRun(run);
  ASSERT_TRUE(killed);
  EXPECT_TRUE(degraded);
  EXPECT_EQ(seats_before, 5);
  EXPECT_EQ(booked, 201);
  EXPECT_LT(book_ms, 3000) << "a write waits out the epoch lease at most";
  EXPECT_EQ(seats_b, 4);
  EXPECT_EQ(seats_a, 4);
  // The node is back (empty): both instances recover and cache again.
  EXPECT_TRUE(Eventually([&] { return CacheStatus(a.port()) == "ok" && CacheStatus(b.port()) == "ok"; }, 15000));
  EXPECT_TRUE(SearchIsCachedInRedis(a.port(), "DMM", 3));
  EXPECT_EQ(SeatsInSearch(other, q, flight), 4);
}

// Primary + replica + 3 sentinels; the primary is SIGKILLed mid-run. The sentinels promote
// the replica; both instances must be using it within 2 s of the promotion.
TEST(SentinelTopology, FailoverIsFollowedWithinTwoSecondsWithoutStaleReads) {
  if (RedisTopology() != "sentinel") GTEST_SKIP() << "runs in the sentinel.* group (RIHLA_TEST_REDIS_TOPOLOGY=sentinel)";
  PrivateRedis redis("redis-sentinel");
  std::map<std::string, std::string> env{{"RIHLA_REDIS_URL", redis.Env("RIHLA_TEST_REDIS_SENTINEL_URL")},
                                         {"RIHLA_REDIS_WAIT_REPLICAS", "1"}};
  ServerProcess a(ServerConfig{.env = env});
  ServerProcess b(ServerConfig{.database_url = a.database_url(), .env = env, .seed_days = -1});
  ASSERT_TRUE(SearchIsCachedInRedis(a.port(), "DMM", 2));
  const int primary_pid = std::stoi(redis.Env("RIHLA_TEST_REDIS_SENTINEL_PRIMARY_PID"));
  const std::string primary_port = redis.Env("RIHLA_TEST_REDIS_SENTINEL_PRIMARY_PORT");
  const std::string replica_port = redis.Env("RIHLA_TEST_REDIS_SENTINEL_REPLICA_PORT");
  const auto sentinels = Words(redis.Env("RIHLA_TEST_REDIS_SENTINEL_PORTS"));

  // Until a replica is attached again after the failover, WAIT 1 cannot succeed and every write
  // waits out the epoch lease; the old primary is restarted once rihla followed, as an operator
  // would, and the sentinels make it the new primary's replica.
  auto args = TwoTargets(a, b, "10");
  args.insert(args.end(), {"--fault", "at=3s cmd=kill -9 " + std::to_string(primary_pid), "--seed", "25"});
  CheckRun run;
  std::thread checker([&] { run = RunChecker(a.dir(), args); });

  // Kill -> promotion (a sentinel names the replica) -> both instances use Redis again.
  bool killed = Eventually([&] { return ProcessGone(primary_pid); }, 15000);
  auto killed_at = Clock::now();
  bool promoted = Eventually(
      [&] {
        for (const auto& s : sentinels) {
          try {
            auto addr = RedisCommand(std::stoi(s), {"SENTINEL", "get-master-addr-by-name", "rihla"});
            if (addr.size() == 2 && addr[1] == replica_port) return true;
          } catch (const std::exception&) {
          }
        }
        return false;
      },
      30000);
  long long failover_ms = MsSince(killed_at);
  auto promoted_at = Clock::now();
  bool followed = Eventually([&] { return CacheStatus(a.port()) == "ok" && CacheStatus(b.port()) == "ok"; }, 10000);
  long long follow_ms = MsSince(promoted_at);
  std::string restart = "setsid redis-server " + redis.state_dir() +
                        "/redis_sentinel/primary/redis.conf </dev/null >/dev/null 2>&1 &";
  ASSERT_EQ(std::system(restart.c_str()), 0);
  bool rejoined = Eventually(
      [&] {
        try {
          return RedisCommand(std::stoi(primary_port), {"ROLE"}).front() == "slave";
        } catch (const std::exception&) {
          return false;
        }
      },
      15000);
  checker.join();
  std::cout << "failover (kill -> promotion): " << failover_ms << " ms; rihla followed " << follow_ms
            << " ms after the promotion\n";
  ASSERT_TRUE(killed);
  ASSERT_TRUE(promoted) << "the sentinels did not promote the replica";
  EXPECT_TRUE(followed);
  EXPECT_TRUE(rejoined) << "the restarted old primary did not become a replica";
  EXPECT_LE(follow_ms, 2000);
  ExpectCleanRun(run);
  // Writes during the failover waited at most the epoch lease (about 1 s) more than usual.
  EXPECT_LT(run.report.at("ops").at("book").at("p999_ms").to_number<double>(), 3000.0);
  // Redis is the promoted replica now, and it caches.
  EXPECT_NE(replica_port, primary_port);
  EXPECT_TRUE(SearchIsCachedInRedis(a.port(), "AHB", 5));
  EXPECT_TRUE(SearchIsCachedInRedis(b.port(), "TUU", 5));
  EXPECT_EQ(RedisCommand(std::stoi(replica_port), {"ROLE"}).front(), "master");
}

}  // namespace
}  // namespace rihla::test
