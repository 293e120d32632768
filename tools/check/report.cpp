#include "report.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

namespace rihla::check {
namespace json = boost::json;

long long RunSummary::TotalViolations() const {
  long long n = 0;
  for (const auto& [name, v] : invariants) n += static_cast<long long>(v.size());
  return n;
}

long long RunSummary::TransportErrors() const {
  long long n = 0;
  for (const auto& [kind, count] : transport) {
    if (kind != "reused_closed" && kind != "impatient_timeout") n += count;
  }
  return n;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size()))) ;
  if (idx > 0) --idx;
  return values[std::min(idx, values.size() - 1)];
}

namespace {

std::string Fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string StatusText(const OpStats& s) {
  std::string out;
  for (const auto& [status, n] : s.statuses) out += (out.empty() ? "" : " ") + status + ":" + std::to_string(n);
  return out;
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

void PrintTables(const RunSummary& s, std::ostream& out) {
  char line[512];
  std::snprintf(line, sizeof line, "%-12s %8s %9s %9s %9s %9s  %s\n", "operation", "count", "ops/s", "p50 ms",
                "p99 ms", "p99.9 ms", "statuses");
  out << line;
  for (const auto& [name, stats] : s.ops) {
    auto lat = stats.latencies_ms;
    double p50 = Percentile(lat, 0.5), p99 = Percentile(lat, 0.99), p999 = Percentile(lat, 0.999);
    std::snprintf(line, sizeof line, "%-12s %8zu %9.1f %9.2f %9.2f %9.2f  %s\n", name.c_str(), lat.size(),
                  s.duration_s > 0 ? static_cast<double>(lat.size()) / s.duration_s : 0.0, p50, p99, p999,
                  StatusText(stats).c_str());
    out << line;
  }
  long long lookups = s.cache_hits + s.cache_misses;
  out << "cache hit ratio (X-Cache): "
      << (lookups > 0 ? Fixed(100.0 * static_cast<double>(s.cache_hits) / static_cast<double>(lookups)) + "%"
                      : std::string("n/a"))
      << " (" << s.cache_hits << " HIT, " << s.cache_misses << " MISS)\n";
  out << "transport errors: " << s.TransportErrors();
  for (const auto& [kind, n] : s.transport) out << " " << kind << ":" << n;
  out << "\n";
  for (const auto& f : s.faults) {
    out << "fault at " << Fixed(f.at) << "s: " << f.command << " -> "
        << (f.started < 0 ? std::string("not run") : "exit " + std::to_string(f.exit_status)) << "\n";
  }
  for (const auto& n : s.notes) out << "note: " << n << "\n";
  for (const auto& name : InvariantNames()) {
    auto it = s.invariants.find(name);
    std::size_t n = it == s.invariants.end() ? 0 : it->second.size();
    std::snprintf(line, sizeof line, "%-14s %s  %zu\n", name.c_str(), n == 0 ? "PASS" : "FAIL", n);
    out << line;
    if (it != s.invariants.end()) {
      for (std::size_t i = 0; i < std::min<std::size_t>(3, n); ++i) out << "    " << it->second[i].message << "\n";
    }
  }
}

json::object ReportJson(const RunSummary& s) {
  json::object inv;
  for (const auto& name : InvariantNames()) {
    auto it = s.invariants.find(name);
    json::array examples;
    std::size_t n = 0;
    if (it != s.invariants.end()) {
      n = it->second.size();
      for (std::size_t i = 0; i < std::min<std::size_t>(20, n); ++i)
        examples.push_back(ViolationJson(it->second[i], *s.history));
    }
    inv[name] = json::object{{"violations", n}, {"examples", std::move(examples)}};
  }
  json::object ops;
  for (const auto& [name, stats] : s.ops) {
    auto lat = stats.latencies_ms;
    json::object statuses;
    for (const auto& [st, n] : stats.statuses) statuses[st] = n;
    ops[name] = json::object{{"count", lat.size()},
                             {"ops_per_s", s.duration_s > 0 ? static_cast<double>(lat.size()) / s.duration_s : 0.0},
                             {"p50_ms", Percentile(lat, 0.5)},
                             {"p99_ms", Percentile(lat, 0.99)},
                             {"p999_ms", Percentile(lat, 0.999)},
                             {"statuses", std::move(statuses)}};
  }
  json::array faults;
  for (const auto& f : s.faults) {
    json::object o{{"at_s", f.at}, {"command", f.command}};
    if (f.started >= 0) {
      o["started_s"] = f.started;
      o["finished_s"] = f.finished;
      o["exit_status"] = f.exit_status;
    } else {
      o["exit_status"] = nullptr;
    }
    faults.push_back(std::move(o));
  }
  json::array timeline;
  for (std::size_t i = 0; i < s.timeline.size(); ++i) {
    auto lat = s.timeline[i].latencies_ms;
    timeline.push_back(json::object{{"t_s", i},
                                    {"ops", s.timeline[i].ops},
                                    {"errors", s.timeline[i].errors},
                                    {"p99_ms", Percentile(lat, 0.99)}});
  }
  json::array notes;
  for (const auto& n : s.notes) notes.push_back(json::string(n));
  json::array targets;
  for (const auto& t : s.targets) targets.push_back(json::string(t));
  long long lookups = s.cache_hits + s.cache_misses;
  json::object transport{{"errors", s.TransportErrors()}};
  for (const auto& [kind, n] : s.transport) transport[kind] = n;
  return json::object{
      {"invariants", std::move(inv)},
      {"ops", std::move(ops)},
      {"faults", std::move(faults)},
      {"cache", json::object{{"hits", s.cache_hits},
                             {"misses", s.cache_misses},
                             {"hit_ratio", lookups > 0 ? static_cast<double>(s.cache_hits) / static_cast<double>(lookups)
                                                       : 0.0}}},
      {"transport", std::move(transport)},
      {"timeline", std::move(timeline)},
      {"duration_s", s.duration_s},
      {"seed", s.seed},
      {"correlation_prefix", s.id_prefix},
      {"targets", std::move(targets)},
      {"notes", std::move(notes)},
      {"violations", s.TotalViolations()}};
}

std::string HtmlReport(const RunSummary& s) {
  const double w = 900, h = 220, left = 50, bottom = 25, top = 15;
  std::size_t n = std::max<std::size_t>(s.timeline.size(), 1);
  double max_ops = 1, max_p99 = 1;
  std::vector<double> p99(s.timeline.size());
  for (std::size_t i = 0; i < s.timeline.size(); ++i) {
    auto lat = s.timeline[i].latencies_ms;
    p99[i] = Percentile(lat, 0.99);
    max_ops = std::max(max_ops, static_cast<double>(s.timeline[i].ops));
    max_p99 = std::max(max_p99, p99[i]);
  }
  auto x_of = [&](double t) { return left + (w - left - 10) * t / static_cast<double>(n); };
  auto chart = [&](const std::string& title, const std::string& color, double max_v,
                   const std::function<double(std::size_t)>& value) {
    std::ostringstream svg;
    svg << "<h2>" << title << "</h2><svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
        << "' style='background:#fafafa;border:1px solid #ddd'>";
    svg << "<text x='5' y='" << top + 5 << "' font-size='11'>" << Fixed(max_v) << "</text>";
    svg << "<text x='5' y='" << h - bottom << "' font-size='11'>0</text>";
    svg << "<line x1='" << left << "' y1='" << h - bottom << "' x2='" << w - 10 << "' y2='" << h - bottom
        << "' stroke='#999'/>";
    for (const auto& f : s.faults) {
      if (f.started < 0) continue;
      double x = x_of(f.started);
      svg << "<line x1='" << x << "' y1='" << top << "' x2='" << x << "' y2='" << h - bottom
          << "' stroke='#d33' stroke-dasharray='4,3'/><text x='" << x + 3 << "' y='" << top + 10
          << "' font-size='10' fill='#d33'>" << HtmlEscape(f.command.substr(0, 40)) << "</text>";
    }
    svg << "<polyline fill='none' stroke='" << color << "' stroke-width='1.5' points='";
    for (std::size_t i = 0; i < s.timeline.size(); ++i) {
      double y = (h - bottom) - (h - bottom - top) * value(i) / max_v;
      svg << x_of(static_cast<double>(i) + 0.5) << "," << y << " ";
    }
    svg << "'/>";
    for (std::size_t t = 0; t <= n; t += std::max<std::size_t>(1, n / 10))
      svg << "<text x='" << x_of(static_cast<double>(t)) << "' y='" << h - 8 << "' font-size='10'>" << t
          << "s</text>";
    svg << "</svg>";
    return svg.str();
  };
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>rihla-check report</title>"
          "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
          ".pass{color:#080}.fail{color:#c00;font-weight:bold}</style></head><body>";
  html << "<h1>rihla-check: " << (s.TotalViolations() == 0 ? "<span class='pass'>PASS</span>" : "<span class='fail'>FAIL</span>")
       << "</h1><p>" << Fixed(s.duration_s) << " s against";
  for (const auto& t : s.targets) html << " " << HtmlEscape(t);
  html << ", seed " << s.seed << "</p>";
  html << "<h2>Invariants</h2><table><tr><th>invariant</th><th>result</th><th>violations</th><th>first example</th></tr>";
  for (const auto& name : InvariantNames()) {
    auto it = s.invariants.find(name);
    std::size_t cnt = it == s.invariants.end() ? 0 : it->second.size();
    html << "<tr><td>" << name << "</td><td class='" << (cnt == 0 ? "pass'>PASS" : "fail'>FAIL") << "</td><td>" << cnt
         << "</td><td style='text-align:left'>" << (cnt > 0 ? HtmlEscape(it->second[0].message) : "") << "</td></tr>";
  }
  html << "</table>";
  html << chart("Throughput (requests/s)", "#2a6", max_ops,
                [&](std::size_t i) { return static_cast<double>(s.timeline[i].ops); });
  html << chart("p99 latency (ms)", "#36c", max_p99, [&](std::size_t i) { return p99[i]; });
  html << "<h2>Operations</h2><table><tr><th>operation</th><th>count</th><th>ops/s</th><th>p50 ms</th><th>p99 ms</th>"
          "<th>p99.9 ms</th><th>statuses</th></tr>";
  for (const auto& [name, stats] : s.ops) {
    auto lat = stats.latencies_ms;
    html << "<tr><td>" << name << "</td><td>" << lat.size() << "</td><td>"
         << Fixed(s.duration_s > 0 ? static_cast<double>(lat.size()) / s.duration_s : 0) << "</td><td>"
         << Fixed(Percentile(lat, 0.5), 2) << "</td><td>" << Fixed(Percentile(lat, 0.99), 2) << "</td><td>"
         << Fixed(Percentile(lat, 0.999), 2) << "</td><td style='text-align:left'>" << StatusText(stats)
         << "</td></tr>";
  }
  html << "</table>";
  long long lookups = s.cache_hits + s.cache_misses;
  html << "<p>Cache hit ratio (X-Cache): "
       << (lookups > 0 ? Fixed(100.0 * static_cast<double>(s.cache_hits) / static_cast<double>(lookups)) + "%" : "n/a")
       << "</p>";
  if (!s.faults.empty()) {
    html << "<h2>Faults</h2><table><tr><th>at</th><th>command</th><th>exit</th></tr>";
    for (const auto& f : s.faults)
      html << "<tr><td>" << Fixed(f.at) << " s</td><td style='text-align:left'>" << HtmlEscape(f.command)
           << "</td><td>" << (f.started < 0 ? std::string("not run") : std::to_string(f.exit_status)) << "</td></tr>";
    html << "</table>";
  }
  for (const auto& note : s.notes) html << "<p>Note: " << HtmlEscape(note) << "</p>";
  html << "</body></html>\n";
  return html.str();
}

}  // namespace rihla::check
