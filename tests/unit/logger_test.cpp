// Logger: the line format, escaping, level filtering, flushing, ordering across threads and
// dropping when the output does not keep up.
#include "observability/logger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <regex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "observability/metric_families.hpp"
#include "observability/request_context.hpp"

namespace rihla {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// Everything in `f` (written by a logger that was flushed or destroyed).
std::string ReadAll(std::FILE* f) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fileno(f), buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  EXPECT_EQ(start, text.size()) << "the output does not end with a complete line";
  return lines;
}

// Parses every line as a JSON object (fails the test on the first one that is not).
std::vector<boost::json::object> ParseLines(const std::string& text) {
  std::vector<boost::json::object> out;
  for (const auto& line : SplitLines(text)) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << line;
      continue;
    }
    out.push_back(std::move(v.as_object()));
  }
  return out;
}

class LoggerTest : public ::testing::Test {
 protected:
  // The whole output of a logger at `level` after `fn(logger)` and Flush().
  template <typename Fn>
  std::string Output(LogLevel level, Fn fn) {
    File f(std::tmpfile());
    Logger logger(level, f.get());
    fn(logger);
    logger.Flush();
    return ReadAll(f.get());
  }

  // The one line `fn` logs, without its {"ts":"...", prefix (checked here).
  template <typename Fn>
  std::string OneLine(Fn fn) {
    std::string text = Output(LogLevel::kDebug, fn);
    static const std::regex kPrefix(R"(^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",)");
    EXPECT_TRUE(std::regex_search(text, kPrefix)) << text;
    EXPECT_EQ(SplitLines(text).size(), 1u) << text;
    return text.size() > 33 ? text.substr(33) : text;
  }
};

