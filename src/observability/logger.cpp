#include "observability/logger.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

namespace rihla {
namespace {

// How long the writer lets lines collect while lines keep coming.
constexpr auto kWriteInterval = std::chrono::milliseconds(5);

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void TwoDigits(char* out, unsigned v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (s[i] >= 0x80), or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as is truncation).
std::size_t Utf8SequenceLength(const unsigned char* s, std::size_t i, std::size_t n) {
  unsigned char c = s[i];
  auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    unsigned char c1 = s[i + 1];
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = s[i + 1];
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Appends `s` as a JSON string literal (with quotes). See the header for the guarantees.
void AppendJsonString(LineBuffer& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  out.Push('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t len = Utf8SequenceLength(p, i, n);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    out.Append(s.data() + run, i - run);
    switch (c) {
      case '"': out.Append("\\\"", 2); break;
      case '\\': out.Append("\\\\", 2); break;
      case '\n': out.Append("\\n", 2); break;
      case '\r': out.Append("\\r", 2); break;
      case '\t': out.Append("\\t", 2); break;
      case '\b': out.Append("\\b", 2); break;
      case '\f': out.Append("\\f", 2); break;
      default:
        if (c < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.Append(esc, sizeof esc);
        } else {
          out.Append("\\ufffd", 6);  // a byte outside any valid UTF-8 sequence
        }
    }
    ++i;
    run = i;
  }
  out.Append(s.data() + run, n - run);
  out.Push('"');
}

template <typename T>
void AppendInteger(LineBuffer& out, T v) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.Append(digits, static_cast<std::size_t>(end - digits));
}

void AppendNumber(LineBuffer& out, double v) {
  if (!std::isfinite(v)) {
    out.Append("null", 4);  // JSON has no NaN or Infinity
    return;
  }
  char digits[32];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;  // shortest round-trip form
  out.Append(digits, static_cast<std::size_t>(end - digits));
}

void AppendJsonValue(LineBuffer& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out.Append("null", 4); break;
    case boost::json::kind::bool_: v.get_bool() ? out.Append("true", 4) : out.Append("false", 5); break;
    case boost::json::kind::int64: AppendInteger(out, v.get_int64()); break;
    case boost::json::kind::uint64: AppendInteger(out, v.get_uint64()); break;
    case boost::json::kind::double_: AppendNumber(out, v.get_double()); break;
    case boost::json::kind::string: AppendJsonString(out, v.get_string()); break;
    case boost::json::kind::array: {
      out.Push('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.Push(',');
        first = false;
        AppendJsonValue(out, e);
      }
      out.Push(']');
      break;
    }
    case boost::json::kind::object: {
      out.Push('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.Push(',');
        first = false;
        AppendJsonString(out, kv.key());
        out.Push(':');
        AppendJsonValue(out, kv.value());
      }
      out.Push('}');
      break;
    }
  }
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

}  // namespace

void FormatTimestamp(std::int64_t ms, char* out) {
  std::int64_t secs = ms / 1000;
  auto millis = static_cast<unsigned>(ms % 1000);
  std::int64_t days = secs / 86400;
  auto sod = static_cast<unsigned>(secs % 86400);
  std::int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  auto y = static_cast<unsigned>(year % 10000);
  TwoDigits(out, y / 100);
  TwoDigits(out + 2, y % 100);
  out[4] = '-';
  TwoDigits(out + 5, month);
  out[7] = '-';
  TwoDigits(out + 8, day);
  out[10] = 'T';
  TwoDigits(out + 11, sod / 3600);
  out[13] = ':';
  TwoDigits(out + 14, sod / 60 % 60);
  out[16] = ':';
  TwoDigits(out + 17, sod % 60);
  out[19] = '.';
  out[20] = static_cast<char>('0' + millis / 100);
  TwoDigits(out + 21, millis % 100);
  out[23] = 'Z';
}

void TimestampCache::Format(std::int64_t ms, char* out) {
  std::uint64_t seq = seq_.load(std::memory_order_acquire);
  if ((seq & 1) == 0 && ms_.load(std::memory_order_relaxed) == ms) {
    std::uint64_t words[kWords];
    for (std::size_t i = 0; i < kWords; ++i) words[i] = text_[i].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == seq) {
      std::memcpy(out, words, kTimestampLength);
      return;
    }
  }
  FormatTimestamp(ms, out);
  // Publish unless another thread is publishing (odd sequence) or did since `seq` was read.
  if ((seq & 1) == 0 && seq_.compare_exchange_strong(seq, seq + 1, std::memory_order_relaxed)) {
    std::atomic_thread_fence(std::memory_order_release);
    std::uint64_t words[kWords];
    std::memcpy(words, out, kTimestampLength);
    ms_.store(ms, std::memory_order_relaxed);
    for (std::size_t i = 0; i < kWords; ++i) text_[i].store(words[i], std::memory_order_relaxed);
    seq_.store(seq + 2, std::memory_order_release);
  }
}

