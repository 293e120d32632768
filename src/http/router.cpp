#include "http/router.hpp"

#include <stdexcept>

namespace rihla::http {
namespace {

template <class S>
std::vector<S> Split(std::string_view path) {
  std::vector<S> out;
  std::size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

void Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern[0] != '/') throw std::invalid_argument("route must start with /");
  Entry e;
  e.segments = Split<std::string>(route.pattern);
  e.route = std::move(route);
  entries_.push_back(std::move(e));
}

bool Router::MatchSegments(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
                           PathParams& params) {
  if (pattern.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      params.emplace_back(p.substr(1, p.size() - 2), std::string(path[i]));
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  auto segments = Split<std::string_view>(path);
  PathParams params;
  for (const auto& e : entries_) {
    if (!MatchSegments(e.segments, segments, params)) continue;
    if (!m.path_known) m.pattern = e.route.pattern;
    m.path_known = true;
    if (m.allow.find(e.route.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += e.route.method;
    }
    if (m.route == nullptr && e.route.method == method) {
      m.route = &e.route;
      m.params = params;
    }
  }
  // HEAD is served like GET by the transport; it is not listed separately.
  return m;
}

std::vector<std::pair<std::string, std::string>> Router::List() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : entries_) out.emplace_back(e.route.method, e.route.pattern);
  return out;
}

}  // namespace rihla::http
