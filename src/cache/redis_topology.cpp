#include "cache/redis_topology.hpp"

#include <cctype>
#include <stdexcept>

#include "domain/parse_int.hpp"

namespace rihla::cache {

namespace {

bool ParseInt(std::string_view text, int min, int max, int& out) {
  auto value = domain::ParseInteger<int>(text, min, max);
  if (!value) return false;
  out = *value;
  return true;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      throw std::invalid_argument("redis URL: bad percent-encoding");
    }
    out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

// host[:port] or [IPv6][:port].
RedisNode ParseHostPort(std::string_view authority, int default_port) {
  RedisNode node;
  node.port = default_port;
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("redis URL: bad IPv6 host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("redis URL: bad host");
      port = after.substr(1);
      has_port = true;
    }
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) throw std::invalid_argument("redis URL: missing host");
  if (host.find_first_of("[]@/,") != std::string_view::npos) throw std::invalid_argument("redis URL: bad host");
  node.host = std::string(host);
  if (has_port && !ParseInt(port, 1, 65535, node.port)) throw std::invalid_argument("redis URL: bad port");
  return node;
}

struct Scheme {
  std::string_view prefix;
  RedisMode mode;
  int default_port;
};
constexpr Scheme kSchemes[] = {{"redis://", RedisMode::kStandalone, 6379},
                               {"redis-cluster://", RedisMode::kCluster, 6379},
                               {"redis-sentinel://", RedisMode::kSentinel, 26379}};

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string RedisNode::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string RedisTarget::Describe() const {
  std::string out;
  switch (mode) {
    case RedisMode::kStandalone: out = "redis://"; break;
    case RedisMode::kCluster: out = "redis-cluster://"; break;
    case RedisMode::kSentinel: out = "redis-sentinel://"; break;
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) out += (i ? "," : "") + nodes[i].ToString();
  if (mode == RedisMode::kSentinel) out += "/" + master_name;
  return out;
}

RedisTarget ParseRedisTarget(const std::string& url) {
  const Scheme* scheme = nullptr;
  for (const Scheme& s : kSchemes) {
    if (StartsWith(url, s.prefix)) scheme = &s;
  }
  if (scheme == nullptr) {
    throw std::invalid_argument("redis URL must start with redis://, redis-cluster:// or redis-sentinel://");
  }
  std::string_view rest(url);
  rest.remove_prefix(scheme->prefix.size());
  if (rest.find_first_of("?# \t\r\n") != std::string_view::npos) {
    throw std::invalid_argument("redis URL: unexpected query, fragment or whitespace");
  }
  std::string_view authority = rest;
  std::string_view path;
  bool has_path = false;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
    has_path = true;
  }
  RedisTarget out;
  out.mode = scheme->mode;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) throw std::invalid_argument("redis URL: credentials need a password");
    out.user = PercentDecode(userinfo.substr(0, colon));
    out.password = PercentDecode(userinfo.substr(colon + 1));
    if (out.password.empty()) throw std::invalid_argument("redis URL: empty password");
  }
  for (std::size_t start = 0;;) {
    std::size_t comma = authority.find(',', start);
    out.nodes.push_back(ParseHostPort(authority.substr(start, comma - start), scheme->default_port));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.mode == RedisMode::kStandalone && out.nodes.size() != 1) {
    throw std::invalid_argument("redis URL: one host only (redis-cluster:// or redis-sentinel:// take several)");
  }
  std::string_view db_text = path;
  if (out.mode == RedisMode::kSentinel) {
    auto slash = path.find('/');
    out.master_name = std::string(path.substr(0, slash));
    db_text = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (out.master_name.empty()) throw std::invalid_argument("redis-sentinel URL: missing /<master-name>");
  } else if (out.mode == RedisMode::kCluster && has_path && !path.empty() && path != "0") {
    throw std::invalid_argument("redis-cluster URL: a Cluster has database 0 only");
  }
  if (!db_text.empty() && !ParseInt(db_text, 0, 1 << 20, out.db)) {
    throw std::invalid_argument("redis URL: bad database number");
  }
  return out;
}

