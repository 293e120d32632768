// The phased drain on SIGTERM (RIHLA_DRAIN_SECONDS), as a load balancer sees it: /readyz turns
// 503 while everything else is still served, each keep-alive connection is closed after its
// next answer (Connection: close) rather than under the balancer, new connections are refused
// only once the period is over, and SIGINT or a second SIGTERM skips the wait.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "support/api.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace rihla::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kReadyz = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";

// The drain is the transport's, the same on every database: run it once, on SQLite.
class Drain : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Backend() != "sqlite" || !Topology().empty()) GTEST_SKIP() << "database-independent: runs on sqlite only";
  }
};

ServerConfig Draining(int seconds) {
  return ServerConfig{.env = {{"RIHLA_DRAIN_SECONDS", std::to_string(seconds)}}};
}

// True when a new TCP connection to `port` is refused.
bool Refused(int port) {
  HttpClient probe(port, 2000);
  try {
    ::close(probe.Connect());
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

std::string Search() { return "/v1/flights/search?from=RUH&to=MCT&date=" + FutureDate(1); }

// With drain 0 the process is gone before /readyz could say anything: this fails without it.
TEST_F(Drain, ReadyzTurns503WhileSearchesStillAnswer) {
  ServerProcess server(Draining(3));
  HttpClient setup(server.port());
  auto flight = CreateFlight(setup, "RUH", "MCT", 20);
  ASSERT_EQ(setup.Get("/readyz").status, 200);
  ASSERT_EQ(SeatsInSearch(setup, Search(), Str(flight.at("id"))), 20);

  auto signalled = Clock::now();
  server.Signal(SIGTERM);
  HttpClient c(server.port());  // a new connection each time: keep-alive ends while draining
  HttpResponse ready;
  ASSERT_TRUE(Eventually([&] { return (ready = c.Get("/readyz")).status == 503; }, 2000)) << ready.status;
  EXPECT_EQ(ready.Json().at("status"), "draining") << ready.body;
  EXPECT_EQ(ready.Json().at("checks").at("database"), "ok");
  // Still serving everything else, on new connections too, while the balancer takes it out.
  auto search = c.Get(Search());
  EXPECT_EQ(search.status, 200) << search.body;
  EXPECT_NE(search.body.find(Str(flight.at("id"))), std::string::npos);
  EXPECT_EQ(c.Get("/healthz").status, 200);
  auto user = SignUp(c);
  EXPECT_EQ(Book(c, user, Str(flight.at("id")), "during-drain").status, 201);
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(3)) << "all of that ran inside the drain period";

  EXPECT_EQ(server.WaitForExit(15000), 0);
  EXPECT_GE(Clock::now() - signalled, std::chrono::milliseconds(2900)) << "the drain period was waited out";
  EXPECT_NE(server.LogText().find("drain period over"), std::string::npos);
}

// A connection kept alive from before the signal is not closed under its client: its next
// request is answered, with Connection: close, and then it ends.
TEST_F(Drain, KeepAliveConnectionGetsConnectionCloseOnItsNextRequest) {
  ServerProcess server(Draining(3));
  HttpClient raw(server.port());
  int fd = raw.Connect();
  auto before = raw.SendOn(fd, kReadyz);
  ASSERT_EQ(before.status, 200);
  ASSERT_NE(before.Header("connection"), "close");

  server.Signal(SIGTERM);
  HttpClient probe(server.port());
  ASSERT_TRUE(Eventually([&] { return probe.Get("/readyz").status == 503; }, 2000));
  EXPECT_FALSE(WaitForPeerClose(fd, 500)) << "the idle keep-alive connection stays open during the drain";
  auto next = raw.SendOn(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.Header("connection"), "close");
  EXPECT_TRUE(WaitForPeerClose(fd, 2000)) << "and it ends after that answer";
  ::close(fd);
  EXPECT_EQ(server.WaitForExit(15000), 0);
}

// New connections are accepted through the period and refused after it. A connection accepted
// during the period but not used yet is not closed with the listener: it is answered.
TEST_F(Drain, NewConnectionsAreRefusedAfterThePeriod) {
  ServerProcess server(Draining(2));
  HttpClient raw(server.port());
  auto signalled = Clock::now();
  server.Signal(SIGTERM);
  HttpClient probe(server.port());
  ASSERT_TRUE(Eventually([&] { return probe.Get("/readyz").status == 503; }, 1500));
  int late = raw.Connect();  // accepted during the period, no request yet
  EXPECT_FALSE(Refused(server.port())) << "still accepting during the period";
  ASSERT_TRUE(Eventually([&] { return Refused(server.port()); }, 5000));
  EXPECT_GE(Clock::now() - signalled, std::chrono::milliseconds(1900)) << "not before the period is over";
  auto answer = raw.SendOn(late, kReadyz);
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.Header("connection"), "close");
  ::close(late);
  EXPECT_EQ(server.WaitForExit(15000), 0);
}

TEST_F(Drain, SigintSkipsThePeriod) {
  ServerProcess server(Draining(60));
  HttpClient idle(server.port());
  ASSERT_EQ(idle.Get("/healthz").status, 200);  // an idle keep-alive connection does not hold it up
  auto signalled = Clock::now();
  server.Signal(SIGINT);
  EXPECT_EQ(server.WaitForExit(10000), 0);
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(5));
}

TEST_F(Drain, ASecondSigtermSkipsTheRestOfThePeriod) {
  ServerProcess server(Draining(60));
  server.Signal(SIGTERM);
  HttpClient probe(server.port());
  ASSERT_TRUE(Eventually([&] { return probe.Get("/readyz").status == 503; }, 2000));
  auto again = Clock::now();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitForExit(10000), 0);
  EXPECT_LT(Clock::now() - again, std::chrono::seconds(5));
  EXPECT_NE(server.LogText().find("drain period cut short"), std::string::npos);
}

}  // namespace
}  // namespace rihla::test
