#include "invariants.hpp"

#include <boost/json.hpp>

#include <unordered_map>

#include "domain/json_input.hpp"

namespace rihla::check {
namespace json = boost::json;

boost::json::object ExchangeJson(const Exchange& e) {
  json::object o{{"op", e.op},
                 {"op_id", e.op_id},
                 {"target", e.target},
                 {"method", e.method},
                 {"path", e.path},
                 {"correlation_id", e.correlation_id},
                 {"invoke_s", e.invoke}};
  if (!e.idempotency_key.empty()) o["idempotency_key"] = e.idempotency_key;
  if (!e.request_body.empty()) o["request_body"] = e.request_body;
  if (e.answered) {
    o["ack_s"] = e.ack;
    o["status"] = e.status;
    o["answer_correlation_id"] = e.answer_correlation;
    if (e.replayed) o["replayed"] = true;
    if (!e.x_cache.empty()) o["x_cache"] = e.x_cache;
    o["body"] = e.body.size() > 4000 ? e.body.substr(0, 4000) + "..." : e.body;
  } else {
    o["ack_s"] = nullptr;
    o["error"] = e.error;
  }
  return o;
}

boost::json::object ViolationJson(const Violation& v, const History& history) {
  json::object o{{"invariant", v.invariant}, {"message", v.message}};
  json::array reqs;
  for (std::size_t i : v.exchanges)
    if (i < history.size()) reqs.push_back(ExchangeJson(history[i]));
  o["requests"] = std::move(reqs);
  if (!v.detail.empty()) o["detail"] = v.detail;
  return o;
}

std::string AnswerIdentity(int status, const std::string& body) {
  auto parsed = domain::TryParseJson(body);
  if (!parsed) return std::to_string(status) + " " + body;
  if (auto* obj = parsed->if_object()) obj->erase("correlation_id");
  return std::to_string(status) + " " + domain::CanonicalJson(*parsed);
}

namespace {

std::string ProblemType(const std::string& body) {
  auto parsed = domain::TryParseJson(body);
  if (!parsed || !parsed->is_object()) return {};
  const auto* t = parsed->as_object().if_contains("type");
  return t && t->is_string() ? std::string(t->as_string()) : std::string();
}

}  // namespace

bool IsFinal(const Exchange& e) {
  if (!e.answered) return false;
  if (e.status >= 200 && e.status < 300) return true;
  if (e.status < 400 || e.status >= 500) return false;
  if (e.status == 409 && ProblemType(e.body) == "/problems/idempotency-in-progress") return false;
  if (e.status == 429) return false;  // throttled before it ran
  return true;
}

std::vector<Violation> CheckAnswersAgree(const std::vector<KeyedOperation>& ops, const History& history) {
  std::vector<Violation> out;
  for (const auto& op : ops) {
    if (op.mismatch_probe) {
      for (std::size_t i : op.exchanges) {
        const Exchange& e = history[i];
        if (!IsFinal(e)) continue;
        if (e.status == 422 && ProblemType(e.body) == "/problems/idempotency-key-reused") continue;
        Violation v{"exactly_once",
                    "key " + op.key + " reused with another payload was answered " + std::to_string(e.status) +
                        " instead of 422 idempotency-key-reused",
                    {i}};
        out.push_back(std::move(v));
      }
      continue;
    }
    std::size_t first = SIZE_MAX;
    std::string first_identity;
    for (std::size_t i : op.exchanges) {
      const Exchange& e = history[i];
      if (!IsFinal(e)) continue;
      std::string id = AnswerIdentity(e.status, e.body);
      if (first == SIZE_MAX) {
        first = i;
        first_identity = std::move(id);
      } else if (id != first_identity) {
        out.push_back(Violation{"exactly_once",
                                "two final answers for user " + op.user + " key " + op.key + " differ",
                                {first, i}});
      }
    }
  }
  return out;
}

std::vector<Violation> CheckBookingsPerKey(const std::map<std::string, int>& bookings_per_key,
                                           const std::map<std::string, std::size_t>& created_keys) {
  std::vector<Violation> out;
  for (const auto& [key, n] : bookings_per_key) {
    if (n > 1) {
      std::vector<std::size_t> ev;
      if (auto it = created_keys.find(key); it != created_keys.end()) ev.push_back(it->second);
      out.push_back(Violation{"exactly_once", "key " + key + " has " + std::to_string(n) + " bookings", ev,
                              json::object{{"key", key}, {"bookings", n}}});
    }
  }
  for (const auto& [key, exchange] : created_keys) {
    auto it = bookings_per_key.find(key);
    int n = it == bookings_per_key.end() ? 0 : it->second;
    if (n != 1)
      out.push_back(Violation{"exactly_once",
                              "key " + key + " got 201 but the owner's list holds " + std::to_string(n) + " bookings",
                              {exchange}, json::object{{"key", key}, {"bookings", n}}});
  }
  return out;
}

std::vector<Violation> CheckNoOversell(const std::vector<FlightEndState>& flights) {
  std::vector<Violation> out;
  for (const auto& f : flights) {
    long long sold = f.seats_total - f.seats_available;
    if (sold != f.held_passengers || sold < 0)
      out.push_back(Violation{"no_oversell",
                              "flight " + f.flight_id + ": seats_total - seats_available = " + std::to_string(sold) +
                                  " but its pending_payment and confirmed bookings hold " +
                                  std::to_string(f.held_passengers) + " passengers",
                              {},
                              json::object{{"flight_id", f.flight_id},
                                           {"seats_total", f.seats_total},
                                           {"seats_available", f.seats_available},
                                           {"held_passengers", f.held_passengers}}});
  }
  return out;
}

std::vector<Violation> CheckWebhookOnce(const std::vector<WebhookEvent>& events, const History& history) {
  std::vector<Violation> out;
  std::map<std::string, std::vector<std::size_t>> confirmations;  // booking -> first confirming exchange per event
  for (const auto& ev : events) {
    std::size_t first = SIZE_MAX;
    std::string first_identity;
    bool confirmed = false;
    for (std::size_t i : ev.exchanges) {
      const Exchange& e = history[i];
      if (!IsFinal(e)) continue;
      std::string id = AnswerIdentity(e.status, e.body);
      if (first == SIZE_MAX) {
        first = i;
        first_identity = id;
      } else if (id != first_identity) {
        out.push_back(Violation{"webhook_once", "redelivery of event " + ev.event_id + " got another answer",
                                {first, i}});
      }
      auto parsed = domain::TryParseJson(e.body);
      if (e.status == 200 && parsed && parsed->is_object()) {
        const auto* r = parsed->as_object().if_contains("result");
        if (r && r->is_string() && r->as_string() == "confirmed" && !confirmed) {
          confirmed = true;
          confirmations[ev.booking_id].push_back(i);
        }
      }
    }
  }
  for (const auto& [booking, exchanges] : confirmations) {
    if (exchanges.size() > 1)
      out.push_back(Violation{"webhook_once",
                              "booking " + booking + " was confirmed by " + std::to_string(exchanges.size()) +
                                  " events",
                              exchanges});
  }
  return out;
}

CorrelationResult CheckCorrelation(const History& history, const LogCheckInput* logs) {
  CorrelationResult result;
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Exchange& e = history[i];
    by_id.emplace(e.correlation_id, i);
    // A proxy's own 502/504 (an instance down behind it) carries no id of ours to echo.
    bool proxy_gap = e.answer_correlation.empty() && (e.status == 502 || e.status == 504);
    if (e.answered && !proxy_gap && e.answer_correlation != e.correlation_id)
      result.violations.push_back(Violation{"correlation",
                                            "answer echoed X-Correlation-ID '" + e.answer_correlation +
                                                "' for a request sent with '" + e.correlation_id + "'",
                                            {i}});
  }
  if (logs == nullptr) return result;
  std::unordered_map<std::string, int> access_lines;
  for (const auto& line : logs->log_lines) {
    auto parsed = domain::TryParseJson(line);
    if (!parsed || !parsed->is_object()) continue;
    ++result.log_lines_read;
    const auto& obj = parsed->as_object();
    if (const auto* d = obj.if_contains("dropped"); d && d->is_int64()) result.dropped_lines_reported += d->as_int64();
    const auto* cid = obj.if_contains("correlation_id");
    if (!cid || !cid->is_string()) continue;
    std::string id(cid->as_string());
    if (id.rfind(logs->id_prefix, 0) != 0) continue;  // not ours (health checks, other clients)
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      result.violations.push_back(Violation{"correlation", "log line carries id " + id + " that no request of this run sent",
                                            {}, json::object{{"log_line", line}}});
      continue;
    }
    const Exchange& e = history[it->second];
    const auto* msg = obj.if_contains("msg");
    if (!msg || !msg->is_string() || msg->as_string() != "request") continue;
    int n = ++access_lines[id];
    const auto* method = obj.if_contains("method");
    const auto* status = obj.if_contains("status");
    bool method_ok = method && method->is_string() && method->as_string() == e.method;
    bool status_ok = !e.answered || (status && status->is_int64() && status->as_int64() == e.status);
    if (n > 1 || !method_ok || !status_ok)
      result.violations.push_back(Violation{"correlation",
                                            n > 1 ? "request " + id + " has more than one access line"
                                                  : "access line for " + id + " does not describe that request",
                                            {it->second}, json::object{{"log_line", line}}});
  }
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Exchange& e = history[i];
    if (e.answered && !e.answer_correlation.empty() && !access_lines.count(e.correlation_id)) {
      ++result.missing_access_lines;
      if (missing.size() < 5) missing.push_back(i);
    }
  }
  if (result.missing_access_lines > 0 && !logs->faults_ran && result.dropped_lines_reported == 0)
    result.violations.push_back(Violation{"correlation",
                                          std::to_string(result.missing_access_lines) +
                                              " answered requests have no access line, and neither a fault nor a "
                                              "dropped-lines report explains it",
                                          missing});
  return result;
}

}  // namespace rihla::check
