// Metrics::Render: the Prometheus text exposition of counters, histograms and gauges.
#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

#include "observability/metric_families.hpp"

namespace rihla {
namespace {

constexpr CounterDef<0> kPlain{"test_plain_total", "Plain things."};
constexpr CounterDef<1> kByResult{"test_results_total", "Things by result.", {"result"}};
constexpr CounterDef<2> kByTwo{"test_pairs_total", "Things by a and b.", {"a", "b"}};
constexpr std::array<double, 3> kBounds = {0.1, 1, 10};
constexpr HistogramDef<1> kLatency{"test_latency_seconds", "Latency.", {"op"}, kBounds, "test_ops_total",
                                   "Operations by op."};
constexpr HistogramDef<0> kBare{"test_bare_seconds", "Bare latency.", {}, kBounds};
constexpr GaugeDef kLevel{"test_level", "A level."};

std::size_t Occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.starts_with(line + "\n") || text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, RendersHelpAndTypeOncePerFamily) {
  Metrics metrics;
  metrics.Family(kByResult).WithLabels("hit").Increment();
  metrics.Family(kByResult).WithLabels("miss").Increment();
  metrics.Family(kLatency).WithLabels("read").Observe(0.5);
  metrics.Family(kLatency).WithLabels("write").Observe(0.5);
  std::string text = metrics.Render();
  EXPECT_EQ(Occurrences(text, "# HELP test_results_total "), 1u) << text;
  EXPECT_EQ(Occurrences(text, "# TYPE test_results_total "), 1u) << text;
  EXPECT_TRUE(HasLine(text, "# HELP test_results_total Things by result.")) << text;
  EXPECT_TRUE(HasLine(text, "# TYPE test_results_total counter")) << text;
  EXPECT_EQ(Occurrences(text, "# TYPE test_latency_seconds histogram\n"), 1u) << text;
  EXPECT_EQ(Occurrences(text, "# HELP test_latency_seconds "), 1u) << text;
  EXPECT_EQ(Occurrences(text, "# TYPE test_ops_total counter\n"), 1u) << text;
  EXPECT_EQ(Occurrences(text, "# HELP test_ops_total "), 1u) << text;
}

TEST(Metrics, RendersACounterWithoutLabelsAsItsBareName) {
  Metrics metrics;
  Counter c = metrics.Family(kPlain).WithLabels();
  std::string before = metrics.Render();
  EXPECT_TRUE(HasLine(before, "test_plain_total 0")) << before;
  c.Increment();
  c.Increment(2);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "test_plain_total 3")) << text;
  EXPECT_EQ(text.find("test_plain_total{"), std::string::npos) << text;
}

TEST(Metrics, RendersCounterLabelsInDeclarationOrder) {
  Metrics metrics;
  metrics.Family(kByResult).WithLabels("hit").Increment(2);
  metrics.Family(kByResult).WithLabels("miss").Increment();
  metrics.Family(kByTwo).WithLabels("x", std::string("y")).Increment();
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "test_results_total{result=\"hit\"} 2")) << text;
  EXPECT_TRUE(HasLine(text, "test_results_total{result=\"miss\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "test_pairs_total{a=\"x\",b=\"y\"} 1")) << text;
}

TEST(Metrics, EscapesQuoteBackslashAndNewlineInLabelValues) {
  Metrics metrics;
  metrics.Family(kByResult).WithLabels("say \"hi\"\\now\nthen").Increment();
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, R"(test_results_total{result="say \"hi\"\\now\nthen"} 1)")) << text;
}

TEST(Metrics, EscapesBackslashAndNewlineInHelp) {
  Metrics metrics;
  constexpr CounterDef<0> kOdd{"test_odd_total", "Two\nlines \\ one"};
  metrics.Family(kOdd).WithLabels();
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, R"(# HELP test_odd_total Two\nlines \\ one)")) << text;
}

TEST(Metrics, ResolvesLabelValuesLongerThanTheInlineBufferToOneSeries) {
  Metrics metrics;
  std::string long_value(2000, 'v');
  metrics.Family(kByResult).WithLabels(long_value).Increment();
  metrics.Family(kByResult).WithLabels(long_value).Increment();
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "test_results_total{result=\"" + long_value + "\"} 2")) << text.size();
}

TEST(Metrics, RendersHistogramBucketsCumulativelyWithInfSumAndCount) {
  Metrics metrics;
  Histogram h = metrics.Family(kLatency).WithLabels("read");
  h.Observe(0.05);
  h.Observe(0.1);  // a bound is inclusive
  h.Observe(0.5);
  h.Observe(20);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_bucket{op=\"read\",le=\"0.1\"} 2")) << text;
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_bucket{op=\"read\",le=\"1\"} 3")) << text;
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_bucket{op=\"read\",le=\"10\"} 3")) << text;
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_bucket{op=\"read\",le=\"+Inf\"} 4")) << text;
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_sum{op=\"read\"} 20.65")) << text;
  EXPECT_TRUE(HasLine(text, "test_latency_seconds_count{op=\"read\"} 4")) << text;
  EXPECT_TRUE(HasLine(text, "test_ops_total{op=\"read\"} 4")) << text;
}

