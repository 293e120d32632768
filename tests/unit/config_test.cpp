#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>

namespace rihla::app {
namespace {

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) ::unsetenv(name_);
    else ::setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

TEST(Config, EverySettingHasItsOwnVariableFlagAndANonEmptyRange) {
  std::set<std::string> envs, flags;
  for (const auto& s : IntSettings()) {
    EXPECT_TRUE(envs.insert(s.env).second) << s.env;
    EXPECT_TRUE(flags.insert(s.flag).second) << s.flag;
    EXPECT_LE(s.min, s.max) << s.env;
    // 0 means "off" for a replica count (no WAIT) and for the drain period (stop at once on
    // SIGTERM), never a zero divisor or lease.
    if (std::string(s.env) != "RIHLA_REDIS_WAIT_REPLICAS" && std::string(s.env) != "RIHLA_DRAIN_SECONDS") {
      EXPECT_GE(s.min, 1) << s.env << ": 0 would divide by zero or disable a lease";
    }
    EXPECT_EQ(&IntSettingByFlag(s.flag), &s);
  }
  EXPECT_THROW(IntSettingByFlag("--no-such-flag"), std::out_of_range);
  EXPECT_EQ(IntSettingByFlag("--redis-wait-replicas").min, 0);
  EXPECT_EQ(Config{}.redis_wait_replicas, 0);
  EXPECT_EQ(IntSettingByFlag("--drain-seconds").min, 0);
  EXPECT_EQ(Config{}.drain_seconds, 5);
}

TEST(Config, ParseIntSettingAcceptsOnlyWholeNumbersInRange) {
  const auto& sweep = IntSettingByFlag("--sweep-interval-ms");
  EXPECT_EQ(ParseIntSetting(sweep, "50", "x"), 50);
  EXPECT_EQ(ParseIntSetting(sweep, "3600000", "x"), 3'600'000);
  for (const char* bad : {"0", "49", "3600001", "", "12ms", " 100", "-100", "1e3", "99999999999999"}) {
    EXPECT_THROW(ParseIntSetting(sweep, bad, "--sweep-interval-ms"), std::invalid_argument) << bad;
  }
  try {
    ParseIntSetting(sweep, "0", "--sweep-interval-ms");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--sweep-interval-ms must be an integer from 50 to 3600000");
  }
}

TEST(Config, LoadEnvironmentRefusesAnOutOfRangeValueNamingTheVariable) {
  ScopedEnv env("RIHLA_IDEMPOTENCY_LEASE_SECONDS", "0");
  Config c;
  try {
    LoadEnvironment(c);
    FAIL() << "a lease of 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("RIHLA_IDEMPOTENCY_LEASE_SECONDS"), std::string::npos) << e.what();
  }
}

TEST(Config, LoadEnvironmentReadsEveryIntegerSetting) {
  ScopedEnv a("RIHLA_SWEEP_INTERVAL_MS", "250");
  ScopedEnv b("RIHLA_CACHE_MAX_ENTRIES", "77");
  Config c;
  LoadEnvironment(c);
  EXPECT_EQ(c.sweep_interval_ms, 250);
  EXPECT_EQ(c.cache_max_entries, 77);
}

TEST(Config, CacheCanBeTurnedOffAndBoundedByBytes) {
  Config defaults;
  EXPECT_TRUE(defaults.cache_enabled);
  EXPECT_GE(defaults.cache_max_bytes, 16 << 20);  // "a few tens of MiB"
  ScopedEnv off("RIHLA_CACHE", "off");
  ScopedEnv bytes("RIHLA_CACHE_MAX_BYTES", "1048576");
  Config c;
  LoadEnvironment(c);
  EXPECT_FALSE(c.cache_enabled);
  EXPECT_EQ(c.cache_max_bytes, 1 << 20);
  ScopedEnv bad("RIHLA_CACHE", "0");
  EXPECT_THROW(LoadEnvironment(c), std::invalid_argument);
}

TEST(Config, CacheMaxBytesIsRangeChecked) {
  ScopedEnv small("RIHLA_CACHE_MAX_BYTES", "1000");
  Config c;
  EXPECT_THROW(LoadEnvironment(c), std::invalid_argument);
}

TEST(Config, ListenAddressSplitsHostAndPort) {
  Config c;
  c.listen = "[::1]:9000";
  EXPECT_EQ(c.ListenAddress(), (std::pair<std::string, std::uint16_t>{"::1", 9000}));
  c.listen = "localhost:80";
  EXPECT_EQ(c.ListenAddress().first, "127.0.0.1");
  c.listen = "127.0.0.1:70000";
  EXPECT_THROW(c.ListenAddress(), std::invalid_argument);
  c.listen = "nocolon";
  EXPECT_THROW(c.ListenAddress(), std::invalid_argument);
}

}  // namespace
}  // namespace rihla::app
