#include "runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>

#include "domain/json_input.hpp"
#include "freshness.hpp"
#include "history.hpp"
#include "http_client.hpp"
#include "invariants.hpp"
#include "report.hpp"
#include "security/crypto.hpp"

extern char** environ;

namespace rihla::check {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;

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

namespace {

constexpr double kRequestTimeout = 10;   // seconds per attempt
constexpr double kRetryGrace = 30;       // operations may retry this long past the end of the load
constexpr const char* kCurrency = "SAR";

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

class Zipf {
 public:
  Zipf(std::size_t n, double s) {
    double sum = 0;
    for (std::size_t k = 1; k <= n; ++k) cdf_.push_back(sum += 1.0 / std::pow(static_cast<double>(k), s));
    for (auto& c : cdf_) c /= sum;
  }
  template <class Rng>
  std::size_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

struct User {
  std::string id;
  std::string token;
};

struct Flight {
  std::string id;
  std::string from, to, cabin;
  std::size_t route = 0, date = 0;
  long long seats_total = 0;
  long long max_seats_total = 0;  // the largest seats_total ever asked for
  bool total_uncertain = false;   // a seat patch never got an answer
  long long price_minor = 0;
  bool patching = false;
  FlightHistory history;
  std::vector<std::pair<FlightRead, std::size_t>> reads;  // with the exchange that answered
  // GET /v1/flights/{id} answers, read from the database past any cache: they check the write
  // history itself (seats that do not add up are an accounting error, not a stale cache).
  std::vector<std::pair<FlightRead, std::size_t>> direct_reads;
  // Writes sent and not final yet, by operation id: possibly applied (the online checks).
  std::map<std::uint64_t, FlightWrite> in_flight;
  std::vector<std::size_t> bookings;  // indexes into Runner::bookings_
};

enum class BookingState { kPending, kConfirmed, kCancelled, kGone, kUnknown };

struct Booking {
  std::string id;
  std::size_t user = 0;
  std::size_t flight = 0;
  int passengers = 1;
  long long total_minor = 0;
  std::string key;
  BookingState state = BookingState::kPending;
  bool busy = false;
  double expires_s = kNever;  // run-relative expiry
};

struct Attempts {
  std::vector<std::size_t> exchanges;
  std::optional<std::size_t> final;
};

bool FinalForPlainRequest(const Exchange& e) { return e.answered && e.status < 500 && e.status != 429; }

class Runner {
 public:
  explicit Runner(const RunOptions& o)
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

