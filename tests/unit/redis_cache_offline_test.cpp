// RedisCache without a Redis: the URL grammar, and an unreachable Redis that must never fail a
// search. The tests against a live Redis are in functional/redis_search_cache_test.cpp.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "cache/redis_cache.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace rihla::cache {
namespace {

using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 nothing listens on.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

const domain::CacheScope kRuhJed{"RUH", "JED"};

TEST(RedisCacheDown, UnreachableRedisServesFromLoad) {
  Metrics metrics;
  Logger logger(LogLevel::kError, stderr);
  RedisCache cache("redis://127.0.0.1:" + std::to_string(ClosedPort()), metrics, logger, 60s);
  EXPECT_EQ(cache.Status(), "degraded");
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    Lookup r;
    EXPECT_NO_THROW(r = cache.GetOrLoad(kRuhJed, "k", [] { return std::string("from-db"); }));
    EXPECT_EQ(r.body, "from-db");
    EXPECT_FALSE(r.hit);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);  // no Redis round trips while degraded
  EXPECT_FALSE(cache.Peek(kRuhJed, "k").has_value());
  EXPECT_NO_THROW(cache.Invalidate(kRuhJed));
  EXPECT_NO_THROW(cache.PurgeAll());
  EXPECT_THROW(cache.GetOrLoad(kRuhJed, "k", []() -> std::string { throw std::runtime_error("db"); }),
               std::runtime_error);
  std::this_thread::sleep_for(350ms);  // reconnect attempts fail too
  EXPECT_EQ(cache.Status(), "degraded");
  EXPECT_NE(metrics.Render().find("rihla_cache_redis_errors_total"), std::string::npos);
  EXPECT_EQ(metrics.Render().find("\nrihla_cache_redis_errors_total 0\n"), std::string::npos);  // counted, not only declared
}

TEST(RedisCacheUrl, ParsesAndRejects) {
  RedisUrl u = ParseRedisUrl("redis://127.0.0.1:6380");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 0);
  u = ParseRedisUrl("redis://cache.internal/3");
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 3);
  u = ParseRedisUrl("redis://:s%40cret@[::1]:7000/");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.password, "s@cret");
  EXPECT_EQ(u.user, "");
  for (const char* bad : {"", "127.0.0.1:6379", "http://h:1", "rediss://h:1", "redis://", "redis://:6379",
                          "redis://h:0", "redis://h:70000", "redis://h:abc", "redis://h:1/x", "redis://h:1/1/2",
                          "redis://h:1?db=1", "redis://user@h:1", "redis://[::1:1"}) {
    EXPECT_THROW(ParseRedisUrl(bad), std::invalid_argument) << bad;
  }
  Metrics metrics;
  Logger logger(LogLevel::kError, stderr);
  EXPECT_THROW(RedisCache("localhost:6379", metrics, logger, 60s), std::invalid_argument);
}

}  // namespace
}  // namespace rihla::cache