bool ParseLogLevel(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else return false;
  return true;
}

// --- LineBuffer ---

LineBuffer::LineBuffer(LineBuffer&& other) noexcept {
  if (other.heap_) {
    heap_ = std::move(other.heap_);
    data_ = heap_.get();
    capacity_ = other.capacity_;
  } else {
    std::memcpy(inline_, other.inline_, other.size_);
  }
  size_ = other.size_;
  other.data_ = other.inline_;
  other.size_ = 0;
  other.capacity_ = kInline;
}

void LineBuffer::Grow(std::size_t extra) {
  std::size_t capacity = std::max(capacity_ * 2, size_ + extra);
  auto bigger = std::make_unique<char[]>(capacity);
  std::memcpy(bigger.get(), data_, size_);
  heap_ = std::move(bigger);
  data_ = heap_.get();
  capacity_ = capacity;
}

// --- LogLine ---

LogLine::LogLine(Logger& logger, LogLevel level, std::string_view msg) : logger_(&logger) {
  char ts[kTimestampLength];
  logger.timestamps_.Format(NowMillis(), ts);
  buf_.Append("{\"ts\":\"", 7);
  buf_.Append(ts, sizeof ts);
  buf_.Append("\",\"level\":\"", 11);
  buf_.Append(LevelName(level));
  buf_.Append("\",\"msg\":", 8);
  AppendJsonString(buf_, msg);
}

LogLine::LogLine(LogLine&& other) noexcept : logger_(other.logger_), buf_(std::move(other.buf_)) {
  other.logger_ = nullptr;
}

LogLine::~LogLine() {
  if (logger_ == nullptr) return;
  Logger* logger = logger_;
  logger->Submit(Finish());
}

std::string_view LogLine::Finish() {
  buf_.Append("}\n", 2);
  logger_ = nullptr;
  return buf_.view();
}

void LogLine::Key(std::string_view key) {
  buf_.Push(',');
  AppendJsonString(buf_, key);
  buf_.Push(':');
}

LogLine& LogLine::Str(std::string_view key, std::string_view value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  AppendJsonString(buf_, value);
  return *this;
}

LogLine& LogLine::Int(std::string_view key, std::int64_t value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  AppendInteger(buf_, value);
  return *this;
}

LogLine& LogLine::Uint(std::string_view key, std::uint64_t value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  AppendInteger(buf_, value);
  return *this;
}

LogLine& LogLine::Num(std::string_view key, double value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  AppendNumber(buf_, value);
  return *this;
}

LogLine& LogLine::Bool(std::string_view key, bool value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  value ? buf_.Append("true", 4) : buf_.Append("false", 5);
  return *this;
}

LogLine& LogLine::Json(std::string_view key, const boost::json::value& value) {
  if (logger_ == nullptr) return *this;
  Key(key);
  AppendJsonValue(buf_, value);
  return *this;
}

LogLine& LogLine::Fields(const boost::json::object& fields, std::initializer_list<std::string_view> skip) {
  if (logger_ == nullptr) return *this;
  for (const auto& kv : fields) {
    std::string_view key = kv.key();
    if (key == "ts" || key == "level" || key == "msg") continue;
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    Key(key);
    AppendJsonValue(buf_, kv.value());
  }
  return *this;
}