  int Execute() {
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

 private:
  static std::vector<Target> Targets(const std::vector<std::string>& urls) {
    std::vector<Target> out;
    for (const auto& u : urls) out.push_back(ParseTarget(u));
    return out;
  }

  double Now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  // A random target among those that answered last time (or that were down for over a second);
  // any target when none is up.
  std::size_t RandomTarget() {
    std::vector<std::size_t> up;
    for (std::size_t t = 0; t < client_.target_count(); ++t)
      if (down_until_[t] <= Now()) up.push_back(t);
    return up.empty() ? Uniform(client_.target_count()) : up[Uniform(up.size())];
  }
  std::size_t Uniform(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  awaitable<void> Sleep(double seconds) {
    asio::steady_timer t(io_);
    t.expires_after(std::chrono::microseconds(static_cast<long long>(seconds * 1e6)));
    co_await t.async_wait(use_awaitable);
  }

  // One attempt: records the exchange and its figures; returns its index in history_.
  awaitable<std::size_t> Call(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                              std::string path, std::string body, HeaderList headers, std::string key = {},
                              double timeout = kRequestTimeout) {
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
      ++stats.statuses["error"];
      ++errors_;
      ++timeline_[second].errors;
    }
    co_return idx;
  }

  // Sends until a final answer, as a careful client does: same key and body, backoff with
  // jitter, another target after a transport failure. Gives up kRetryGrace after the load ends.
  awaitable<Attempts> UntilFinal(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                                 std::string path, std::string body, HeaderList headers, std::string key,
                                 bool idempotent, double first_timeout = kRequestTimeout) {
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

  HeaderList UserAuth(std::size_t u) const { return {{"Authorization", "Bearer " + users_[u].token}}; }
  HeaderList AdminAuth() const { return {{"Authorization", "Bearer " + options_.admin_token}}; }

  // Runs fn(0..n-1) on `width` coroutines at once. (Waits below poll a counter: GCC 12 destroys
  // lambda temporaries in co_await expressions twice, so none are passed to coroutines.)
  awaitable<void> ForEach(std::size_t n, std::size_t width, std::function<awaitable<void>(std::size_t)> fn) {
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

  // ---- set-up ----------------------------------------------------------------------------

  awaitable<bool> TargetsReachable() {
    bool all = true;
    for (std::size_t t = 0; t < client_.target_count(); ++t) {
      std::size_t idx = co_await Call(0, "healthz", t, "GET", "/healthz", "", {});
      if (!history_[idx].answered || history_[idx].status != 200) {
        std::cerr << "rihla-check: target " << client_.target(t).url << " is not reachable ("
                  << (history_[idx].answered ? "status " + std::to_string(history_[idx].status) : history_[idx].error)
                  << ")\n";
        all = false;
      }
    }
    co_return all;
  }

  awaitable<bool> LoadAirports() {
    std::size_t idx = co_await Call(0, "airports", 0, "GET", "/v1/airports", "", {});
    auto body = ParseBody(history_[idx].body);
    if (!history_[idx].answered || history_[idx].status != 200 || !body) co_return false;
    for (const auto& a : body->as_object().at("airports").as_array()) airports_.push_back(StringField(a, "code"));
    co_return airports_.size() >= 2;
  }

  awaitable<void> SignUpUsers(std::size_t count) {
    users_.resize(count);
    co_await ForEach(count, 8, [this](std::size_t i) -> awaitable<void> {
      std::string email = prefix_ + "-u" + std::to_string(i) + "@check.rihla.invalid";
      std::string body = json::serialize(json::object{{"email", email}, {"password", "check-" + prefix_ + "-pw"}});
      auto r = co_await UntilFinal(++next_op_, "signup", RandomTarget(), "POST", "/v1/auth/signup", body, {}, "",
                                   false);
      if (r.final && history_[*r.final].status == 201) {
        auto v = ParseBody(history_[*r.final].body);
        users_[i] = User{StringField(*v, "user_id"), StringField(*v, "token")};
      }
    });
    std::erase_if(users_, [](const User& u) { return u.token.empty(); });
  }

  // Routes among the first airports, a few far-future dates, two economy flights and one
  // business flight per route and date. Returns false when the admin API refuses.
  awaitable<bool> CreateFlights() {
    const std::size_t kRoutes = std::min<std::size_t>(10, airports_.size() * (airports_.size() - 1));
    const std::size_t kDates = 5;
    std::vector<std::string> pool = airports_;
    std::shuffle(pool.begin(), pool.end(), rng_);
    std::set<std::pair<std::string, std::string>> used;
    while (routes_.size() < kRoutes) {
      std::string a = pool[Uniform(std::min<std::size_t>(pool.size(), 8))];
      std::string b = pool[Uniform(std::min<std::size_t>(pool.size(), 8))];
      if (a == b || !used.insert({a, b}).second) continue;
      routes_.push_back({a, b});
    }
    int year = 2090 + static_cast<int>(Uniform(9));
    std::set<std::string> date_set;
    while (date_set.size() < kDates) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02zu-%02zu", year, 1 + Uniform(12), 1 + Uniform(28));
      date_set.insert(buf);
    }
    dates_.assign(date_set.begin(), date_set.end());
    std::shuffle(dates_.begin(), dates_.end(), rng_);
    for (std::size_t r = 0; r < routes_.size(); ++r)
      for (std::size_t d = 0; d < dates_.size(); ++d)
        for (const char* cabin : {"economy", "economy", "business"}) {
          Flight f;
          f.from = routes_[r].first;
          f.to = routes_[r].second;
          f.cabin = cabin;
          f.route = r;
          f.date = d;
          f.seats_total = f.max_seats_total = 20 + static_cast<long long>(Uniform(41));
          f.price_minor = (100 + static_cast<long long>(Uniform(800))) * 100;
          flights_.push_back(std::move(f));
        }
    bool refused = false;
    co_await ForEach(flights_.size(), 8, [this, &refused](std::size_t i) -> awaitable<void> {
      Flight& f = flights_[i];
      int hour = 6 + static_cast<int>(i % 14);
      char dep[32], arr[32], number[16];
      std::snprintf(dep, sizeof dep, "%sT%02d:%02zu:00Z", dates_[f.date].c_str(), hour, (i * 7) % 60);
      std::snprintf(arr, sizeof arr, "%sT%02d:%02zu:00Z", dates_[f.date].c_str(), hour + 2, (i * 7) % 60);
      std::snprintf(number, sizeof number, "RC%04zu", (flight_number_base_ + i) % 10000);
      std::string body = json::serialize(json::object{
          {"flight_number", number}, {"from", f.from}, {"to", f.to}, {"departure_time", dep}, {"arrival_time", arr},
          {"cabin", f.cabin}, {"price", json::object{{"amount", AmountText(f.price_minor)}, {"currency", kCurrency}}},
          {"seats_total", f.seats_total}});
      auto r = co_await UntilFinal(++next_op_, "create_flight", RandomTarget(), "POST", "/v1/admin/flights", body,
                                   AdminAuth(), "", false);
      if (r.final && history_[*r.final].status == 201) {
        f.id = StringField(*ParseBody(history_[*r.final].body), "id");
        f.history.initial_seats = f.seats_total;
        f.history.initial_price_minor = f.price_minor;
      } else if (r.final && history_[*r.final].status == 401) {
        refused = true;
      }
    });
    if (refused) co_return false;
    std::vector<Flight> created;
    for (auto& f : flights_)
      if (!f.id.empty()) created.push_back(std::move(f));
    flights_ = std::move(created);
    for (std::size_t i = 0; i < flights_.size(); ++i) by_group_[{flights_[i].route, flights_[i].date}].push_back(i);
    co_return !flights_.empty();
  }

  // ---- workload --------------------------------------------------------------------------

  std::size_t PickFlight() {
    for (int i = 0; i < 8; ++i) {
      auto it = by_group_.find({route_zipf_(rng_), date_zipf_(rng_)});
      if (it != by_group_.end() && !it->second.empty()) return it->second[Uniform(it->second.size())];
    }
    return Uniform(flights_.size());
  }

  std::optional<std::size_t> PickBooking(std::initializer_list<BookingState> states) {
    for (int i = 0; i < 24 && !bookings_.empty(); ++i) {
      std::size_t b = Uniform(bookings_.size());
      if (bookings_[b].busy) continue;
      if (std::find(states.begin(), states.end(), bookings_[b].state) != states.end()) return b;
    }
    return std::nullopt;
  }

  awaitable<void> Search() {
    std::size_t route = route_zipf_(rng_), date = date_zipf_(rng_);
    if (route >= routes_.size() || date >= dates_.size()) co_return;
    std::string cabin = Chance(0.85) ? "economy" : "business";
    int passengers = Chance(0.8) ? 1 : 2 + static_cast<int>(Uniform(3));
    auto code = [this](std::string c) {
      if (Chance(0.2)) std::transform(c.begin(), c.end(), c.begin(), ::tolower);
      return c;
    };
    // Equivalent spellings of one query (case, order, defaults) must share a cache entry.
    std::vector<std::string> params{"from=" + code(routes_[route].first), "to=" + code(routes_[route].second),
                                    "date=" + dates_[date]};
    if (passengers != 1 || Chance(0.5)) params.push_back("passengers=" + std::to_string(passengers));
    if (cabin != "economy" || Chance(0.5)) params.push_back("cabin=" + cabin);
    std::shuffle(params.begin(), params.end(), rng_);
    std::string path = "/v1/flights/search?";
    for (std::size_t i = 0; i < params.size(); ++i) path += (i ? "&" : "") + params[i];
    std::size_t idx = co_await Call(++next_op_, "search", RandomTarget(), "GET", path, "", {});
    if (!history_[idx].answered) idx = co_await Call(next_op_, "search", RandomTarget(), "GET", path, "", {});
    const Exchange& e = history_[idx];
    if (!e.answered || e.status != 200) co_return;
    auto body = ParseBody(e.body);
    if (!body || !body->is_object() || !body->as_object().if_contains("flights")) co_return;
    std::map<std::string, const json::object*> listed;
    for (const auto& f : body->as_object().at("flights").as_array())
      if (f.is_object()) listed[StringField(f, "id")] = &f.as_object();
    auto it = by_group_.find({route, date});
    if (it == by_group_.end()) co_return;
    for (std::size_t fi : it->second) {
      Flight& f = flights_[fi];
      if (f.cabin != cabin) continue;
      FlightRead read;
      read.invoke = e.invoke;
      read.ack = e.ack;
      read.passengers = passengers;
      if (auto l = listed.find(f.id); l != listed.end()) {
        read.listed = true;
        const auto* seats = l->second->if_contains("seats_available");
        read.seats = seats && seats->is_int64() ? seats->as_int64() : -1;
        if (const auto* price = l->second->if_contains("price"))
          read.price_minor = MinorUnits(StringField(*price, "amount"));
        if (read.seats < 0 || read.seats > f.max_seats_total) {
          ++online_violations_;
          Violation v{"no_oversell",
                      "search answered seats_available " + std::to_string(read.seats) + " for flight " + f.id +
                          " whose seats_total is at most " + std::to_string(f.max_seats_total),
                      {idx}};
          violations_["no_oversell"].push_back(std::move(v));
        }
      }
      CheckOnline(fi, read);
      f.reads.emplace_back(read, idx);
    }
  }

  std::string BookingBody(const std::string& flight_id, int passengers, const std::string& key) {
    json::array ps;
    for (int i = 0; i < passengers; ++i)
      ps.push_back(json::object{{"given_name", "Check" + std::to_string(i + 1)}, {"family_name", key}});
    return json::serialize(json::object{{"flight_id", flight_id}, {"passengers", std::move(ps)}});
  }

  awaitable<void> Book() {
    if (users_.empty() || flights_.empty()) co_return;
    std::size_t u = Uniform(users_.size());
    std::size_t fi = PickFlight();
    Flight& f = flights_[fi];
    int passengers = Chance(0.7) ? 1 : 2 + static_cast<int>(Uniform(2));
    std::string key = prefix_ + "-k" + std::to_string(++next_key_);
    std::string body = BookingBody(f.id, passengers, key);
    std::uint64_t op_id = ++next_op_;
    KeyedOperation keyed{users_[u].id, key, false, {}};
    std::vector<Attempts> results;
    double invoke = Now();
    BeginWrite(fi, op_id, invoke, -passengers, std::nullopt, "book key " + key);
    if (Chance(0.08) && client_.target_count() >= 1) {
      // The same key sent at once to two targets (or twice to the only one).
      using namespace asio::experimental::awaitable_operators;
      std::size_t t1 = RandomTarget(), t2 = (t1 + 1) % client_.target_count();
      auto [a, b] = co_await (UntilFinal(op_id, "book", t1, "POST", "/v1/bookings", body, UserAuth(u), key, true) &&
                              UntilFinal(op_id, "book", t2, "POST", "/v1/bookings", body, UserAuth(u), key, true));
      results.push_back(std::move(a));
      results.push_back(std::move(b));
    } else {
      // Now and then the first attempt gives up after 2 ms, as a client whose answer was lost
      // would: the booking may well have been made, and the retry must get its answer.
      double first_timeout = Chance(0.05) ? 0.002 : kRequestTimeout;
      results.push_back(co_await UntilFinal(op_id, "book", RandomTarget(), "POST", "/v1/bookings", body, UserAuth(u),
                                            key, true, first_timeout));
    }
    std::optional<std::size_t> created;
    bool any_final = false;
    for (const auto& r : results) {
      keyed.exchanges.insert(keyed.exchanges.end(), r.exchanges.begin(), r.exchanges.end());
      if (r.final) {
        any_final = true;
        if (history_[*r.final].status == 201 && (!created || history_[*r.final].ack < history_[*created].ack))
          created = *r.final;
      }
    }
    EndWrite(fi, op_id);
    FlightWrite w;
    w.invoke = invoke;
    w.seats_delta = -passengers;
    w.label = "book key " + key + " (" + history_[keyed.exchanges.front()].correlation_id + ")";
    w.evidence = keyed.exchanges;
    if (created) {
      w.ack = history_[*created].ack;
      f.history.writes.push_back(w);
      created_keys_[key] = *created;
      key_flight_[key] = fi;
      auto v = ParseBody(history_[*created].body);
      Booking b;
      b.id = StringField(*v, "id");
      b.user = u;
      b.flight = fi;
      b.passengers = passengers;
      b.key = key;
      if (const auto* total = v->as_object().if_contains("total")) b.total_minor = MinorUnits(StringField(*total, "amount"));
      double expires = UnixSeconds(StringField(*v, "expires_at"));
      if (expires > 0) b.expires_s = expires - start_wall_;
      bookings_.push_back(std::move(b));
      f.bookings.push_back(bookings_.size() - 1);
      // A client that lost the answer sends the same request again; one that reuses the key
      // for another payload must be refused.
      if (Chance(0.05)) {
        auto r = co_await UntilFinal(op_id, "book_replay", RandomTarget(), "POST", "/v1/bookings", body, UserAuth(u),
                                     key, true);
        keyed.exchanges.insert(keyed.exchanges.end(), r.exchanges.begin(), r.exchanges.end());
      }
      if (Chance(0.04)) {
        KeyedOperation probe{users_[u].id, key, true, {}};
        auto r = co_await UntilFinal(op_id, "book_probe", RandomTarget(), "POST", "/v1/bookings",
                                     BookingBody(f.id, passengers + 1, key), UserAuth(u), key, true);
        probe.exchanges = r.exchanges;
        AddAnswerViolations(probe);
        keyed_ops_.push_back(std::move(probe));
      }
    } else if (!any_final) {
      w.certain = false;
      f.history.writes.push_back(w);
      unknown_keys_.insert(key);
    }
    AddAnswerViolations(keyed);
    keyed_ops_.push_back(std::move(keyed));
  }

  // A write on flight `fi` is sent (BeginWrite) and got its final answer or gave up (EndWrite);
  // in between, the online checks count it as possibly applied.
  void BeginWrite(std::size_t fi, std::uint64_t op_id, double invoke, std::int64_t seats_delta,
                  std::optional<std::int64_t> price_minor, std::string label) {
    FlightWrite w;
    w.label = std::move(label);
    w.invoke = invoke;
    w.certain = false;
    w.seats_delta = seats_delta;
    w.price_minor = price_minor;
    flights_[fi].in_flight[op_id] = std::move(w);
  }
  void EndWrite(std::size_t fi, std::uint64_t op_id) { flights_[fi].in_flight.erase(op_id); }

  // fresh_search (and, for direct reads, no_oversell) as far as it can be judged at the read's
  // ack: against the writes final so far, with every write still in flight and every expiry
  // that may have happened counted as possibly applied. That only adds freedom to the end
  // check (which knows how each write ended), so a read flagged here is flagged there too; the
  // end check is the one that reports, this one shows violations on the progress line as they
  // happen.
  void CheckOnline(std::size_t fi, const FlightRead& read) {
    const Flight& f = flights_[fi];
    FlightHistory view = f.history;
    for (const auto& [op, w] : f.in_flight) view.writes.push_back(w);
    for (std::size_t bi : f.bookings) {
      const Booking& b = bookings_[bi];
      if (b.state == BookingState::kCancelled || b.state == BookingState::kConfirmed) continue;
      if (b.expires_s - 1 >= read.ack) continue;
      FlightWrite expiry;
      expiry.invoke = b.expires_s - 1;
      expiry.certain = false;
      expiry.seats_delta = b.passengers;
      view.writes.push_back(std::move(expiry));
    }
    if (CheckRead(view, read).ok) return;
    ++online_violations_;
    ++online_stale_reads_;
  }

  void AddAnswerViolations(const KeyedOperation& op) {
    for (auto& v : CheckAnswersAgree({op}, history_)) {
      ++online_violations_;
      violations_["exactly_once"].push_back(std::move(v));
    }
  }

  awaitable<void> Cancel() {
    auto pick = PickBooking({BookingState::kPending, BookingState::kConfirmed});
    if (!pick) co_return;
    Booking& b = bookings_[*pick];
    b.busy = true;
    std::size_t bi = *pick;
    std::string key = prefix_ + "-c" + std::to_string(++next_key_);
    std::uint64_t op_id = ++next_op_;
    double invoke = Now();
    BeginWrite(b.flight, op_id, invoke, b.passengers, std::nullopt, "cancel booking " + b.id);
    auto r = co_await UntilFinal(op_id, "cancel", RandomTarget(), "POST", "/v1/bookings/" + b.id + "/cancel", "",
                                 UserAuth(b.user), key, true);
    Booking& bb = bookings_[bi];
    EndWrite(bb.flight, op_id);
    KeyedOperation keyed{users_[bb.user].id, key, false, r.exchanges};
    FlightWrite w;
    w.invoke = invoke;
    w.seats_delta = bb.passengers;
    w.label = "cancel booking " + bb.id + " (" + history_[r.exchanges.front()].correlation_id + ")";
    w.evidence = r.exchanges;
    if (r.final && history_[*r.final].status == 200) {
      w.ack = history_[*r.final].ack;
      flights_[bb.flight].history.writes.push_back(w);
      bb.state = BookingState::kCancelled;
      bb.busy = false;
      co_await ReadFlight(bb.flight);  // did the seats come back exactly once?
    } else if (!r.final) {
      w.certain = false;
      flights_[bb.flight].history.writes.push_back(w);
      bb.state = BookingState::kUnknown;
    } else {
      bb.state = BookingState::kGone;  // e.g. expired meanwhile
    }
    bookings_[bi].busy = false;
    AddAnswerViolations(keyed);
    keyed_ops_.push_back(std::move(keyed));
  }

  awaitable<void> Pay() {
    auto pick = Chance(0.9) ? PickBooking({BookingState::kPending}) : PickBooking({BookingState::kConfirmed});
    if (!pick) co_return;
    std::size_t bi = *pick;
    bookings_[bi].busy = true;
    const Booking& b = bookings_[bi];
    std::string event_id = "evt_" + prefix_ + "_" + std::to_string(++next_key_);
    std::string type = Chance(0.05) ? "payment.failed" : "payment.succeeded";
    long long amount = Chance(0.05) ? b.total_minor + 100 : b.total_minor;
    std::string body = json::serialize(json::object{
        {"id", event_id},
        {"type", type},
        {"data", json::object{{"booking_id", b.id},
                              {"amount", json::object{{"amount", AmountText(amount)}, {"currency", kCurrency}}}}}});
    std::uint64_t op_id = ++next_op_;
    WebhookEvent ev{event_id, b.id, {}};
    // Deliveries of one event, concurrently, to random targets; each retried until final.
    std::size_t deliveries = 1 + Uniform(3);
    auto running = std::make_shared<std::size_t>(deliveries);
    auto results = std::make_shared<std::vector<Attempts>>(deliveries);
    for (std::size_t d = 0; d < deliveries; ++d) {
      asio::co_spawn(
          io_,
          [this, op_id, body, d, results]() -> awaitable<void> {
            std::string t = std::to_string(static_cast<long long>(std::time(nullptr)));
            HeaderList h{{"Rihla-Signature", "t=" + t + ",v1=" + HmacSha256Hex(options_.webhook_secret, t + "." + body)}};
            (*results)[d] =
                co_await UntilFinal(op_id, "webhook", RandomTarget(), "POST", "/v1/webhooks/payments", body, h, "", true);
          },
          [running](std::exception_ptr) { --*running; });
    }
    while (*running != 0) co_await Sleep(0.02);
    bool confirmed = false;
    for (const auto& r : *results) {
      ev.exchanges.insert(ev.exchanges.end(), r.exchanges.begin(), r.exchanges.end());
      if (r.final && history_[*r.final].status == 200) {
        auto v = ParseBody(history_[*r.final].body);
        if (v && StringField(*v, "result") == "confirmed") confirmed = true;
      }
    }
    Booking& bb = bookings_[bi];
    if (confirmed && bb.state == BookingState::kPending) bb.state = BookingState::kConfirmed;
    bb.busy = false;
    webhook_events_.push_back(std::move(ev));
  }

  awaitable<void> Patch() {
    std::size_t fi = PickFlight();
    if (flights_[fi].patching) co_return;
    Flight& f = flights_[fi];
    f.patching = true;
    bool seats = Chance(0.5) && !f.total_uncertain;
    FlightWrite w;
    std::string body;
    long long new_total = f.seats_total;
    long long new_price = f.price_minor;
    if (seats) {
      new_total = std::max<long long>(1, f.seats_total - 3 + static_cast<long long>(Uniform(10)));
      w.seats_delta = new_total - f.seats_total;
      f.max_seats_total = std::max(f.max_seats_total, new_total);
      body = json::serialize(json::object{{"seats_total", new_total}});
    } else {
      new_price = (100 + static_cast<long long>(Uniform(800))) * 100;
      w.price_minor = new_price;
      body = json::serialize(
          json::object{{"price", json::object{{"amount", AmountText(new_price)}, {"currency", kCurrency}}}});
    }
    w.invoke = Now();
    std::uint64_t op_id = ++next_op_;
    BeginWrite(fi, op_id, w.invoke, w.seats_delta, w.price_minor, "patch " + body);
    auto r = co_await UntilFinal(op_id, "patch", RandomTarget(), "PATCH", "/v1/admin/flights/" + f.id, body,
                                 AdminAuth(), "", false);
    EndWrite(fi, op_id);
    Flight& ff = flights_[fi];
    w.label = std::string(seats ? "seat" : "price") + " patch " + body + " (" +
              history_[r.exchanges.front()].correlation_id + ")";
    w.evidence = r.exchanges;
    if (r.final && history_[*r.final].status == 200) {
      w.ack = history_[*r.final].ack;
      ff.history.writes.push_back(w);
      ff.seats_total = new_total;
      ff.price_minor = new_price;
    } else if (!r.final) {
      w.certain = false;
      ff.history.writes.push_back(w);
      if (seats) ff.total_uncertain = true;
    }
    ff.patching = false;
  }

  awaitable<void> ReadFlight(std::size_t fi) {
    std::size_t idx = co_await Call(++next_op_, "get_flight", RandomTarget(), "GET", "/v1/flights/" + flights_[fi].id,
                                    "", {});
    const Exchange& e = history_[idx];
    if (!e.answered || e.status != 200) co_return;
    auto v = ParseBody(e.body);
    if (!v || !v->is_object()) co_return;
    FlightRead read;
    read.invoke = e.invoke;
    read.ack = e.ack;
    read.listed = true;
    const auto* seats = v->as_object().if_contains("seats_available");
    read.seats = seats && seats->is_int64() ? seats->as_int64() : -1;
    if (const auto* price = v->as_object().if_contains("price")) read.price_minor = MinorUnits(StringField(*price, "amount"));
    CheckOnline(fi, read);
    flights_[fi].direct_reads.emplace_back(read, idx);
  }

  awaitable<void> GetBooking() {
    auto pick = PickBooking({BookingState::kPending, BookingState::kConfirmed, BookingState::kCancelled});
    if (!pick) co_return;
    const Booking& b = bookings_[*pick];
    co_await Call(++next_op_, "get_booking", RandomTarget(), "GET", "/v1/bookings/" + b.id, "", UserAuth(b.user));
  }

  awaitable<void> Worker() {
    while (Now() < options_.duration_s) {
      double x = std::uniform_real_distribution<double>(0, 100)(rng_);
      if (x < 58) co_await Search();
      else if (x < 78) co_await Book();
      else if (x < 85) co_await Cancel();
      else if (x < 92) co_await Pay();
      else if (x < 96) co_await Patch();
      else if (x < 98) co_await ReadFlight(PickFlight());
      else co_await GetBooking();
    }
  }

  // Now and then a throwaway user signs up and logs out; its token must then be refused.
  awaitable<void> Logouts() {
    co_await Sleep(std::min(1.0, options_.duration_s / 4));
    while (Now() < options_.duration_s - 7) {
      std::string email = prefix_ + "-lo" + std::to_string(++next_key_) + "@check.rihla.invalid";
      std::string body = json::serialize(json::object{{"email", email}, {"password", "check-" + prefix_ + "-pw"}});
      auto s = co_await UntilFinal(++next_op_, "signup", RandomTarget(), "POST", "/v1/auth/signup", body, {}, "", false);
      if (!s.final || history_[*s.final].status != 201) co_return;
      std::string token = StringField(*ParseBody(history_[*s.final].body), "token");
      HeaderList auth{{"Authorization", "Bearer " + token}};
      auto r = co_await UntilFinal(++next_op_, "logout", RandomTarget(), "POST", "/v1/auth/logout", "", auth, "", false);
      if (!r.final) continue;
      int status = history_[*r.final].status;
      if (status == 404 || status == 405) {
        logout_supported_ = false;
        co_return;
      }
      if (status == 204) {
        ++logouts_;
        co_await Sleep(5.5);  // the contract allows 5 s until every instance refuses the token
        std::size_t idx = co_await Call(++next_op_, "revoked_token", RandomTarget(), "GET", "/v1/bookings", "", auth);
        if (history_[idx].answered && history_[idx].status != 401) ++revocation_failures_;
      }
      co_await Sleep(3);
    }
  }

  awaitable<void> Progress() {
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

  void StartFault(std::size_t i) {
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

  awaitable<void> Faults() {
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

  // ---- end of run ------------------------------------------------------------------------

  struct ListedBooking {
    std::string id, status, flight_id, key;
    int passengers = 0;
    std::size_t user = 0;
  };

  awaitable<std::vector<ListedBooking>> ListAll() {
    std::vector<ListedBooking> all;
    co_await ForEach(users_.size(), 8, [this, &all](std::size_t u) -> awaitable<void> {
      std::string cursor;
      for (int page = 0; page < 1000; ++page) {
        std::string path = "/v1/bookings?limit=100" + (cursor.empty() ? "" : "&cursor=" + PercentEncode(cursor));
        auto r = co_await UntilFinal(++next_op_, "list_bookings", RandomTarget(), "GET", path, "", UserAuth(u), "",
                                     false);
        if (!r.final || history_[*r.final].status != 200) {
          list_incomplete_ = true;
          co_return;
        }
        auto v = ParseBody(history_[*r.final].body);
        for (const auto& b : v->as_object().at("bookings").as_array()) {
          ListedBooking lb;
          lb.id = StringField(b, "id");
          lb.status = StringField(b, "status");
          lb.flight_id = StringField(b, "flight_id");
          lb.user = u;
          const auto& ps = b.as_object().at("passengers").as_array();
          lb.passengers = static_cast<int>(ps.size());
          if (!ps.empty()) lb.key = StringField(ps[0], "family_name");
          all.push_back(std::move(lb));
        }
        const auto* next = v->as_object().if_contains("next_cursor");
        if (!next || !next->is_string()) break;
        cursor = std::string(next->as_string());
      }
    });
    co_return all;
  }

  // `skip` names flights whose write history is known to be wrong (a key booked twice, seats
  // that do not add up): another invariant has reported them, and their reads cannot be judged.
  void CheckFreshness(const std::set<std::string>& skip) {
    for (Flight& f : flights_) {
      if (skip.count(f.id)) continue;
      for (const auto& [read, idx] : f.reads) {
        ReadVerdict v = CheckRead(f.history, read);
        if (v.ok) continue;
        Violation viol;
        viol.invariant = "fresh_search";
        viol.exchanges = {idx};
        viol.message = "search " + history_[idx].correlation_id + " showed flight " + f.id +
                       (read.listed ? " with " + std::to_string(read.seats) + " seats at " + AmountText(read.price_minor)
                                    : std::string(" as unlisted for ") + std::to_string(read.passengers) + " passengers") +
                       ", a state that never held between its invoke and its ack";
        json::array allowed_seats, allowed_prices, required, optional;
        for (auto s : v.allowed_seats) allowed_seats.push_back(s);
        for (auto p : v.allowed_prices) allowed_prices.push_back(json::string(AmountText(p)));
        auto write_json = [&](std::size_t w) {
          const FlightWrite& fw = f.history.writes[w];
          json::object o{{"write", fw.label}, {"invoke_s", fw.invoke}, {"certain", fw.certain}};
          o["ack_s"] = fw.ack == kNever ? json::value(nullptr) : json::value(fw.ack);
          if (fw.seats_delta) o["seats_delta"] = fw.seats_delta;
          if (fw.price_minor) o["price"] = AmountText(*fw.price_minor);
          return o;
        };
        for (std::size_t i = v.required.size() > 10 ? v.required.size() - 10 : 0; i < v.required.size(); ++i)
          required.push_back(write_json(v.required[i]));
        // The requests of the writes acked last before the search (the ones it most likely
        // missed) and of those in flight.
        for (std::size_t i = v.required.size() > 2 ? v.required.size() - 2 : 0; i < v.required.size(); ++i)
          for (std::size_t x : f.history.writes[v.required[i]].evidence) viol.exchanges.push_back(x);
        for (std::size_t i = 0; i < std::min<std::size_t>(3, v.optional.size()); ++i)
          for (std::size_t x : f.history.writes[v.optional[i]].evidence) viol.exchanges.push_back(x);
        for (std::size_t i = 0; i < std::min<std::size_t>(10, v.optional.size()); ++i)
          optional.push_back(write_json(v.optional[i]));
        viol.detail = json::object{{"flight_id", f.id},
                                   {"initial_seats", f.history.initial_seats},
                                   {"initial_price", AmountText(f.history.initial_price_minor)},
                                   {"acceptable_seats", std::move(allowed_seats)},
                                   {"acceptable_prices", std::move(allowed_prices)},
                                   {"writes_acked_before_search_sent", std::move(required)},
                                   {"writes_in_flight", std::move(optional)}};
        violations_["fresh_search"].push_back(std::move(viol));
      }
    }
  }

  awaitable<void> Cleanup(std::vector<ListedBooking> listed) {
    co_await ForEach(listed.size(), 8, [this, &listed](std::size_t i) -> awaitable<void> {
      const auto& b = listed[i];
      if (b.status != "pending_payment" && b.status != "confirmed") co_return;
      co_await UntilFinal(++next_op_, "cleanup_cancel", RandomTarget(), "POST", "/v1/bookings/" + b.id + "/cancel", "",
                          UserAuth(b.user), prefix_ + "-x" + std::to_string(++next_key_), true);
    });
    std::size_t refused = 0;
    co_await ForEach(flights_.size(), 8, [this, &refused](std::size_t i) -> awaitable<void> {
      auto r = co_await UntilFinal(++next_op_, "close_flight", RandomTarget(), "PATCH", "/v1/admin/flights/" + flights_[i].id,
                                   R"({"seats_total":0})", AdminAuth(), "", false);
      if (!r.final || history_[*r.final].status != 200) ++refused;
    });
    if (refused > 0) {
      // Seats still held (a booking whose answer was lost): cancel what the lists show now, once more.
      auto again = co_await ListAll();
      co_await ForEach(again.size(), 8, [this, &again](std::size_t i) -> awaitable<void> {
        const auto& b = again[i];
        if (b.status != "pending_payment" && b.status != "confirmed") co_return;
        co_await UntilFinal(++next_op_, "cleanup_cancel", RandomTarget(), "POST", "/v1/bookings/" + b.id + "/cancel",
                            "", UserAuth(b.user), prefix_ + "-x" + std::to_string(++next_key_), true);
      });
      refused = 0;
      co_await ForEach(flights_.size(), 8, [this, &refused](std::size_t i) -> awaitable<void> {
        auto r = co_await UntilFinal(++next_op_, "close_flight", RandomTarget(), "PATCH",
                                     "/v1/admin/flights/" + flights_[i].id, R"({"seats_total":0})", AdminAuth(), "",
                                     false);
        if (!r.final || history_[*r.final].status != 200) ++refused;
      });
      if (refused > 0) notes_.push_back(std::to_string(refused) + " of the run's flights could not be closed");
    }
  }

  awaitable<void> Main() {
    start_ = std::chrono::steady_clock::now();
    start_wall_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    retry_deadline_ = 60;
    if (!co_await TargetsReachable()) {
      exit_code_ = kExitUsage;
      co_return;
    }
    if (!co_await LoadAirports()) {
      std::cerr << "rihla-check: GET /v1/airports did not list at least two airports\n";
      exit_code_ = kExitUsage;
      co_return;
    }
    std::size_t user_count = std::clamp<std::size_t>(static_cast<std::size_t>(options_.concurrency) / 4, 4, 32);
    co_await SignUpUsers(user_count);
    if (users_.empty()) {
      std::cerr << "rihla-check: could not sign up any user\n";
      exit_code_ = kExitUsage;
      co_return;
    }
    if (!co_await CreateFlights()) {
      std::cerr << "rihla-check: the admin API refused to create flights (check --admin-token)\n";
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

    // Bookings that may have expired during the run released their seats at some point after
    // expires_at (within 5 s), unless they were paid or cancelled first: possibly applied.
    for (const Booking& b : bookings_) {
      if (b.expires_s < Now() + 5 && b.state != BookingState::kCancelled) {
        FlightWrite w;
        w.label = "expiry of booking " + b.id;
        w.invoke = b.expires_s - 1;
        w.certain = false;
        w.seats_delta = b.passengers;
        flights_[b.flight].history.writes.push_back(w);
      }
    }

    // End state, before cleanup changes it.
    auto listed = co_await ListAll();
    std::map<std::string, int> per_key;
    std::map<std::string, long long> held;
    std::set<std::string> our_flights;
    for (const auto& f : flights_) our_flights.insert(f.id);
    for (const auto& b : listed) {
      if (!our_flights.count(b.flight_id)) continue;
      if (b.key.rfind(prefix_ + "-k", 0) == 0) ++per_key[b.key];
      if (b.status == "pending_payment" || b.status == "confirmed") held[b.flight_id] += b.passengers;
    }
    if (!list_incomplete_) {
      for (auto& v : CheckBookingsPerKey(per_key, created_keys_)) violations_["exactly_once"].push_back(std::move(v));
    } else {
      notes_.push_back("some booking lists could not be read: the per-key booking count was not checked");
    }
    std::vector<FlightEndState> end_states(flights_.size());
    std::size_t uncertain = 0;
    co_await ForEach(flights_.size(), 8, [this, &end_states, &held](std::size_t i) -> awaitable<void> {
      auto r = co_await UntilFinal(++next_op_, "get_flight", RandomTarget(), "GET", "/v1/flights/" + flights_[i].id, "",
                                   {}, "", false);
      end_states[i].flight_id = flights_[i].id;
      end_states[i].seats_total = flights_[i].seats_total;
      end_states[i].held_passengers = held[flights_[i].id];
      end_states[i].seats_available = -1;
      if (r.final && history_[*r.final].status == 200) {
        auto flight = ParseBody(history_[*r.final].body);
        const auto* s = flight && flight->is_object() ? flight->as_object().if_contains("seats_available") : nullptr;
        if (s && s->is_int64()) end_states[i].seats_available = s->as_int64();
      }
    });
    std::vector<FlightEndState> checkable;
    for (std::size_t i = 0; i < flights_.size(); ++i) {
      if (flights_[i].total_uncertain || end_states[i].seats_available < 0 || list_incomplete_) ++uncertain;
      else checkable.push_back(end_states[i]);
    }
    if (uncertain > 0)
      notes_.push_back("no_oversell end check skipped for " + std::to_string(uncertain) +
                       " flights (unanswered seat patch or unreadable state)");
    std::set<std::string> unjudgeable;
    for (auto& v : CheckNoOversell(checkable)) {
      unjudgeable.insert(std::string(v.detail.at("flight_id").as_string()));
      violations_["no_oversell"].push_back(std::move(v));
    }
    for (const auto& [key, n] : per_key)
      if (n > 1 && key_flight_.count(key)) unjudgeable.insert(flights_[key_flight_[key]].id);
    for (const Flight& f : flights_) {
      if (unjudgeable.count(f.id)) continue;
      for (const auto& [read, idx] : f.direct_reads) {
        if (CheckRead(f.history, read).ok) continue;
        unjudgeable.insert(f.id);
        violations_["no_oversell"].push_back(
            Violation{"no_oversell",
                      "GET /v1/flights/" + f.id + " showed " + std::to_string(read.seats) +
                          " seats available, a count that no order of the run's bookings, cancels and patches explains",
                      {idx}, json::object{{"flight_id", f.id}}});
        break;
      }
    }
    if (!unjudgeable.empty())
      notes_.push_back("fresh_search not judged on " + std::to_string(unjudgeable.size()) +
                       " flights whose writes broke exactly_once or no_oversell");
    CheckFreshness(unjudgeable);
    if (online_stale_reads_ > 0)
      notes_.push_back(std::to_string(online_stale_reads_) +
                       " reads failed the online freshness check as they were answered (the end check above judges "
                       "them with every write's outcome known)");
    for (auto& v : CheckWebhookOnce(webhook_events_, history_)) violations_["webhook_once"].push_back(std::move(v));

    co_await Cleanup(std::move(listed));

    for (auto& t : fault_threads_) t.join();
    fault_threads_.clear();
    bool faults_ran = std::any_of(faults_.begin(), faults_.end(), [](const auto& f) { return f.started >= 0; });
    std::optional<LogCheckInput> logs;
    if (!options_.logs.empty()) {
      logs.emplace();
      logs->id_prefix = prefix_ + "-";
      logs->faults_ran = faults_ran;
      for (const auto& path : options_.logs) {
        std::ifstream in(path);
        if (!in) notes_.push_back("log file " + path + " could not be read");
        for (std::string line; std::getline(in, line);) logs->log_lines.push_back(std::move(line));
      }
    }
    CorrelationResult corr = CheckCorrelation(history_, logs ? &*logs : nullptr);
    for (auto& v : corr.violations) violations_["correlation"].push_back(std::move(v));
    if (logs)
      notes_.push_back(std::to_string(corr.log_lines_read) + " log lines read; " +
                       std::to_string(corr.missing_access_lines) + " answered requests without an access line; " +
                       std::to_string(corr.dropped_lines_reported) + " lines reported dropped by the logger");
    else
      notes_.push_back("no --log given: correlation checked on response headers only");
    if (!logout_supported_) notes_.push_back("POST /v1/auth/logout is not supported by the target: logouts skipped");
    else notes_.push_back(std::to_string(logouts_) + " logouts, " + std::to_string(revocation_failures_) +
                          " revoked tokens still accepted after 5.5 s");
    if (!unknown_keys_.empty())
      notes_.push_back(std::to_string(unknown_keys_.size()) + " bookings never got a final answer (treated as possibly applied)");

    RunSummary summary;
    summary.duration_s = load_seconds;
    summary.targets = options_.targets;
    summary.seed = options_.seed;
    summary.id_prefix = prefix_;
    summary.ops = std::move(stats_);
    summary.timeline = timeline_;
    summary.faults = faults_;
    summary.cache_hits = cache_hits_;
    summary.cache_misses = cache_misses_;
    for (const auto& name : InvariantNames()) summary.invariants[name] = std::move(violations_[name]);
    summary.notes = notes_;
    summary.history = &history_;
    PrintTables(summary, std::cout);
    if (!options_.report_path.empty()) {
      std::ofstream out(options_.report_path);
      out << json::serialize(ReportJson(summary)) << "\n";
      if (!out) std::cerr << "rihla-check: could not write " << options_.report_path << "\n";
    }
    if (!options_.html_path.empty()) {
      std::ofstream out(options_.html_path);
      out << HtmlReport(summary);
      if (!out) std::cerr << "rihla-check: could not write " << options_.html_path << "\n";
    }
    exit_code_ = summary.TotalViolations() == 0 ? kExitPass : kExitViolations;
  }

  RunOptions options_;
  asio::io_context io_;
  HttpClient client_;
  std::mt19937_64 rng_;
  std::string prefix_;
  std::size_t flight_number_base_ = 0;
  std::vector<double> down_until_;  // per target: not picked at random before this time  // flight numbers RC<base+i>, different for every run
  std::chrono::steady_clock::time_point start_;
  double start_wall_ = 0;
  int exit_code_ = kExitUsage;

  History history_;
  std::uint64_t next_request_ = 0, next_op_ = 0, next_key_ = 0;
  std::map<std::string, OpStats> stats_;
  std::vector<TimelinePoint> timeline_;
  long long online_stale_reads_ = 0;  // reads CheckOnline flagged (the end check reports them)
  long long errors_ = 0, online_violations_ = 0, cache_hits_ = 0, cache_misses_ = 0;
  bool load_done_ = false;
  double retry_deadline_ = 0;  // UntilFinal stops retrying after this (seconds since start)

  std::vector<std::string> airports_;
  std::vector<std::pair<std::string, std::string>> routes_;
  std::vector<std::string> dates_;
  std::vector<User> users_;
  std::vector<Flight> flights_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::size_t>> by_group_;
  std::vector<Booking> bookings_;
  Zipf route_zipf_{1, 1}, date_zipf_{1, 1};

  std::vector<KeyedOperation> keyed_ops_;
  std::map<std::string, std::size_t> created_keys_;
  std::map<std::string, std::size_t> key_flight_;  // booking key -> flight index
  std::set<std::string> unknown_keys_;
  std::vector<WebhookEvent> webhook_events_;
  std::map<std::string, std::vector<Violation>> violations_;
  bool list_incomplete_ = false;
  bool logout_supported_ = true;
  long long logouts_ = 0, revocation_failures_ = 0;
  std::vector<std::string> notes_;

  std::vector<FaultRecord> faults_;
  std::vector<std::thread> fault_threads_;
};

}  // namespace

int RunCheck(const RunOptions& options) {
  Runner runner(options);
  return runner.Execute();
}

}  // namespace rihla::check