std::uint16_t Crc16(std::string_view data) {
  std::uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(byte) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

int KeySlot(std::string_view key) {
  if (auto open = key.find('{'); open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return Crc16(key) % kClusterSlots;
}

std::optional<std::string_view> RoutingKey(const std::vector<std::string>& args) {
  if (args.size() < 2) return std::nullopt;
  std::string cmd = args[0];
  for (char& c : cmd) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (cmd == "EVAL" || cmd == "EVALSHA") {
    if (args.size() < 4 || args[2] == "0") return std::nullopt;
    return std::string_view(args[3]);
  }
  if (cmd == "PING" || cmd == "SCAN" || cmd == "WAIT" || cmd == "ROLE" || cmd == "CLUSTER" || cmd == "ASKING" ||
      cmd == "INFO" || cmd == "SCRIPT" || cmd == "DBSIZE" || cmd == "SELECT" || cmd == "AUTH") {
    return std::nullopt;
  }
  return std::string_view(args[1]);
}

std::optional<Redirect> ParseRedirect(std::string_view error, const RedisNode& answered_by) {
  Redirect r;
  if (StartsWith(error, "MOVED ")) {
    r.kind = Redirect::Kind::kMoved;
    error.remove_prefix(6);
  } else if (StartsWith(error, "ASK ")) {
    r.kind = Redirect::Kind::kAsk;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto space = error.find(' ');
  if (space == std::string_view::npos || !ParseInt(error.substr(0, space), 0, kClusterSlots - 1, r.slot)) {
    return std::nullopt;
  }
  std::string_view endpoint = error.substr(space + 1);
  auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || !ParseInt(endpoint.substr(colon + 1), 1, 65535, r.node.port)) {
    return std::nullopt;
  }
  std::string_view host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.find_first_of(" \r\n") != std::string_view::npos) return std::nullopt;
  r.node.host = host.empty() ? answered_by.host : std::string(host);
  return r;
}

bool IsTryAgain(std::string_view error) { return StartsWith(error, "TRYAGAIN") || StartsWith(error, "LOADING"); }

bool IsReadOnly(std::string_view error) { return StartsWith(error, "READONLY"); }

SlotMap SlotMap::FromClusterSlots(const redisReply* reply, const RedisNode& answered_by) {
  auto bad = [] { return std::runtime_error("unexpected CLUSTER SLOTS reply"); };
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) throw bad();
  SlotMap map;
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->type != REDIS_REPLY_INTEGER ||
        range->element[1]->type != REDIS_REPLY_INTEGER) {
      throw bad();
    }
    long long first = range->element[0]->integer, last = range->element[1]->integer;
    if (first < 0 || last >= kClusterSlots || first > last) throw bad();
    for (std::size_t n = 2; n < range->elements; ++n) {  // [host, port, id, ...]: the primary, then replicas
      const redisReply* node = range->element[n];
      if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING ||
          node->element[1]->type != REDIS_REPLY_INTEGER) {
        throw bad();
      }
      RedisNode addr{std::string(node->element[0]->str, node->element[0]->len),
                     static_cast<int>(node->element[1]->integer)};
      if (addr.host.empty() || addr.host == "?") addr.host = answered_by.host;
      if (n == 2) {
        int index = map.IndexOf(addr);
        for (long long s = first; s <= last; ++s) map.slot_owner_[static_cast<std::size_t>(s)] = static_cast<std::int16_t>(index);
      } else {
        bool known = false;
        for (const RedisNode& k : map.all_nodes_) known = known || k == addr;
        if (!known) map.all_nodes_.push_back(addr);
      }
    }
  }
  return map;
}

int SlotMap::IndexOf(const RedisNode& node) {
  for (std::size_t i = 0; i < primaries_.size(); ++i) {
    if (primaries_[i] == node) return static_cast<int>(i);
  }
  primaries_.push_back(node);
  all_nodes_.insert(all_nodes_.begin() + static_cast<std::ptrdiff_t>(primaries_.size() - 1), node);
  return static_cast<int>(primaries_.size() - 1);
}

std::optional<RedisNode> SlotMap::PrimaryFor(int slot) const {
  if (slot < 0 || slot >= kClusterSlots) return std::nullopt;
  std::int16_t owner = slot_owner_[static_cast<std::size_t>(slot)];
  if (owner < 0) return std::nullopt;
  return primaries_[static_cast<std::size_t>(owner)];
}

void SlotMap::Move(int slot, const RedisNode& node) {
  if (slot < 0 || slot >= kClusterSlots) return;
  slot_owner_[static_cast<std::size_t>(slot)] = static_cast<std::int16_t>(IndexOf(node));
}

std::vector<RedisNode> SlotMap::Primaries() const {
  std::vector<bool> used(primaries_.size(), false);
  for (std::int16_t owner : slot_owner_) {
    if (owner >= 0) used[static_cast<std::size_t>(owner)] = true;
  }
  std::vector<RedisNode> out;
  for (std::size_t i = 0; i < primaries_.size(); ++i) {
    if (used[i]) out.push_back(primaries_[i]);
  }
  return out;
}

}  // namespace rihla::cache
