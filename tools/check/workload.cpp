#include "runner_internal.hpp"

#include "security/crypto.hpp"

namespace rihla::check::detail {

awaitable<bool> Runner::TargetsReachable() {
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

awaitable<bool> Runner::LoadAirports() {
  std::size_t idx = co_await Call(0, "airports", 0, "GET", "/v1/airports", "", {});
  auto body = ParseBody(history_[idx].body);
  if (!history_[idx].answered || history_[idx].status != 200 || !body) co_return false;
  for (const auto& a : body->as_object().at("airports").as_array()) airports_.push_back(StringField(a, "code"));
  co_return airports_.size() >= 2;
}

awaitable<void> Runner::SignUpUsers(std::size_t count) {
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
awaitable<bool> Runner::CreateFlights() {
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

std::size_t Runner::PickFlight() {
  for (int i = 0; i < 8; ++i) {
    auto it = by_group_.find({route_zipf_(rng_), date_zipf_(rng_)});
    if (it != by_group_.end() && !it->second.empty()) return it->second[Uniform(it->second.size())];
  }
  return Uniform(flights_.size());
}

std::optional<std::size_t> Runner::PickBooking(std::initializer_list<BookingState> states) {
  for (int i = 0; i < 24 && !bookings_.empty(); ++i) {
    std::size_t b = Uniform(bookings_.size());
    if (bookings_[b].busy) continue;
    if (std::find(states.begin(), states.end(), bookings_[b].state) != states.end()) return b;
  }
  return std::nullopt;
}

awaitable<void> Runner::Search() {
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

std::string Runner::BookingBody(const std::string& flight_id, int passengers, const std::string& key) {
  json::array ps;
  for (int i = 0; i < passengers; ++i)
    ps.push_back(json::object{{"given_name", "Check" + std::to_string(i + 1)}, {"family_name", key}});
  return json::serialize(json::object{{"flight_id", flight_id}, {"passengers", std::move(ps)}});
}

awaitable<void> Runner::Book() {
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
void Runner::BeginWrite(std::size_t fi, std::uint64_t op_id, double invoke, std::int64_t seats_delta,
                std::optional<std::int64_t> price_minor, std::string label) {
  FlightWrite w;
  w.label = std::move(label);
  w.invoke = invoke;
  w.certain = false;
  w.seats_delta = seats_delta;
  w.price_minor = price_minor;
  flights_[fi].in_flight[op_id] = std::move(w);
}

// fresh_search (and, for direct reads, no_oversell) as far as it can be judged at the read's
// ack: against the writes final so far, with every write still in flight and every expiry
// that may have happened counted as possibly applied. That only adds freedom to the end
// check (which knows how each write ended), so a read flagged here is flagged there too; the
// end check is the one that reports, this one shows violations on the progress line as they
// happen.
void Runner::CheckOnline(std::size_t fi, const FlightRead& read) {
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

void Runner::AddAnswerViolations(const KeyedOperation& op) {
  for (auto& v : CheckAnswersAgree({op}, history_)) {
    ++online_violations_;
    violations_["exactly_once"].push_back(std::move(v));
  }
}

awaitable<void> Runner::Cancel() {
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

awaitable<void> Runner::Pay() {
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

awaitable<void> Runner::Patch() {
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

awaitable<void> Runner::ReadFlight(std::size_t fi) {
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

awaitable<void> Runner::GetBooking() {
  auto pick = PickBooking({BookingState::kPending, BookingState::kConfirmed, BookingState::kCancelled});
  if (!pick) co_return;
  const Booking& b = bookings_[*pick];
  co_await Call(++next_op_, "get_booking", RandomTarget(), "GET", "/v1/bookings/" + b.id, "", UserAuth(b.user));
}

awaitable<void> Runner::Worker() {
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
awaitable<void> Runner::Logouts() {
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

}  // namespace rihla::check::detail
