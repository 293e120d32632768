#include "observability/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace rihla {
namespace {

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string_view FamilyOf(std::string_view key) { return key.substr(0, key.find('{')); }

}  // namespace

std::atomic<std::uint64_t>& Metrics::Counter(std::string_view name, std::string_view labels) {
  std::string key;
  key.reserve(name.size() + labels.size() + 2);
  key.append(name);
  if (!labels.empty()) {
    key.push_back('{');
    key.append(labels);
    key.push_back('}');
  }
  {
    std::shared_lock lock(mu_);
    auto it = counters_.find(key);
    if (it != counters_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = counters_[key];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  return *slot;
}

void Metrics::Increment(std::string_view name, std::string_view labels, std::uint64_t by) {
  Counter(name, labels).fetch_add(by, std::memory_order_relaxed);
}

void Metrics::ObserveRequest(std::string_view method, std::string_view route, int status, double seconds) {
  // The label text is built in a stack buffer: no allocation on the hot path once the series exists.
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "method=\"%.*s\",route=\"%.*s\",status=\"%d\"", static_cast<int>(method.size()),
                        method.data(), static_cast<int>(route.size()), route.data(), status);
  std::string_view labels(buf, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
  Histogram* h = nullptr;
  {
    std::shared_lock lock(mu_);
    auto it = histograms_.find(labels);
    if (it != histograms_.end()) h = it->second.get();
  }
  if (h == nullptr) {
    std::unique_lock lock(mu_);
    auto& slot = histograms_[std::string(labels)];
    if (!slot) slot = std::make_unique<Histogram>();
    h = slot.get();
  }
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      h->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  h->count.fetch_add(1, std::memory_order_relaxed);
  h->sum_micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::RegisterGauge(std::string name, std::string help, std::function<double()> read) {
  std::unique_lock lock(mu_);
  gauges_[std::move(name)] = Gauge{std::move(help), std::move(read)};
}

void Metrics::Describe(std::string name, std::string help) {
  std::unique_lock lock(mu_);
  help_[std::move(name)] = std::move(help);
}

std::string Metrics::Render() const {
  std::shared_lock lock(mu_);
  std::string out;
  out += "# HELP http_requests_total Requests answered, by method, route template and status.\n";
  out += "# TYPE http_requests_total counter\n";
  for (const auto& [labels, h] : histograms_) {
    out += "http_requests_total{" + labels + "} " + std::to_string(h->count.load()) + "\n";
  }
  out += "# HELP http_request_duration_seconds Time from request parsed to response ready.\n";
  out += "# TYPE http_request_duration_seconds histogram\n";
  for (const auto& [labels, h] : histograms_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += h->buckets[i].load();
      out += "http_request_duration_seconds_bucket{" + labels + ",le=\"" + FormatDouble(kLatencyBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h->count.load()) + "\n";
    out += "http_request_duration_seconds_sum{" + labels + "} " + FormatDouble(h->sum_micros.load() / 1e6) + "\n";
    out += "http_request_duration_seconds_count{" + labels + "} " + std::to_string(h->count.load()) + "\n";
  }
  std::string_view family;
  for (const auto& [key, value] : counters_) {
    std::string_view f = FamilyOf(key);
    if (f != family) {
      family = f;
      auto help = help_.find(f);
      if (help != help_.end()) out += "# HELP " + std::string(f) + " " + help->second + "\n";
      out += "# TYPE " + std::string(f) + " counter\n";
    }
    out += key + " " + std::to_string(value->load()) + "\n";
  }
  for (const auto& [name, gauge] : gauges_) {
    out += "# HELP " + name + " " + gauge.help + "\n# TYPE " + name + " gauge\n";
    out += name + " " + FormatDouble(gauge.read()) + "\n";
  }
  return out;
}

}  // namespace rihla
