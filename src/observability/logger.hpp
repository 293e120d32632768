#pragma once
// JSON-lines logger. A line is formatted by the caller's thread straight into a buffer on its
// stack (no JSON object, the timestamp text cached per millisecond), appended whole to one of
// several shard buffers (chosen by the calling thread's id, each under its own small mutex), and
// written by one background writer thread, which swaps the shard buffers out every few
// milliseconds (at once when half the bound is pending; it sleeps while nothing is logged) and
// writes them with one large fwrite per cycle. A request never blocks on the output stream: when the pending
// lines reach the memory bound the line is dropped and counted (dropped(), and the optional
// `rihla_log_dropped_total` counter), and the writer reports the drop in a warn line.
//
// Line format: {"ts":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"info","msg":"...", fields...}\n, fields in
// the order they were added. Strings are escaped so that every line is valid JSON whatever the
// bytes: `"`, `\` and control characters are escaped, and each byte that is not part of a valid
// UTF-8 sequence becomes \ufffd. Non-finite numbers are written as null.
//
// Order: every line is written whole, never interleaved with another. Lines are written in the
// order in which they were handed over, as far as that order is known: if handing over line A
// happens-before handing over line B (same thread, or a request whose later line is logged on
// another thread after the hand-off), A is written before B. Lines handed over concurrently by
// unrelated threads may appear in either order.
//
// Thread-safety: every member function of Logger is thread-safe. A LogLine belongs to one thread.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "observability/metrics.hpp"

namespace rihla {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
bool ParseLogLevel(std::string_view text, LogLevel& out);

// Writes `ms` (milliseconds since the Unix epoch, >= 0) as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, exactly
// kTimestampLength characters, no terminator) into `out`.
inline constexpr std::size_t kTimestampLength = 24;
void FormatTimestamp(std::int64_t ms, char* out);

// FormatTimestamp with the text of the latest millisecond formatted kept for the next caller,
// so that the date arithmetic runs about once per millisecond. Thread-safe and lock-free: a
// seqlock whose data are atomics (a reader that sees the same even sequence before and after
// reading has a consistent copy; otherwise it formats the text itself).
class TimestampCache {
 public:
  void Format(std::int64_t ms, char* out);

 private:
  static constexpr std::size_t kWords = kTimestampLength / 8;
  static_assert(kTimestampLength % 8 == 0);
  std::atomic<std::uint64_t> seq_{0};  // odd while a thread publishes
  std::atomic<std::int64_t> ms_{-1};
  std::atomic<std::uint64_t> text_[kWords] = {};
};

class Logger;

// The text of one line while it is being built: inline storage for ordinary lines, the heap
// beyond that. Not thread-safe.
class LineBuffer {
 public:
  LineBuffer() = default;
  LineBuffer(LineBuffer&& other) noexcept;
  LineBuffer& operator=(LineBuffer&&) = delete;
  LineBuffer(const LineBuffer&) = delete;

  void Append(const char* data, std::size_t n) {
    if (n > capacity_ - size_) Grow(n);
    std::char_traits<char>::copy(data_ + size_, data, n);
    size_ += n;
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  void Push(char c) {
    if (size_ == capacity_) Grow(1);
    data_[size_++] = c;
  }
  std::string_view view() const { return {data_, size_}; }

 private:
  void Grow(std::size_t extra);

  static constexpr std::size_t kInline = 768;
  char inline_[kInline];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kInline;
};

// One line under construction. The common fields (ts, level, msg) are already written; each call
// appends one field, in call order, and the line is handed to the logger when the LogLine is
// destroyed, so a temporary is logged at the end of its full expression:
//   logger.Line(LogLevel::kInfo, "request").Str("method", m).Int("status", 200);
// A line whose level is disabled is inert: every call is a no-op and nothing is written.
// Keys must be unique within a line (not checked) and are escaped like values.
class LogLine {
 public:
  LogLine() = default;  // inert
  LogLine(LogLine&& other) noexcept;
  LogLine& operator=(LogLine&&) = delete;
  LogLine(const LogLine&) = delete;
  ~LogLine();

  // False for an inert line (level disabled).
  explicit operator bool() const { return logger_ != nullptr; }