std::string Gmtime(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string Formatted(std::int64_t ms) {
  char out[kTimestampLength];
  FormatTimestamp(ms, out);
  return std::string(out, sizeof out);
}

TEST(FormatTimestamp, WritesUtcWithMillisecondsAsGmtimeDoes) {
  EXPECT_EQ(Formatted(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Formatted(951'782'400'123), "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(Formatted(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> any(0, 253'402'300'799'999);
  for (int i = 0; i < 20000; ++i) {
    std::int64_t ms = any(rng);
    ASSERT_EQ(Formatted(ms), Gmtime(ms)) << ms;
  }
}

TEST(TimestampCache, GivesEveryThreadTheTextOfItsOwnMillisecond) {
  TimestampCache cache;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Threads move through overlapping milliseconds, each repeating some, so that readers
      // meet hits, misses and concurrent publications.
      for (std::int64_t i = 0; i < 200000; ++i) {
        std::int64_t ms = 1'700'000'000'000 + (i + t * 7) / (1 + t);
        char out[kTimestampLength];
        cache.Format(ms, out);
        if (std::string(out, sizeof out) != Formatted(ms)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(LoggerTest, LineStartsWithTsLevelMsgThenFieldsInCallOrder) {
  auto before = std::chrono::system_clock::now();
  std::string text = Output(LogLevel::kDebug, [](Logger& l) {
    l.Line(LogLevel::kInfo, "hello").Str("s", "x").Int("i", -5).Uint("u", 7).Num("d", 1.5).Bool("b", true).Bool("f", false);
  });
  auto after = std::chrono::system_clock::now();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(text, m,
                               std::regex(R"re(\{"ts":"([^"]+)","level":"info","msg":"hello","s":"x","i":-5,"u":7,)re"
                                          R"re("d":1.5,"b":true,"f":false\}\n)re")))
      << text;
  auto ms = [](auto t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  std::string ts = m[1];
  EXPECT_GE(ts, Formatted(ms(before)));
  EXPECT_LE(ts, Formatted(ms(after)));
}

TEST_F(LoggerTest, WriteKeepsTheObjectsFieldOrderAndNeverRepeatsACommonKey) {
  std::string line = OneLine([](Logger& l) {
    l.Write(LogLevel::kWarn, "m",
            {{"z", 1}, {"msg", "not me"}, {"a", boost::json::array{1, "two", nullptr}}, {"o", {{"k", 2.25}}}});
  });
  EXPECT_EQ(line, R"("level":"warn","msg":"m","z":1,"a":[1,"two",null],"o":{"k":2.25}})" "\n");
}

TEST_F(LoggerTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string value = "q\"b\\c/\n\r\t\b\f\x01\x1f\x7f end";
  std::string line = OneLine([&](Logger& l) { l.Line(LogLevel::kInfo, "e").Str("s", value); });
  EXPECT_EQ(line, R"("level":"info","msg":"e","s":"q\"b\\c/\n\r\t\b\f\u0001\u001f)" "\x7f" R"( end"})" "\n");
  std::string text = Output(LogLevel::kInfo, [&](Logger& l) {
    for (int c = 0; c < 0x80; ++c) l.Line(LogLevel::kInfo, std::string(1, char(c))).Str(std::string(1, char(c)), std::string(1, char(c)));
  });
  auto lines = ParseLines(text);
  ASSERT_EQ(lines.size(), 0x80u);
  for (int c = 0; c < 0x80; ++c) {
    std::string one(1, char(c));
    EXPECT_EQ(lines[c].at("msg").as_string(), one) << c;
    EXPECT_EQ(lines[c].at(one).as_string(), one) << c;
  }
}

TEST_F(LoggerTest, ReplacesEachByteOfInvalidUtf8SoTheLineStaysJson) {
  struct Case {
    std::string in, out;
  };
  std::vector<Case> cases = {
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},  // valid: as is
      {"a\xff" "b", R"(a\ufffdb)"},
      {"\xc0\xaf", R"(\ufffd\ufffd)"},                // overlong '/'
      {"\xe0\x80\xaf", R"(\ufffd\ufffd\ufffd)"},      // overlong
      {"\xed\xa0\x80", R"(\ufffd\ufffd\ufffd)"},      // surrogate U+D800
      {"\xf4\x90\x80\x80", R"(\ufffd\ufffd\ufffd\ufffd)"},  // above U+10FFFF
      {"x\xe2\x82", R"(x\ufffd\ufffd)"},              // truncated at the end
      {"\x80", R"(\ufffd)"},                          // lone continuation byte
  };
  for (const auto& c : cases) {
    std::string line = OneLine([&](Logger& l) { l.Line(LogLevel::kInfo, "u").Str("s", c.in); });
    EXPECT_EQ(line, R"("level":"info","msg":"u","s":")" + c.out + "\"}\n") << c.in;
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(char(b));
  std::string text = Output(LogLevel::kInfo, [&](Logger& l) { l.Line(LogLevel::kInfo, all).Str(all, all); });
  ASSERT_EQ(ParseLines(text).size(), 1u) << text;
}

TEST_F(LoggerTest, WritesNonFiniteNumbersAsNull) {
  std::string line = OneLine([](Logger& l) {
    l.Line(LogLevel::kInfo, "n")
        .Num("nan", std::nan(""))
        .Num("inf", std::numeric_limits<double>::infinity())
        .Json("v", -std::numeric_limits<double>::infinity());
  });
  EXPECT_EQ(line, R"("level":"info","msg":"n","nan":null,"inf":null,"v":null})" "\n");
}

TEST_F(LoggerTest, KeepsALineLongerThanTheInlineBufferWhole) {
  std::string big(20000, 'x');
  big[10000] = '"';
  std::string text = Output(LogLevel::kInfo, [&](Logger& l) { l.Line(LogLevel::kInfo, "big").Str("s", big).Int("n", 1); });
  auto lines = ParseLines(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("s").as_string(), big);
  EXPECT_EQ(lines[0].at("n").as_int64(), 1);
}

TEST_F(LoggerTest, WritesOnlyLevelsAtOrAboveTheMinimum) {
  std::string text = Output(LogLevel::kWarn, [](Logger& l) {
    EXPECT_FALSE(l.Line(LogLevel::kInfo, "no"));
    EXPECT_TRUE(l.Line(LogLevel::kWarn, "yes"));  // an empty line is still written
    l.Write(LogLevel::kDebug, "no");
    l.Write(LogLevel::kInfo, "no", {{"a", 1}});
    l.Line(LogLevel::kInfo, "no").Str("a", "b");
    l.Write(LogLevel::kWarn, "warn");
    l.Write(LogLevel::kError, "error");
  });
  auto lines = ParseLines(text);
  ASSERT_EQ(lines.size(), 3u) << text;
  EXPECT_EQ(lines[0].at("msg").as_string(), "yes");
  EXPECT_EQ(lines[1].at("level").as_string(), "warn");
  EXPECT_EQ(lines[2].at("level").as_string(), "error");
}

TEST_F(LoggerTest, AnnounceWritesAnInfoLineAtAnyLevel) {
  std::string text = Output(LogLevel::kError, [](Logger& l) {
    l.Write(LogLevel::kInfo, "hidden");
    l.Announce("listening", {{"port", 8080}});
  });
  auto lines = ParseLines(text);
  ASSERT_EQ(lines.size(), 1u) << text;
  EXPECT_EQ(lines[0].at("level").as_string(), "info");
  EXPECT_EQ(lines[0].at("msg").as_string(), "listening");
  EXPECT_EQ(lines[0].at("port").as_int64(), 8080);
}

TEST_F(LoggerTest, RequestLinesCarryCorrelationAndTraceIdsAfterTheCommonFields) {
  std::string text = Output(LogLevel::kInfo, [](Logger& l) {
    RequestContext ctx;
    ctx.logger = &l;
    ctx.correlation_id = "cid-1";
    ctx.Log(LogLevel::kInfo, "plain", {{"correlation_id", "not me"}, {"k", "v"}});
    ctx.trace_id = "0af7651916cd43dd8448eb211c80319c";
    ctx.span_id = "b7ad6b7169203331";
    ctx.Line(LogLevel::kInfo, "traced").Int("status", 200);
    ctx.Log(LogLevel::kDebug, "hidden");
    RequestContext none;  // no logger: nothing, no crash
    none.Log(LogLevel::kError, "nowhere");
  });
  auto lines = SplitLines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_EQ(lines[0].substr(33), R"("level":"info","msg":"plain","correlation_id":"cid-1","k":"v"})");
  EXPECT_EQ(lines[1].substr(33), R"("level":"info","msg":"traced","correlation_id":"cid-1",)"
                                 R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331",)"
                                 R"("status":200})");
}

TEST_F(LoggerTest, FlushWritesEveryLineHandedOverBeforeIt) {
  File f(std::tmpfile());
  Logger logger(LogLevel::kInfo, f.get());
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 1000; ++i) logger.Line(LogLevel::kInfo, "l").Int("round", round).Int("i", i);
    logger.Flush();
    EXPECT_EQ(ParseLines(ReadAll(f.get())).size(), 1000u * (round + 1));
  }
}

TEST_F(LoggerTest, DestructorWritesEveryLineAccepted) {
  File f(std::tmpfile());
  {
    Logger logger(LogLevel::kInfo, f.get());
    for (int i = 0; i < 20000; ++i) logger.Line(LogLevel::kInfo, "l").Int("i", i);
  }
  auto lines = ParseLines(ReadAll(f.get()));
  ASSERT_EQ(lines.size(), 20000u);
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(lines[i].at("i").as_int64(), i);
}

TEST_F(LoggerTest, LinesFromManyThreadsArriveWholeAndInEachThreadsOrder) {
  constexpr int kThreads = 8, kLines = 5000;
  File f(std::tmpfile());
  {
    // Room for every line even if the writer does not run at all meanwhile: none is dropped.
    Logger logger(LogLevel::kInfo, f.get(), {.max_pending_bytes = 256 << 20});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&logger, t] {
        std::string pad(t * 37 % 200, 'p');  // lines of different lengths
        for (int i = 0; i < kLines; ++i) logger.Line(LogLevel::kInfo, "l").Int("t", t).Int("i", i).Str("pad", pad);
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(logger.dropped(), 0u);
  }
  auto lines = ParseLines(ReadAll(f.get()));
  ASSERT_EQ(lines.size(), std::size_t(kThreads) * kLines);
  std::vector<int> next(kThreads, 0);
  for (const auto& l : lines) {
    auto t = l.at("t").as_int64();
    ASSERT_EQ(l.at("i").as_int64(), next[t]) << "thread " << t;
    ++next[t];
  }
}

TEST_F(LoggerTest, ALineHandedOverAfterAnotherOnAnyThreadIsWrittenAfterIt) {
  // Two threads take turns, as the threads serving one request do: each line is handed over
  // after the previous one (on the other thread) was.
  constexpr int kTurns = 20000;
  File f(std::tmpfile());
  {
    Logger logger(LogLevel::kInfo, f.get());
    std::binary_semaphore a_turn(1), b_turn(0);
    auto player = [&](std::binary_semaphore& mine, std::binary_semaphore& other, int first) {
      for (int n = first; n < kTurns; n += 2) {
        mine.acquire();
        logger.Line(LogLevel::kInfo, "turn").Int("n", n);
        other.release();
      }
    };
    std::thread a(player, std::ref(a_turn), std::ref(b_turn), 0);
    std::thread b(player, std::ref(b_turn), std::ref(a_turn), 1);
    a.join();
    b.join();
  }
  auto lines = ParseLines(ReadAll(f.get()));
  ASSERT_EQ(lines.size(), std::size_t(kTurns));
  for (int n = 0; n < kTurns; ++n) ASSERT_EQ(lines[n].at("n").as_int64(), n);
}

TEST_F(LoggerTest, DropsAndCountsLinesWhenTheOutputIsStuckWithoutBlocking) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::FILE* out = fdopen(fds[1], "w");
  ASSERT_NE(out, nullptr);
  Metrics metrics;
  Counter dropped_counter = metrics.Family(metric::kLogDropped).WithLabels();
  std::uint64_t handed = 0;
  std::string collected;
  std::thread reader;
  {
    Logger logger(LogLevel::kInfo, out, {.max_pending_bytes = 64 << 10, .dropped = dropped_counter});
    // Nobody reads the pipe: the writer blocks once it is full, and the pending lines reach the
    // bound. Every call must still return.
    while (logger.dropped() < 100 && handed < 10'000'000) {
      logger.Line(LogLevel::kInfo, "line").Uint("n", handed).Str("pad", std::string(100, 'p'));
      ++handed;
    }
    EXPECT_EQ(dropped_counter.value(), logger.dropped());
    reader = std::thread([&] {
      char buf[65536];
      for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) collected.append(buf, static_cast<std::size_t>(n));
    });
    logger.Flush();
    EXPECT_EQ(dropped_counter.value(), logger.dropped());
  }
  std::uint64_t dropped = dropped_counter.value();
  std::fclose(out);
  reader.join();
  close(fds[0]);
  std::uint64_t written = 0, reported = 0, last = 0;
  for (const auto& l : ParseLines(collected)) {
    if (l.at("msg").as_string() == "line") {
      auto n = l.at("n").to_number<std::uint64_t>();
      EXPECT_TRUE(written == 0 || n > last) << n;  // what is kept stays in order
      last = n;
      ++written;
    } else {
      EXPECT_EQ(l.at("msg").as_string(), "log lines dropped: output too slow");
      EXPECT_EQ(l.at("level").as_string(), "warn");
      reported += l.at("dropped").to_number<std::uint64_t>();
    }
  }
  EXPECT_GE(dropped, 100u);
  EXPECT_EQ(written + dropped, handed);
  EXPECT_EQ(reported, dropped);
}

}  // namespace
}  // namespace rihla