TEST(Metrics, RendersAHistogramWithoutLabelsWithOnlyTheBucketLabel) {
  Metrics metrics;
  metrics.Family(kBare).WithLabels().Observe(2);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "test_bare_seconds_bucket{le=\"0.1\"} 0")) << text;
  EXPECT_TRUE(HasLine(text, "test_bare_seconds_bucket{le=\"10\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "test_bare_seconds_bucket{le=\"+Inf\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "test_bare_seconds_sum 2")) << text;
  EXPECT_TRUE(HasLine(text, "test_bare_seconds_count 1")) << text;
  EXPECT_EQ(text.find("_total"), std::string::npos) << text;  // no total family declared
}

TEST(Metrics, ReadsGaugesWhenRendering) {
  Metrics metrics;
  double level = 1;
  metrics.RegisterGauge(kLevel, [&level] { return level; });
  EXPECT_TRUE(HasLine(metrics.Render(), "test_level 1"));
  level = 2.5;
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "# HELP test_level A level.")) << text;
  EXPECT_TRUE(HasLine(text, "# TYPE test_level gauge")) << text;
  EXPECT_TRUE(HasLine(text, "test_level 2.5")) << text;
}

TEST(Metrics, ComponentsTakingTheSameHandleShareOneSeries) {
  Metrics metrics;
  Counter first = metrics.Family(kByResult).WithLabels("hit");   // e.g. one cache
  Counter second = metrics.Family(kByResult).WithLabels("hit");  // e.g. another
  first.Increment();
  second.Increment();
  EXPECT_EQ(first.value(), 2u);
  std::string text = metrics.Render();
  EXPECT_EQ(Occurrences(text, "test_results_total{result=\"hit\"}"), 1u) << text;
  EXPECT_TRUE(HasLine(text, "test_results_total{result=\"hit\"} 2")) << text;
}

TEST(Metrics, RefusesANameDeclaredTwiceDifferently) {
  Metrics metrics;
  metrics.Family(kByResult);
  constexpr CounterDef<1> kOtherHelp{"test_results_total", "Something else.", {"result"}};
  constexpr CounterDef<1> kOtherLabel{"test_results_total", "Things by result.", {"outcome"}};
  constexpr GaugeDef kSameName{"test_results_total", "Things by result."};
  constexpr CounterDef<0> kTotalName{"test_ops_total", "Clashes with a histogram's total."};
  EXPECT_THROW(metrics.Family(kOtherHelp), std::logic_error);
  EXPECT_THROW(metrics.Family(kOtherLabel), std::logic_error);
  EXPECT_THROW(metrics.RegisterGauge(kSameName, [] { return 0.0; }), std::logic_error);
  metrics.Family(kLatency);
  EXPECT_THROW(metrics.Family(kTotalName), std::logic_error);
}

TEST(Metrics, RendersAFamilyWithoutSeriesAsItsHeaderOnly) {
  Metrics metrics;
  metrics.Family(kByResult);
  EXPECT_EQ(metrics.Render(), "# HELP test_results_total Things by result.\n# TYPE test_results_total counter\n");
}

// The request metrics dashboards and tests/functional rely on.
TEST(Metrics, KeepsTheHttpRequestExposition) {
  Metrics metrics;
  metrics.Family(metric::kHttpRequestDuration).WithLabels("GET", "/v1/flights/{id}", 404).Observe(0.0003);
  std::string text = metrics.Render();
  const std::string labels = R"(method="GET",route="/v1/flights/{id}",status="404")";
  EXPECT_TRUE(HasLine(text, "# HELP http_requests_total Requests answered, by method, route template and status."))
      << text;
  EXPECT_TRUE(HasLine(text, "# TYPE http_requests_total counter")) << text;
  EXPECT_TRUE(HasLine(text, "http_requests_total{" + labels + "} 1")) << text;
  EXPECT_TRUE(HasLine(text, "# HELP http_request_duration_seconds Time from request parsed to response ready."))
      << text;
  EXPECT_TRUE(HasLine(text, "# TYPE http_request_duration_seconds histogram")) << text;
  EXPECT_TRUE(HasLine(text, "http_request_duration_seconds_bucket{" + labels + ",le=\"0.0005\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "http_request_duration_seconds_bucket{" + labels + ",le=\"2.5\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "http_request_duration_seconds_sum{" + labels + "} 0.0003")) << text;
  EXPECT_TRUE(HasLine(text, "http_request_duration_seconds_count{" + labels + "} 1")) << text;
  EXPECT_EQ(Occurrences(text, "http_request_duration_seconds_bucket{"), metric::kLatencyBuckets.size() + 1) << text;
}

}  // namespace
}  // namespace rihla
