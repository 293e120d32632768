#pragma once
// Prometheus metrics registry (text exposition format 0.0.4).
//
// Every family is declared once, as a constexpr definition in observability/metric_families.hpp:
// its name, HELP text, type and label names. A component asks the registry for the family when it
// is constructed and resolves the series it updates into handles (Counter, Histogram) that it
// keeps; updating a handle is a relaxed atomic add, with no lookup and no lock. Label values are
// escaped by the registry, once, when a series is resolved. Gauges are callbacks read at render.
//
// Thread-safety: every member function is thread-safe. Families and handles stay valid for the
// registry's lifetime; two components resolving the same family and label values share one series.
#include <array>
#include <atomic>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rihla {

enum class MetricType { kCounter, kGauge, kHistogram };

// A counter family with N labels.
template <std::size_t N>
struct CounterDef {
  std::string_view name;
  std::string_view help;
  std::array<std::string_view, N> labels;
};

// A histogram family with N labels. `buckets` are the finite upper bounds, ascending (the +Inf
// bucket is implicit) and must outlive the registry (point them at a constexpr array). If
// `total_name` is set, the observation count of each series is also exposed as a counter family
// of that name, with the same labels and `total_help` as its HELP.
template <std::size_t N>
struct HistogramDef {
  std::string_view name;
  std::string_view help;
  std::array<std::string_view, N> labels;
  std::span<const double> buckets;
  std::string_view total_name;
  std::string_view total_help;
};

// A gauge without labels, read when /metrics is rendered.
struct GaugeDef {
  std::string_view name;
  std::string_view help;
};

class Metrics;

namespace metrics_internal {

// One labelled series. Counters use `count` only.
struct Series {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum_micros{0};                // histograms: sum of positive observations x 1e6, rounded
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // histograms: per bound, not cumulative
};

struct FamilyData {
  MetricType type;
  std::string name;
  std::string help;
  std::vector<std::string> labels;
  std::span<const double> buckets;
  std::string total_name;
  std::string total_help;
  std::function<double()> read;  // gauges
  // key: the rendered label text, e.g. `result="hit"` (empty without labels). Guarded by Metrics::mu_;
  // the pointees are never freed before the registry.
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series;
};

// A family inside a registry; what the typed family handles share.
class FamilyRef {
 public:
  FamilyRef(Metrics& metrics, FamilyData& family) : metrics_(&metrics), family_(&family) {}
  // The series for `values` (one per label, in declaration order), created at zero on first
  // use. Takes the registry lock.
  Series& Resolve(std::initializer_list<std::string_view> values) const;
  const FamilyData& family() const { return *family_; }

 private:
  Metrics* metrics_;
  FamilyData* family_;
};

}  // namespace metrics_internal

// A label value as the caller has it: text, or an integer (e.g. an HTTP status) formatted here.
class LabelValue {
 public:
  LabelValue(std::string_view text) : text_(text) {}
  LabelValue(const std::string& text) : text_(text) {}
  LabelValue(const char* text) : text_(text) {}
  LabelValue(int number) {
    auto end = std::to_chars(digits_.data(), digits_.data() + digits_.size(), number).ptr;
    length_ = static_cast<std::size_t>(end - digits_.data());
  }
  std::string_view view() const { return length_ ? std::string_view(digits_.data(), length_) : text_; }

 private:
  std::string_view text_;
  std::array<char, 12> digits_{};
  std::size_t length_ = 0;
};

// One counter series. Cheap to copy; valid for the registry's lifetime.
class Counter {
 public:
  explicit Counter(std::atomic<std::uint64_t>& value) : value_(&value) {}
  void Increment(std::uint64_t by = 1) const { value_->fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_->load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t>* value_;
};

// One histogram series. Cheap to copy; valid for the registry's lifetime.
class Histogram {
 public:
  Histogram(metrics_internal::Series& series, std::span<const double> bounds) : series_(&series), bounds_(bounds) {}
  // Counts `value` in the first bucket whose bound is >= value (or only in +Inf). Lock-free.
  void Observe(double value) const;

 private:
  metrics_internal::Series* series_;
  std::span<const double> bounds_;
};

template <std::size_t N>
class CounterFamily {
 public:
  explicit CounterFamily(metrics_internal::FamilyRef ref) : ref_(ref) {}
  // The series for these label values, one per declared label. Takes the registry lock: resolve
  // once (at construction) and keep the Counter where the path is hot.
  template <typename... V>
    requires(sizeof...(V) == N && (std::constructible_from<LabelValue, const V&> && ...))
  Counter WithLabels(const V&... values) const {
    return Counter(ref_.Resolve({LabelValue(values).view()...}).count);
  }

 private:
  metrics_internal::FamilyRef ref_;
};

template <std::size_t N>
class HistogramFamily {
 public:
  explicit HistogramFamily(metrics_internal::FamilyRef ref) : ref_(ref) {}
  // As CounterFamily::WithLabels. No allocation once the series exists.
  template <typename... V>
    requires(sizeof...(V) == N && (std::constructible_from<LabelValue, const V&> && ...))
  Histogram WithLabels(const V&... values) const {
    return Histogram(ref_.Resolve({LabelValue(values).view()...}), ref_.family().buckets);
  }

 private:
  metrics_internal::FamilyRef ref_;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The family `def` declares, registered on first use; later calls with an equal definition
  // return the same family. Throws std::logic_error if the name (or a histogram's total name) is
  // already registered with a different definition.
  template <std::size_t N>
  CounterFamily<N> Family(const CounterDef<N>& def) {
    return CounterFamily<N>(Register(MetricType::kCounter, def.name, def.help, def.labels, {}, {}, {}));
  }
  template <std::size_t N>
  HistogramFamily<N> Family(const HistogramDef<N>& def) {
    return HistogramFamily<N>(Register(MetricType::kHistogram, def.name, def.help, def.labels, def.buckets,
                                       def.total_name, def.total_help));
  }

  // A gauge read when /metrics is rendered (e.g. pool usage); registering the same gauge again
  // replaces its reader. `read` must stay callable for the registry's lifetime and is called
  // under the registry lock, so it must not call back into the registry. Throws as Family.
  void RegisterGauge(const GaugeDef& def, std::function<double()> read);

  // Every family, sorted by name: HELP and TYPE once per family, then its series.
  std::string Render() const;

 private:
  friend class metrics_internal::FamilyRef;

  metrics_internal::FamilyRef Register(MetricType type, std::string_view name, std::string_view help,
                                       std::span<const std::string_view> labels, std::span<const double> buckets,
                                       std::string_view total_name, std::string_view total_help);
  metrics_internal::Series& Resolve(metrics_internal::FamilyData& family,
                                    std::initializer_list<std::string_view> values);

  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyData>, std::less<>> families_;  // guarded by mu_
};

}  // namespace rihla
