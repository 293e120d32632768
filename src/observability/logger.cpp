#include "observability/logger.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <ctime>

namespace rihla {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string NowRfc3339Millis() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else return false;
  return true;
}

Logger::Logger(LogLevel min_level, std::FILE* out) : min_level_(min_level), out_(out) {
  writer_ = std::thread([this] { Run(); });
}

Logger::~Logger() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void Logger::Announce(std::string_view msg, const boost::json::object& fields) {
  WriteLine(LogLevel::kInfo, msg, fields);
}

void Logger::Write(LogLevel level, std::string_view msg, const boost::json::object& fields) {
  if (!Enabled(level)) return;
  WriteLine(level, msg, fields);
}

void Logger::WriteLine(LogLevel level, std::string_view msg, const boost::json::object& fields) {
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["ts"] = NowRfc3339Millis();
  line["level"] = LevelName(level);
  line["msg"] = msg;
  for (const auto& kv : fields) line[kv.key()] = kv.value();
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  {
    std::lock_guard lock(mu_);
    if (pending_.size() + text.size() > kMaxPendingBytes) {
      ++dropped_;  // stdout is not keeping up: drop rather than grow without bound
      return;
    }
    if (dropped_ > 0) {
      pending_ += "{\"level\":\"warn\",\"msg\":\"log lines dropped: stdout too slow\",\"dropped\":" +
                  std::to_string(dropped_) + "}\n";
      dropped_ = 0;
    }
    pending_ += text;
    ++pending_seq_;
  }
  cv_.notify_one();
}

void Logger::Flush() {
  std::unique_lock lock(mu_);
  std::uint64_t target = pending_seq_;
  cv_.notify_one();
  flushed_cv_.wait(lock, [&] { return written_seq_ >= target || stop_; });
}

void Logger::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    std::string batch;
    batch.swap(pending_);
    std::uint64_t seq = pending_seq_;
    bool stopping = stop_;
    lock.unlock();
    if (!batch.empty()) {
      std::fwrite(batch.data(), 1, batch.size(), out_);
      std::fflush(out_);
    }
    lock.lock();
    written_seq_ = seq;
    flushed_cv_.notify_all();
    if (stopping && pending_.empty()) return;
  }
}

}  // namespace rihla
