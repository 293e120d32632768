#pragma once
// JSON-lines logger. Lines are formatted by the caller's thread and handed to a background
// writer, so a request never blocks on stdout. Thread-safe.
#include <boost/json/object.hpp>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace rihla {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
bool ParseLogLevel(std::string_view text, LogLevel& out);

class Logger {
 public:
  // Writes to `out` (stdout in the server). Starts the writer thread.
  explicit Logger(LogLevel min_level, std::FILE* out = stdout);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  // Emits {"ts","level","msg", ...fields}. `fields` keys are written in insertion order.
  void Write(LogLevel level, std::string_view msg, const boost::json::object& fields = {});
  // Writes an info-level line whatever the minimum level (start-up facts scripts rely on, such
  // as the bound port).
  void Announce(std::string_view msg, const boost::json::object& fields = {});
  // Blocks until everything written so far reached the stream.
  void Flush();

 private:
  void Run();
  void WriteLine(LogLevel level, std::string_view msg, const boost::json::object& fields);

  LogLevel min_level_;
  std::FILE* out_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable flushed_cv_;
  static constexpr std::size_t kMaxPendingBytes = 8 << 20;
  std::string pending_;     // guarded by mu_
  std::uint64_t dropped_ = 0;  // guarded by mu_
  std::uint64_t written_seq_ = 0;  // guarded by mu_
  std::uint64_t pending_seq_ = 0;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::thread writer_;
};

// Logs outside any request (start-up, commands).
inline void LogEvent(Logger& logger, LogLevel level, std::string_view msg, const boost::json::object& fields = {}) {
  logger.Write(level, msg, fields);
}

}  // namespace rihla
