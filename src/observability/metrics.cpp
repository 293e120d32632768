#include "observability/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace rihla {
namespace {

using metrics_internal::FamilyData;
using metrics_internal::Series;

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Label text built on the stack: resolving an existing series allocates nothing unless its
// label text is longer than the buffer.
class LabelText {
 public:
  void Append(std::string_view s) {
    if (heap_.empty() && length_ + s.size() <= inline_.size()) {
      std::memcpy(inline_.data() + length_, s.data(), s.size());
      length_ += s.size();
      return;
    }
    if (heap_.empty()) heap_.assign(inline_.data(), length_);
    heap_.append(s);
  }
  // Prometheus label-value escaping: backslash, double quote and newline.
  void AppendEscaped(std::string_view s) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char* escaped = s[i] == '\\' ? "\\\\" : s[i] == '"' ? "\\\"" : s[i] == '\n' ? "\\n" : nullptr;
      if (escaped == nullptr) continue;
      Append(s.substr(start, i - start));
      Append(escaped);
      start = i + 1;
    }
    Append(s.substr(start));
  }
  std::string_view view() const { return heap_.empty() ? std::string_view(inline_.data(), length_) : heap_; }

 private:
  std::array<char, 512> inline_;
  std::size_t length_ = 0;
  std::string heap_;
};

// HELP text escaping: backslash and newline.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help, MetricType type) {
  if (!help.empty()) out.append("# HELP ").append(name).append(" ").append(EscapeHelp(help)).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(TypeName(type)).append("\n");
}

// `name{labels} value` or `name value`; `extra` (e.g. `le="0.5"`) is appended to the labels.
void AppendSample(std::string& out, std::string_view name, std::string_view labels, std::string_view extra,
                  std::string_view value) {
  out.append(name);
  if (!labels.empty() || !extra.empty()) {
    out.append("{").append(labels);
    if (!labels.empty() && !extra.empty()) out.append(",");
    out.append(extra).append("}");
  }
  out.append(" ").append(value).append("\n");
}

void RenderHistogram(std::string& out, const FamilyData& f) {
  if (!f.total_name.empty()) {
    AppendHeader(out, f.total_name, f.total_help, MetricType::kCounter);
    for (const auto& [labels, s] : f.series) AppendSample(out, f.total_name, labels, {}, std::to_string(s->count.load()));
  }
  AppendHeader(out, f.name, f.help, MetricType::kHistogram);
  const std::string bucket = f.name + "_bucket";
  for (const auto& [labels, s] : f.series) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < f.buckets.size(); ++i) {
      cumulative += s->buckets[i].load();
      AppendSample(out, bucket, labels, "le=\"" + FormatDouble(f.buckets[i]) + "\"", std::to_string(cumulative));
    }
    AppendSample(out, bucket, labels, "le=\"+Inf\"", std::to_string(s->count.load()));
    AppendSample(out, f.name + "_sum", labels, {}, FormatDouble(s->sum_micros.load() / 1e6));
    AppendSample(out, f.name + "_count", labels, {}, std::to_string(s->count.load()));
  }
}

}  // namespace

namespace metrics_internal {

Series& FamilyRef::Resolve(std::initializer_list<std::string_view> values) const {
  return metrics_->Resolve(*family_, values);
}

}  // namespace metrics_internal

void Histogram::Observe(double value) const {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      series_->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  series_->count.fetch_add(1, std::memory_order_relaxed);
  if (value > 0) series_->sum_micros.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
}

metrics_internal::FamilyRef Metrics::Register(MetricType type, std::string_view name, std::string_view help,
                                              std::span<const std::string_view> labels,
                                              std::span<const double> buckets, std::string_view total_name,
                                              std::string_view total_help) {
  std::unique_lock lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    const FamilyData& f = *it->second;
    bool same = f.type == type && f.help == help && std::equal(f.labels.begin(), f.labels.end(), labels.begin(), labels.end()) &&
                std::equal(f.buckets.begin(), f.buckets.end(), buckets.begin(), buckets.end()) &&
                f.total_name == total_name && f.total_help == total_help;
    if (!same) throw std::logic_error("metrics: family " + std::string(name) + " is declared twice, differently");
    return metrics_internal::FamilyRef(*this, *it->second);
  }
  for (const auto& [other, f] : families_) {
    bool clash = (!f->total_name.empty() && (f->total_name == name || f->total_name == total_name)) ||
                 (!total_name.empty() && other == total_name);
    if (clash) throw std::logic_error("metrics: family name " + std::string(name) + " clashes with " + other);
  }
  auto f = std::make_unique<FamilyData>();
  f->type = type;
  f->name = std::string(name);
  f->help = std::string(help);
  f->labels.assign(labels.begin(), labels.end());
  f->buckets = buckets;
  f->total_name = std::string(total_name);
  f->total_help = std::string(total_help);
  FamilyData& ref = *f;
  families_.emplace(f->name, std::move(f));
  return metrics_internal::FamilyRef(*this, ref);
}

Series& Metrics::Resolve(FamilyData& family, std::initializer_list<std::string_view> values) {
  // The typed families pass exactly one value per declared label.
  LabelText key;
  std::size_t i = 0;
  for (std::string_view value : values) {
    if (i > 0) key.Append(",");
    key.Append(family.labels[i++]);
    key.Append("=\"");
    key.AppendEscaped(value);
    key.Append("\"");
  }
  {
    std::shared_lock lock(mu_);
    auto it = family.series.find(key.view());
    if (it != family.series.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto it = family.series.find(key.view());
  if (it == family.series.end()) {
    auto series = std::make_unique<Series>();
    if (family.type == MetricType::kHistogram) {
      series->buckets = std::make_unique<std::atomic<std::uint64_t>[]>(family.buckets.size());
    }
    it = family.series.emplace(std::string(key.view()), std::move(series)).first;
  }
  return *it->second;
}

void Metrics::RegisterGauge(const GaugeDef& def, std::function<double()> read) {
  Register(MetricType::kGauge, def.name, def.help, {}, {}, {}, {});
  std::unique_lock lock(mu_);
  families_.find(def.name)->second->read = std::move(read);
}

std::string Metrics::Render() const {
  std::shared_lock lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    switch (f->type) {
      case MetricType::kCounter:
        AppendHeader(out, f->name, f->help, f->type);
        for (const auto& [labels, s] : f->series) AppendSample(out, f->name, labels, {}, std::to_string(s->count.load()));
        break;
      case MetricType::kGauge:
        AppendHeader(out, f->name, f->help, f->type);
        if (f->read) AppendSample(out, f->name, {}, {}, FormatDouble(f->read()));
        break;
      case MetricType::kHistogram:
        RenderHistogram(out, *f);
        break;
    }
  }
  return out;
}

}  // namespace rihla
