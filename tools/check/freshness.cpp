#include "freshness.hpp"

#include <algorithm>
#include <set>

namespace rihla::check {
namespace {

bool Precedes(const FlightWrite& a, const FlightWrite& b) { return a.ack < b.invoke; }

// Prices a state could show: the values of the included price writes that no other included
// price write follows in real time (or the initial price when none is included).
std::vector<std::int64_t> PricesOf(const FlightHistory& h, const std::vector<std::size_t>& included) {
  std::vector<std::int64_t> out;
  for (std::size_t a : included) {
    if (!h.writes[a].price_minor) continue;
    bool followed = false;
    for (std::size_t b : included) {
      if (b != a && h.writes[b].price_minor && Precedes(h.writes[a], h.writes[b])) followed = true;
    }
    if (!followed) out.push_back(*h.writes[a].price_minor);
  }
  if (out.empty()) out.push_back(h.initial_price_minor);
  return out;
}

std::int64_t SeatsOf(const FlightHistory& h, const std::vector<std::size_t>& included) {
  std::int64_t seats = h.initial_seats;
  for (std::size_t i : included) seats += h.writes[i].seats_delta;
  return seats;
}

bool Matches(const FlightRead& r, std::int64_t seats, const std::vector<std::int64_t>& prices) {
  if (!r.listed) return seats < r.passengers;
  return seats == r.seats && std::find(prices.begin(), prices.end(), r.price_minor) != prices.end();
}

void AddCapped(std::vector<std::int64_t>& v, std::int64_t x) {
  if (v.size() < 20 && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

ReadVerdict CheckRead(const FlightHistory& h, const FlightRead& r) {
  ReadVerdict verdict;
  for (std::size_t i = 0; i < h.writes.size(); ++i) {
    const FlightWrite& w = h.writes[i];
    if (w.certain && w.ack < r.invoke) verdict.required.push_back(i);
    else if (w.invoke < r.ack) verdict.optional.push_back(i);
  }
  const auto& req = verdict.required;
  const auto& opt = verdict.optional;

  if (opt.size() <= kExactOptionalLimit) {
    const std::uint32_t subsets = 1u << opt.size();
    for (std::uint32_t mask = 0; mask < subsets; ++mask) {
      std::vector<std::size_t> included = req;
      for (std::size_t j = 0; j < opt.size(); ++j)
        if (mask & (1u << j)) included.push_back(opt[j]);
      // Closed under real-time order: a certain optional write that ended before an included
      // write began must be included as well.
      bool closed = true;
      for (std::size_t j = 0; j < opt.size() && closed; ++j) {
        if (mask & (1u << j)) continue;
        const FlightWrite& a = h.writes[opt[j]];
        if (!a.certain) continue;
        for (std::size_t b : included)
          if (Precedes(a, h.writes[b])) { closed = false; break; }
      }
      if (!closed) continue;
      std::int64_t seats = SeatsOf(h, included);
      auto prices = PricesOf(h, included);
      if (Matches(r, seats, prices)) return verdict;
      AddCapped(verdict.allowed_seats, seats);
      for (auto p : prices) AddCapped(verdict.allowed_prices, p);
    }
    verdict.ok = false;
    return verdict;
  }

  // Too many overlapping writes to enumerate: seats and prices checked apart.
  std::set<std::int64_t> sums{SeatsOf(h, req)};
  for (std::size_t j : opt) {
    std::set<std::int64_t> next = sums;
    for (auto s : sums) next.insert(s + h.writes[j].seats_delta);
    sums.swap(next);
  }
  auto prices = PricesOf(h, req);
  for (std::size_t j : opt)
    if (h.writes[j].price_minor) prices.push_back(*h.writes[j].price_minor);
  bool seats_ok = false;
  for (auto s : sums) {
    if (r.listed ? s == r.seats : s < r.passengers) seats_ok = true;
    AddCapped(verdict.allowed_seats, s);
  }
  bool price_ok = !r.listed || std::find(prices.begin(), prices.end(), r.price_minor) != prices.end();
  for (auto p : prices) AddCapped(verdict.allowed_prices, p);
  verdict.ok = seats_ok && price_ok;
  return verdict;
}

}  // namespace rihla::check