// --- Logger ---

namespace {
struct Entry {
  std::uint64_t seq;  // hand-over number
  std::uint32_t size;  // bytes of the line, '\n' included
};
}  // namespace

// Lines handed over by the threads that hash to this shard, in hand-over order.
struct alignas(64) Logger::Shard {
  std::mutex mu;
  std::string text;            // guarded by mu
  std::vector<Entry> entries;  // guarded by mu; one per line in `text`
};

// Writer thread only: a shard's lines taken but not yet written, and the buffers swapped with
// the shard's (empty between cycles).
struct Logger::Batch {
  std::string text;
  std::vector<Entry> entries;
  std::size_t next = 0;  // first entry not yet written
  std::size_t pos = 0;   // its offset in `text`
  std::string spare_text;
  std::vector<Entry> spare_entries;
};

Logger::Logger(LogLevel min_level, std::FILE* out, LoggerOptions options)
    : min_level_(min_level), out_(out), max_pending_bytes_(options.max_pending_bytes), dropped_counter_(options.dropped) {
  // Enough shards that the I/O threads (one per core) and the workers rarely share one.
  shard_count_ = std::max<std::size_t>(8, 2 * std::thread::hardware_concurrency());
  shards_ = std::make_unique<Shard[]>(shard_count_);
  batches_.resize(shard_count_);
  writer_ = std::thread([this] { Run(); });
}

Logger::~Logger() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  writer_.join();
}

void Logger::Announce(std::string_view msg, const boost::json::object& fields) {
  LogLine(*this, LogLevel::kInfo, msg).Fields(fields);
}

void Logger::Write(LogLevel level, std::string_view msg, const boost::json::object& fields) {
  Line(level, msg).Fields(fields);
}

void Logger::Submit(std::string_view line) {
  std::uint64_t h = std::hash<std::thread::id>{}(std::this_thread::get_id());
  h ^= h >> 33;  // in case the library's hash is the identity on an aligned address
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  Shard& shard = shards_[h % shard_count_];
  bool accepted = false;
  bool was_empty = false;
  bool half_full = false;
  {
    std::lock_guard lock(shard.mu);
    // Counted under the shard lock, so the writer, which takes the shard's text under the same
    // lock, subtracts exactly what it took.
    std::size_t pending = pending_bytes_.fetch_add(line.size(), std::memory_order_relaxed) + line.size();
    if (pending <= max_pending_bytes_) {
      accepted = true;
      was_empty = shard.text.empty();
      // Numbered under the shard lock, so a shard's entries ascend; a line handed over after
      // another (happens-before) gets a larger number, whatever their shards.
      std::uint64_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
      shard.text.append(line);
      shard.entries.push_back({seq, static_cast<std::uint32_t>(line.size())});
      half_full = pending > max_pending_bytes_ / 2;
    } else {
      pending_bytes_.fetch_sub(line.size(), std::memory_order_relaxed);
    }
  }
  if (!accepted) {  // the writer is not keeping up: drop rather than block or grow
    dropped_total_.fetch_add(1, std::memory_order_relaxed);
    dropped_unreported_.fetch_add(1, std::memory_order_relaxed);
    if (dropped_counter_) dropped_counter_->Increment();
    return;
  }
  if (was_empty && writer_idle_.load(std::memory_order_relaxed) && writer_idle_.exchange(false)) {
    Wake();
  } else if (half_full && !urgent_.exchange(true)) {
    Wake();
  }
}

void Logger::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    kicked_ = true;
  }
  wake_cv_.notify_one();
}

void Logger::Flush() {
  std::unique_lock lock(wake_mu_);
  std::uint64_t ticket = ++flush_requested_;
  wake_cv_.notify_one();
  flushed_cv_.wait(lock, [&] { return flush_done_ >= ticket; });
}

bool Logger::AnyPending() {
  for (std::size_t i = 0; i < shard_count_; ++i) {
    if (batches_[i].next < batches_[i].entries.size()) return true;
    std::lock_guard lock(shards_[i].mu);
    if (!shards_[i].entries.empty()) return true;
  }
  return false;
}

