#pragma once
// Prometheus metrics registry. All methods are thread-safe; counters are lock-free once created.
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rihla {

class Metrics {
 public:
  // Upper bounds (seconds) of the request latency histogram buckets.
  static constexpr std::array<double, 12> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // http_requests_total / http_request_duration_seconds by route template and status.
  void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);

  // A monotonically increasing counter, e.g. Increment("rihla_cache_requests_total", "result=\"hit\"").
  // `labels` is the inside of {...}, already escaped, or empty.
  void Increment(std::string_view name, std::string_view labels = {}, std::uint64_t by = 1);
  // The counter itself, for hot paths that increment it often: the reference stays valid for
  // the registry's lifetime.
  std::atomic<std::uint64_t>& CounterRef(std::string_view name, std::string_view labels = {}) {
    return Counter(name, labels);
  }

  // A gauge read when /metrics is rendered (e.g. pool usage). `help` is the HELP text.
  void RegisterGauge(std::string name, std::string help, std::function<double()> read);
  // HELP text for a counter family.
  void Describe(std::string name, std::string help);

  std::string Render() const;

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };
  struct Gauge {
    std::string help;
    std::function<double()> read;
  };

  std::atomic<std::uint64_t>& Counter(std::string_view name, std::string_view labels);

  mutable std::shared_mutex mu_;
  // key: name + '{' + labels + '}'  — guarded by mu_ (the pointees are atomics).
  std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>, std::less<>> counters_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms_;  // key: labels
  std::map<std::string, Gauge, std::less<>> gauges_;
  std::map<std::string, std::string, std::less<>> help_;
};

}  // namespace rihla
