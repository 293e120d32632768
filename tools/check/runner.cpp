#include "runner_internal.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <regex>

extern char** environ;

namespace rihla::check {

FaultSpec ParseFault(const std::string& text) {
  static const std::regex kPattern(R"(^\s*at=([0-9]+(?:\.[0-9]+)?)(ms|s|m)?\s+cmd=(.+)$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern))
    throw std::invalid_argument("--fault must look like 'at=20s cmd=COMMAND', got: " + text);
  double at = std::stod(m[1].str());
  std::string unit = m[2].str();
  if (unit == "ms") at /= 1000;
  if (unit == "m") at *= 60;
  return FaultSpec{at, m[3].str()};
}

int RunCheck(const RunOptions& options) {
  detail::Runner runner(options);
  return runner.Execute();
}

}  // namespace rihla::check

namespace rihla::check::detail {

std::optional<json::value> ParseBody(const std::string& body) { return domain::TryParseJson(body); }

std::string StringField(const json::value& v, std::string_view name) {
  if (!v.is_object()) return {};
  const auto* f = v.as_object().if_contains(name);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

// "450.00" -> 45000; -1 when not a decimal amount.
long long MinorUnits(const std::string& amount) {
  long long whole = 0, frac = 0;
  int frac_digits = -1;
  if (amount.empty()) return -1;
  for (char c : amount) {
    if (c == '.') {
      if (frac_digits >= 0) return -1;
      frac_digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (frac_digits < 0) whole = whole * 10 + (c - '0');
      else if (frac_digits < 2) {
        frac = frac * 10 + (c - '0');
        ++frac_digits;
      }
    } else {
      return -1;
    }
  }
  if (frac_digits == 1) frac *= 10;
  return whole * 100 + frac;
}

std::string AmountText(long long minor) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", minor / 100, minor % 100);
  return buf;
}

// RFC 3339 UTC ("2026-12-01T08:00:00Z", fractions ignored) to unix seconds; -1 when malformed.
double UnixSeconds(const std::string& text) {
  std::tm tm{};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return -1;
  return static_cast<double>(::timegm(&tm));
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Runner::Runner(const RunOptions& o)
    : options_(o), client_(io_, Targets(o.targets)), rng_(o.seed) {
  std::mt19937_64 id_rng(o.seed ^ static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  char buf[16];
  std::snprintf(buf, sizeof buf, "rc%06llx", static_cast<unsigned long long>(id_rng() & 0xffffff));
  prefix_ = buf;
  flight_number_base_ = static_cast<std::size_t>(id_rng() % 10000);
  down_until_.assign(o.targets.size(), 0);
  faults_.resize(o.faults.size());
  for (std::size_t i = 0; i < o.faults.size(); ++i) {
    faults_[i].at = o.faults[i].at;
    faults_[i].command = o.faults[i].command;
  }
}

int Runner::Execute() {
  asio::co_spawn(io_, Main(), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "rihla-check: " << ex.what() << "\n";
      }
      exit_code_ = kExitUsage;
    }
  });
  io_.run();
  for (auto& t : fault_threads_) t.join();
  return exit_code_;
}

std::vector<Target> Runner::Targets(const std::vector<std::string>& urls) {
  std::vector<Target> out;
  for (const auto& u : urls) out.push_back(ParseTarget(u));
  return out;
}

// A random target among those that answered last time (or that were down for over a second);
// any target when none is up.
std::size_t Runner::RandomTarget() {
  std::vector<std::size_t> up;
  for (std::size_t t = 0; t < client_.target_count(); ++t)
    if (down_until_[t] <= Now()) up.push_back(t);
  return up.empty() ? Uniform(client_.target_count()) : up[Uniform(up.size())];
}

awaitable<void> Runner::Sleep(double seconds) {
  asio::steady_timer t(io_);
  t.expires_after(std::chrono::microseconds(static_cast<long long>(seconds * 1e6)));
  co_await t.async_wait(use_awaitable);
}

// One attempt: records the exchange and its figures; returns its index in history_.
awaitable<std::size_t> Runner::Call(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                            std::string path, std::string body, HeaderList headers, std::string key,
                            double timeout) {
  std::size_t idx = history_.size();
  history_.emplace_back();
  Exchange& e = history_.back();
  e.op_id = op_id;
  e.op = op;
  e.target = target;
  e.method = method;
  e.path = path;
  e.request_body = body;
  e.idempotency_key = key;
  e.correlation_id = prefix_ + "-" + std::to_string(++next_request_);
  headers.emplace_back("X-Correlation-ID", e.correlation_id);
  if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
  e.invoke = Now();
  HttpAnswer a = co_await client_.Send(target, method, path, body, std::move(headers), timeout);
  double done = Now();
  Exchange& r = history_[idx];
  OpStats& stats = stats_[op];
  stats.latencies_ms.push_back((done - r.invoke) * 1000);
  auto second = static_cast<std::size_t>(done);
  if (timeline_.size() <= second) timeline_.resize(second + 1);
  ++timeline_[second].ops;
  timeline_[second].latencies_ms.push_back((done - r.invoke) * 1000);
  down_until_[target] = a.answered ? 0 : done + 1.0;
  if (a.answered) {
    r.answered = true;
    r.ack = done;
    r.status = a.status;
    r.body = std::move(a.body);
    r.answer_correlation = a.Header("x-correlation-id");
    r.x_cache = a.Header("x-cache");
    r.replayed = a.Header("idempotent-replayed") == "true";
    ++stats.statuses[std::to_string(a.status)];
    if (a.status >= 500) {
      ++errors_;
      ++timeline_[second].errors;
    }
    if (!(r.answer_correlation.empty() && (a.status == 502 || a.status == 504)) &&
        r.answer_correlation != r.correlation_id)
      ++online_violations_;
    if (op == "search") {
      if (r.x_cache == "HIT") ++cache_hits_;
      else if (r.x_cache == "MISS") ++cache_misses_;
    }
  } else {
    r.error = a.error;
    // A timeout shorter than kRequestTimeout is the workload's impatient client, not a fault.
    bool impatient = a.error == "timeout" && timeout < kRequestTimeout;
    ++transport_[impatient ? "impatient_timeout" : a.error.substr(0, a.error.find(':'))];
    ++stats.statuses["error"];
    ++errors_;
    ++timeline_[second].errors;
  }
  co_return idx;
}

// Sends until a final answer, as a careful client does: same key and body, backoff with
// jitter, another target after a transport failure. Gives up kRetryGrace after the load ends.
awaitable<Attempts> Runner::UntilFinal(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                               std::string path, std::string body, HeaderList headers, std::string key,
                               bool idempotent, double first_timeout) {
  Attempts out;
  double backoff = 0.05;
  for (int attempt = 0; attempt < 60; ++attempt) {
    std::size_t idx = co_await Call(op_id, op, target, method, path, body, headers, key,
                                    attempt == 0 ? first_timeout : kRequestTimeout);
    out.exchanges.push_back(idx);
    const Exchange& e = history_[idx];
    if (idempotent ? IsFinal(e) : FinalForPlainRequest(e)) {
      out.final = idx;
      co_return out;
    }
    if (Now() > retry_deadline_) co_return out;
    if (!e.answered && client_.target_count() > 1) target = (target + 1) % client_.target_count();
    co_await Sleep(backoff * std::uniform_real_distribution<double>(0.5, 1.0)(rng_));
    backoff = std::min(backoff * 2, 2.0);
  }
  co_return out;
}

// Runs fn(0..n-1) on `width` coroutines at once. (Waits below poll a counter: GCC 12 destroys
// lambda temporaries in co_await expressions twice, so none are passed to coroutines.)
awaitable<void> Runner::ForEach(std::size_t n, std::size_t width, std::function<awaitable<void>(std::size_t)> fn) {
  auto next = std::make_shared<std::size_t>(0);
  auto running = std::make_shared<std::size_t>(0);
  for (std::size_t w = 0; w < std::min(n, width); ++w) {
    ++*running;
    asio::co_spawn(
        io_,
        [next, n, fn]() -> awaitable<void> {
          while (*next < n) co_await fn((*next)++);
        },
        [running](std::exception_ptr) { --*running; });
  }
  while (*running != 0) co_await Sleep(0.02);
}

awaitable<void> Runner::Progress() {
  double next_plain = 5;
  while (!load_done_) {
    co_await Sleep(options_.progress_tty ? 0.5 : 1.0);
    double t = Now();
    auto sec = static_cast<std::size_t>(t);
    double rate = sec >= 1 && sec - 1 < timeline_.size() ? static_cast<double>(timeline_[sec - 1].ops) : 0;
    char line[200];
    std::snprintf(line, sizeof line, "[%6.1fs] %7.0f req/s  errors %lld  violations %lld", t, rate, errors_,
                  online_violations_);
    if (options_.progress_tty) {
      std::cout << "\r" << line << "   " << std::flush;
    } else if (t >= next_plain) {
      std::cout << line << "\n" << std::flush;
      next_plain += 5;
    }
  }
  if (options_.progress_tty) std::cout << "\n";
}

void Runner::StartFault(std::size_t i) {
  FaultRecord* rec = &faults_[i];
  rec->started = Now();
  auto start = start_;
  fault_threads_.emplace_back([rec, start] {
    std::string cmd = rec->command;
    char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), cmd.data(), nullptr};
    pid_t pid = 0;
    int status = 0;
    if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, environ) != 0) {
      rec->exit_status = 127;
    } else {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      rec->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    rec->finished = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

awaitable<void> Runner::Faults() {
  std::vector<std::size_t> order(faults_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](auto a, auto b) { return faults_[a].at < faults_[b].at; });
  for (std::size_t i : order) {
    if (faults_[i].at > options_.duration_s) break;
    double wait = faults_[i].at - Now();
    if (wait > 0) co_await Sleep(wait);
    StartFault(i);
  }
}