bool Logger::WriteCycle() {
  urgent_.store(false);
  // Every line numbered below `cutoff` is in its shard by the time the writer holds that
  // shard's lock (it was appended in the same critical section that numbered it). Writing only
  // those, in number order, writes a line only after every line handed over before it.
  std::uint64_t cutoff = next_seq_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Batch& b = batches_[i];
    {
      std::lock_guard lock(shards_[i].mu);
      b.spare_text.swap(shards_[i].text);
      b.spare_entries.swap(shards_[i].entries);
      pending_bytes_.fetch_sub(b.spare_text.size(), std::memory_order_relaxed);
    }
    if (b.entries.empty()) {
      b.text.swap(b.spare_text);
      b.entries.swap(b.spare_entries);
    } else {  // lines numbered at or after the last cutoff, left from the last cycle
      b.text.append(b.spare_text);
      b.entries.insert(b.entries.end(), b.spare_entries.begin(), b.spare_entries.end());
    }
    b.spare_text.clear();
    b.spare_entries.clear();
  }

  // Merge the shards by number below the cutoff, copying runs of consecutive lines of one shard.
  merged_.clear();
  for (;;) {
    Batch* first = nullptr;
    std::uint64_t second = cutoff;
    for (auto& b : batches_) {
      if (b.next == b.entries.size()) continue;
      std::uint64_t s = b.entries[b.next].seq;
      if (s >= cutoff) continue;
      if (first == nullptr || s < first->entries[first->next].seq) {
        if (first != nullptr) second = std::min(second, first->entries[first->next].seq);
        first = &b;
      } else {
        second = std::min(second, s);
      }
    }
    if (first == nullptr) break;
    std::size_t begin = first->pos;
    while (first->next < first->entries.size() && first->entries[first->next].seq < second) {
      first->pos += first->entries[first->next].size;
      ++first->next;
    }
    merged_.append(first->text, begin, first->pos - begin);
  }
  for (auto& b : batches_) {
    if (b.next == b.entries.size()) {
      b.text.clear();
      b.entries.clear();
    } else {
      b.text.erase(0, b.pos);
      b.entries.erase(b.entries.begin(), b.entries.begin() + static_cast<std::ptrdiff_t>(b.next));
    }
    b.next = 0;
    b.pos = 0;
  }

  std::uint64_t dropped = dropped_unreported_.exchange(0, std::memory_order_relaxed);
  if (dropped > 0) {
    LogLine warn(*this, LogLevel::kWarn, "log lines dropped: output too slow");
    warn.Uint("dropped", dropped);
    merged_.append(warn.Finish());  // written here, not handed over
  }
  if (merged_.empty()) return false;
  std::fwrite(merged_.data(), 1, merged_.size(), out_);
  std::fflush(out_);
  return true;
}

void Logger::Run() {
  std::unique_lock lock(wake_mu_);
  bool idle = false;
  for (;;) {
    auto ready = [&] { return stop_ || kicked_ || flush_requested_ > flush_done_; };
    if (idle) {
      wake_cv_.wait(lock, ready);
    } else {
      wake_cv_.wait_for(lock, kWriteInterval, ready);
    }
    kicked_ = false;
    bool stopping = stop_;
    std::uint64_t ticket = flush_requested_;
    lock.unlock();
    // Every line handed over before `ticket` was taken (or before stop_ was set) is numbered
    // below this cycle's cutoff, so this cycle writes it.
    bool wrote = WriteCycle();
    if (stopping) {
      while (WriteCycle()) {
      }
    } else if (!wrote) {
      // Sleep without a timeout until a line arrives: a line handed over after the check below
      // sees writer_idle_ set (its shard lock orders the two) and wakes the writer.
      writer_idle_.store(true);
      if (AnyPending() && writer_idle_.exchange(false)) wrote = true;  // go round again
    }
    lock.lock();
    flush_done_ = ticket;
    flushed_cv_.notify_all();
    if (stopping) return;
    idle = !wrote;
  }
}

}  // namespace rihla
