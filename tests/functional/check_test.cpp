// rihla-check against real servers: a correct server shows no violation, a killed instance is
// ridden out, and usage errors exit 2. The figures are printed in the test output.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/api.hpp"
#include "support/check_run.hpp"

namespace rihla::test {
namespace {

TEST(RihlaCheck, FindsNoViolationAgainstOneCorrectInstance) {
  ServerProcess server;
  auto run = RunChecker(server.dir(), {"--target", Url(server), "--duration", "15", "--concurrency", "16", "--seed",
                                       "9", "--log", server.dir() + "/server.log"});
  std::cout << run.output;
  ExpectNoViolations(run);
  EXPECT_GT(run.report.at("ops").at("book").at("count").as_int64(), 0);
  EXPECT_GT(run.report.at("ops").at("search").at("count").as_int64(), 0);
  EXPECT_GT(run.report.at("ops").at("webhook").at("count").as_int64(), 0);
  EXPECT_NE(ReadFile(server.dir() + "/check-report.html").find("<svg"), std::string::npos);
  EXPECT_EQ(run.output.find("online freshness check"), std::string::npos) << "no read may look stale online either";
}

// Two instances sharing the database and Redis, for 30 s; instance 1 is killed with SIGKILL at
// 8 s and restarted on the same port as soon as it is dead (as its supervisor would), and
// Redis is restarted at 16 s when the test knows how (RIHLA_TEST_REDIS_STOP_CMD / _START_CMD).
TEST(RihlaCheck, RidesOutAnInstanceKilledAndRestartedMidRun) {
  const char* redis = std::getenv("RIHLA_TEST_REDIS_URL");
  if (redis == nullptr) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set: two instances need a shared cache";
  std::map<std::string, std::string> env{{"RIHLA_REDIS_URL", redis}};
  ServerProcess a(ServerConfig{.env = env});
  ServerProcess b(ServerConfig{.database_url = a.database_url(), .env = env, .seed_days = -1});
  std::vector<std::string> args{"--target", Url(a), "--target", Url(b), "--duration", "30", "--concurrency", "16",
                                "--seed", "11", "--log", a.dir() + "/server.log", "--log", b.dir() + "/server.log",
                                "--fault", "at=8s cmd=kill -9 " + std::to_string(a.pid())};
  const char* stop = std::getenv("RIHLA_TEST_REDIS_STOP_CMD");
  const char* start = std::getenv("RIHLA_TEST_REDIS_START_CMD");
  if (stop != nullptr && start != nullptr) {
    args.push_back("--fault");
    args.push_back(std::string("at=16s cmd=") + stop + " && " + start);
  }
  // The checker runs on its own thread; this thread is instance 1's supervisor: it waits for
  // the SIGKILL and starts it again on its port. (The restart must come from this thread: the
  // child dies with the thread that forked it, PR_SET_PDEATHSIG.)
  CheckRun run;
  std::thread checker([&] { run = RunChecker(a.dir(), args); });
  bool killed = a.WaitForKillSignal(20000);
  std::string restart_error;
  if (killed) {
    try {
      a.RestartOnSamePort();
    } catch (const std::exception& e) {
      restart_error = e.what();
    }
  }
  checker.join();
  std::cout << run.output;
  ExpectNoViolations(run);
  const auto& faults = run.report.at("faults").as_array();
  ASSERT_EQ(faults.size(), stop != nullptr && start != nullptr ? 2u : 1u);
  for (const auto& f : faults) EXPECT_EQ(f.at("exit_status").as_int64(), 0) << f;
  EXPECT_TRUE(killed);
  EXPECT_EQ(restart_error, "");
  EXPECT_TRUE(a.Running());
  // Instance 1 served again after its restart: its log has a second start and later requests.
  auto lines = a.LogLines();
  int listening = 0;
  bool served_after_restart = false;
  for (const auto& l : lines) {
    if (l.contains("msg") && l.at("msg") == "listening") ++listening;
    else if (listening >= 2 && l.contains("status")) served_after_restart = true;
  }
  EXPECT_EQ(listening, 2);
  EXPECT_TRUE(served_after_restart) << "rihla-check's load reached the restarted instance";
}

// Each test-only fault point breaks one promise; rihla-check must report that invariant and
// no other.
struct BrokenPromise {
  const char* fault;
  const char* invariant;
};

void PrintTo(const BrokenPromise& p, std::ostream* os) { *os << p.fault; }

class RihlaCheckFault : public ::testing::TestWithParam<BrokenPromise> {};

TEST_P(RihlaCheckFault, ReportsTheBrokenInvariantAndNoOther) {
#ifndef RIHLA_FAULT_POINTS
  GTEST_SKIP() << "fault points are compiled only into test builds (RIHLA_FAULT_POINTS)";
#endif
  const BrokenPromise p = GetParam();
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", p.fault}}});
  auto run = RunChecker(server.dir(), {"--target", Url(server), "--duration", "15", "--concurrency", "16", "--seed",
                                       "13", "--log", server.dir() + "/server.log"});
  std::cout << run.output;
  ASSERT_FALSE(run.report.empty()) << run.output;
  EXPECT_EQ(run.exit_code, 1);
  for (const char* name : {"exactly_once", "no_oversell", "fresh_search", "correlation", "webhook_once"}) {
    if (std::string(name) == p.invariant) EXPECT_GT(Violations(run, name), 0) << name;
    else EXPECT_EQ(Violations(run, name), 0) << name << "\n" << boost::json::serialize(run.report.at("invariants").at(name));
  }
  // Stale reads are seen while the run goes on, not only in the end check.
  if (std::string(p.invariant) == "fresh_search") {
    EXPECT_NE(run.output.find("reads failed the online freshness check"), std::string::npos) << run.output;
  }
}

INSTANTIATE_TEST_SUITE_P(FaultPoints, RihlaCheckFault,
                         ::testing::Values(BrokenPromise{"skip_invalidation", "fresh_search"},
                                           BrokenPromise{"double_release", "no_oversell"},
                                           BrokenPromise{"skip_idempotency_claim", "exactly_once"},
                                           BrokenPromise{"mix_correlation", "correlation"}),
                         [](const auto& info) { return std::string(info.param.fault); });

TEST(RihlaCheck, ExitsWithTwoForUsageErrorsAndUnreachableTargets) {
  ServerProcess server;
  EXPECT_EQ(RunChecker(server.dir(), {"--duration", "1"}).exit_code, 2);  // no --target
  EXPECT_EQ(RunChecker(server.dir(), {"--target", Url(server), "--fault", "at=soon cmd=true"}).exit_code, 2);
  EXPECT_EQ(RunChecker(server.dir(), {"--target", "http://127.0.0.1:1", "--duration", "1"}).exit_code, 2);
}

}  // namespace
}  // namespace rihla::test