  LogLine& Str(std::string_view key, std::string_view value);
  LogLine& Int(std::string_view key, std::int64_t value);
  LogLine& Uint(std::string_view key, std::uint64_t value);
  LogLine& Num(std::string_view key, double value);
  LogLine& Bool(std::string_view key, bool value);
  // Any JSON value (objects and arrays written recursively, strings escaped as above).
  LogLine& Json(std::string_view key, const boost::json::value& value);
  // Every field of `fields`, in order, except keys listed in `skip` (the common fields a caller
  // already wrote, so that a line never repeats a key).
  LogLine& Fields(const boost::json::object& fields, std::initializer_list<std::string_view> skip = {});

 private:
  friend class Logger;
  LogLine(Logger& logger, LogLevel level, std::string_view msg);
  void Key(std::string_view key);
  // Closes the line and makes it inert; the text stays valid until the LogLine is destroyed.
  std::string_view Finish();

  Logger* logger_ = nullptr;
  LineBuffer buf_;
};

struct LoggerOptions {
  // Bound on the bytes of lines handed over but not yet taken by the writer (all shards
  // together); a line that would pass it is dropped. The buffers keep their capacity between
  // cycles, so the logger holds at most about three times this (shards, writer, merged text).
  std::size_t max_pending_bytes = 8 << 20;
  // Incremented once per dropped line, e.g. the `rihla_log_dropped_total` series.
  std::optional<Counter> dropped;
};

class Logger {
 public:
  // Writes to `out` (stdout in the server), which must stay open until the destructor returned.
  // Starts the writer thread.
  explicit Logger(LogLevel min_level, std::FILE* out = stdout, LoggerOptions options = {});
  // Writes every line accepted so far, then stops the writer. No other call may be running.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  // A line to fill in (see LogLine); inert if `level` is disabled.
  LogLine Line(LogLevel level, std::string_view msg) { return Enabled(level) ? LogLine(*this, level, msg) : LogLine(); }
  // Emits {"ts","level","msg", ...fields}; `fields` keys are written in insertion order (a key
  // named ts, level or msg is left out).
  void Write(LogLevel level, std::string_view msg, const boost::json::object& fields = {});
  // Writes an info-level line whatever the minimum level (start-up facts scripts rely on, such
  // as the bound port).
  void Announce(std::string_view msg, const boost::json::object& fields = {});
  // Blocks until every line handed over before the call reached the stream (fflush'ed).
  void Flush();
  // Lines dropped because the pending bytes were at the bound, since construction.
  std::uint64_t dropped() const { return dropped_total_.load(std::memory_order_relaxed); }

 private:
  friend class LogLine;
  struct Shard;
  struct Batch;

  // Hands one complete line (ending in '\n') over to the writer, or drops it. Never blocks on
  // the writer or the stream.
  void Submit(std::string_view line);
  void Wake();
  void Run();
  // Takes every shard's pending lines and writes them in hand-over order. Writer thread only.
  // Returns false if there was nothing to write.
  bool WriteCycle();
  bool AnyPending();

  LogLevel min_level_;
  std::FILE* out_;
  TimestampCache timestamps_;
  std::size_t max_pending_bytes_;
  std::optional<Counter> dropped_counter_;

  std::size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
  std::vector<Batch> batches_;  // writer thread only: lines taken from the shards
  std::string merged_;          // writer thread only: the text of one cycle

  // Updated once per line by every thread; kept on one cache line, which a line's hand-over
  // touches anyway.
  alignas(64) std::atomic<std::uint64_t> next_seq_{0};  // hand-over order, across shards
  std::atomic<std::size_t> pending_bytes_{0};          // in the shards, not yet taken by the writer
  std::atomic<std::uint64_t> dropped_total_{0};
  std::atomic<std::uint64_t> dropped_unreported_{0};
  std::atomic<bool> writer_idle_{false};  // the writer sleeps until woken (no timeout)
  std::atomic<bool> urgent_{false};       // pending bytes passed half the bound: wake the writer now

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::condition_variable flushed_cv_;
  bool stop_ = false;               // guarded by wake_mu_
  bool kicked_ = false;             // guarded by wake_mu_
  std::uint64_t flush_requested_ = 0;  // guarded by wake_mu_
  std::uint64_t flush_done_ = 0;       // guarded by wake_mu_
  std::thread writer_;
};

// Logs outside any request (start-up, commands).
inline void LogEvent(Logger& logger, LogLevel level, std::string_view msg, const boost::json::object& fields = {}) {
  logger.Write(level, msg, fields);
}

}  // namespace rihla