awaitable<std::optional<std::string>> Runner::SetUp() {
  if (!co_await TargetsReachable()) co_return "";  // TargetsReachable named each unreachable target
  if (!co_await LoadAirports()) co_return "rihla-check: GET /v1/airports did not list at least two airports\n";
  std::size_t user_count = std::clamp<std::size_t>(static_cast<std::size_t>(options_.concurrency) / 4, 4, 32);
  co_await SignUpUsers(user_count);
  if (users_.empty()) co_return "rihla-check: could not sign up any user\n";
  if (!co_await CreateFlights()) co_return "rihla-check: the admin API refused to create flights (check --admin-token)\n";
  co_return std::nullopt;
}

awaitable<void> Runner::Main() {
  start_ = std::chrono::steady_clock::now();
  start_wall_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  retry_deadline_ = 60;
  if (std::optional<std::string> failed = co_await SetUp()) {
    std::cerr << *failed;
    exit_code_ = kExitUsage;
    co_return;
  }
  route_zipf_ = Zipf(routes_.size(), 1.1);
  date_zipf_ = Zipf(dates_.size(), 0.9);
  std::cout << "rihla-check: " << users_.size() << " users, " << flights_.size() << " flights (RC*, "
            << dates_.front().substr(0, 4) << "), " << options_.concurrency << " workers, " << options_.duration_s
            << " s, seed " << options_.seed << ", ids " << prefix_ << "-*\n"
            << std::flush;

  // The load's clock starts now: faults, duration and timeline are relative to it.
  double setup = Now();
  start_ += std::chrono::microseconds(static_cast<long long>(setup * 1e6));
  start_wall_ += setup;
  for (auto& e : history_) {
    e.invoke -= setup;
    if (e.answered) e.ack -= setup;
  }
  timeline_.clear();
  retry_deadline_ = options_.duration_s + kRetryGrace;

  auto running = std::make_shared<std::size_t>(0);
  auto spawn = [&](awaitable<void> a) {
    ++*running;
    asio::co_spawn(io_, std::move(a), [this, running](std::exception_ptr e) {
      --*running;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        notes_.push_back(std::string("a worker stopped on an unexpected error: ") + ex.what());
      }
    });
  };
  for (int i = 0; i < options_.concurrency; ++i) spawn(Worker());
  spawn(Logouts());
  spawn(Faults());
  asio::co_spawn(io_, Progress(), asio::detached);
  while (*running != 0) co_await Sleep(0.02);
  double load_seconds = std::min(Now(), std::max(options_.duration_s, 0.001));
  load_done_ = true;
  retry_deadline_ = Now() + 60;  // the end-state reads and the cleanup get their own minute

  co_await Finish(load_seconds);
}

}  // namespace rihla::check::detail
