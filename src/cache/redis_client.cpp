#include "cache/redis_client.hpp"

#include <sys/time.h>

#include <cctype>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "domain/parse_int.hpp"

namespace rihla::cache {

namespace {

using std::chrono::milliseconds;

timeval ToTimeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

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

}  // namespace

std::string_view ReplyText(const redisReply* r) { return std::string_view(r->str, r->len); }

bool IsText(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

RedisUrl ParseRedisUrl(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) throw std::invalid_argument("redis URL must start with redis://");
  std::string_view rest(url);
  rest.remove_prefix(kScheme.size());
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
  RedisUrl out;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) throw std::invalid_argument("redis URL: credentials need a password");
    out.user = PercentDecode(userinfo.substr(0, colon));
    out.password = PercentDecode(userinfo.substr(colon + 1));
    if (out.password.empty()) throw std::invalid_argument("redis URL: empty password");
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]
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
  if (host.find_first_of("[]@/") != std::string_view::npos) throw std::invalid_argument("redis URL: bad host");
  out.host = std::string(host);
  if (has_port && !ParseInt(port, 1, 65535, out.port)) throw std::invalid_argument("redis URL: bad port");
  if (has_path && !path.empty() && !ParseInt(path, 0, 1 << 20, out.db)) {
    throw std::invalid_argument("redis URL: bad database number");
  }
  return out;
}

void RedisClient::ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

RedisClient::RedisClient(RedisUrl url, milliseconds connect_timeout, milliseconds command_timeout,
                         std::size_t pool_size)
    : url_(std::move(url)), connect_timeout_(connect_timeout), command_timeout_(command_timeout), pool_size_(pool_size) {}

RedisClient::~RedisClient() {
  std::lock_guard lock(pool_mu_);
  for (Conn& c : idle_) redisFree(c.ctx);
  idle_.clear();
}

std::optional<RedisClient::Conn> RedisClient::Connect(std::string& error) {
  std::uint64_t epoch;
  {
    std::lock_guard lock(pool_mu_);
    epoch = pool_epoch_;
  }
  redisContext* ctx = redisConnectWithTimeout(url_.host.c_str(), url_.port, ToTimeval(connect_timeout_));
  if (ctx == nullptr) {
    error = "cannot allocate a redis context";
    return std::nullopt;
  }
  if (ctx->err != 0) {
    error = std::string("connect: ") + ctx->errstr;
    redisFree(ctx);
    return std::nullopt;
  }
  if (redisSetTimeout(ctx, ToTimeval(command_timeout_)) != REDIS_OK) {
    error = "cannot set the command timeout";
    redisFree(ctx);
    return std::nullopt;
  }
  Conn conn{ctx, epoch, false};
  Reply reply;
  if (!url_.password.empty()) {
    std::vector<std::string> auth = url_.user.empty() ? std::vector<std::string>{"AUTH", url_.password}
                                                      : std::vector<std::string>{"AUTH", url_.user, url_.password};
    if (!Exec(conn, auth, reply, error)) {
      error = "AUTH: " + error;
      redisFree(ctx);
      return std::nullopt;
    }
  }
  if (url_.db != 0 && !Exec(conn, {"SELECT", std::to_string(url_.db)}, reply, error)) {
    error = "SELECT: " + error;
    redisFree(ctx);
    return std::nullopt;
  }
  return conn;
}

std::optional<RedisClient::Conn> RedisClient::Acquire(std::string& error) {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      Conn conn = idle_.back();
      idle_.pop_back();
      conn.reused = true;
      return conn;
    }
  }
  return Connect(error);
}

void RedisClient::Release(Conn conn, bool healthy) {
  if (healthy && conn.ctx->err == 0) {
    std::lock_guard lock(pool_mu_);
    if (conn.pool_epoch == pool_epoch_ && idle_.size() < pool_size_) {
      conn.reused = false;
      idle_.push_back(conn);
      return;
    }
  }
  redisFree(conn.ctx);
}

void RedisClient::DrainPool() {
  std::vector<Conn> old;
  {
    std::lock_guard lock(pool_mu_);
    ++pool_epoch_;
    old.swap(idle_);
  }
  for (Conn& c : old) redisFree(c.ctx);
}

bool RedisClient::Exec(Conn& conn, const std::vector<std::string>& args, Reply& out, std::string& error) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  commands_sent_.fetch_add(1);
  out.reset(static_cast<redisReply*>(redisCommandArgv(conn.ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!out) {
    error = conn.ctx->err != 0 ? conn.ctx->errstr : "no reply";
    if (conn.ctx->err == 0) conn.ctx->err = REDIS_ERR_OTHER;  // never reuse it
    return false;
  }
  if (out->type == REDIS_REPLY_ERROR) {
    error = std::string(ReplyText(out.get()));
    return false;
  }
  return true;
}

}  // namespace rihla::cache
