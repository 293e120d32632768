#include "runner_internal.hpp"

namespace rihla::check::detail {

awaitable<std::vector<ListedBooking>> Runner::ListAll() {
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
void Runner::CheckFreshness(const std::set<std::string>& skip) {
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

awaitable<void> Runner::Cleanup(std::vector<ListedBooking> listed) {
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

// After the load: the end-state checks, the clean-up, the log checks and the outputs.
awaitable<void> Runner::Finish(double load_seconds) {
  auto listed = co_await CheckEndState();
  co_await Cleanup(std::move(listed));
  CheckLogs();
  WriteOutputs(load_seconds);
}

// Reads the end state (every owner's bookings, every flight) before the clean-up changes it
// and runs the end checks of exactly_once, no_oversell, fresh_search and webhook_once.
// Returns the bookings listed, for the clean-up.
awaitable<std::vector<ListedBooking>> Runner::CheckEndState() {
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

  co_return listed;
}

// correlation, from the responses and the --log files (read once the faults are done).
void Runner::CheckLogs() {
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

}

// The tables on stdout, --report and --html, and the exit code.
void Runner::WriteOutputs(double load_seconds) {
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
  summary.transport = transport_;
  summary.transport["reused_closed"] = client_.reused_closed();
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

}  // namespace rihla::check::detail
