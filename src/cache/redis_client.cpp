#include "cache/redis_client.hpp"

#include <sys/time.h>

#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

namespace rihla::cache {

namespace {

using std::chrono::milliseconds;

timeval ToTimeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// TRYAGAIN (slot migration) backoff: 5, 10, 20, 40, 80 ms, then the command fails.
constexpr int kMaxTryAgain = 5;
constexpr milliseconds kTryAgainBase{5};

}  // namespace

std::string_view ReplyText(const redisReply* r) { return std::string_view(r->str, r->len); }

bool IsText(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

RedisUrl ParseRedisUrl(const std::string& url) {
  if (url.rfind("redis://", 0) != 0) throw std::invalid_argument("redis URL must start with redis://");
  RedisTarget t = ParseRedisTarget(url);
  return RedisUrl{t.nodes.front().host, t.nodes.front().port, t.db, t.user, t.password};
}

void RedisClient::ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

RedisClient::RedisClient(RedisTarget target, milliseconds connect_timeout, milliseconds command_timeout,
                         std::size_t pool_size)
    : target_(std::move(target)),
      connect_timeout_(connect_timeout),
      command_timeout_(command_timeout),
      pool_size_(pool_size) {
  if (target_.nodes.empty()) throw std::invalid_argument("redis: no node to connect to");
}

RedisClient::RedisClient(const RedisUrl& url, milliseconds connect_timeout, milliseconds command_timeout,
                         std::size_t pool_size)
    : RedisClient(RedisTarget{RedisMode::kStandalone, {RedisNode{url.host, url.port}}, "", url.db, url.user,
                              url.password},
                  connect_timeout, command_timeout, pool_size) {}

RedisClient::~RedisClient() {
  std::lock_guard lock(pool_mu_);
  for (auto& [node, conns] : idle_) {
    for (Conn& c : conns) redisFree(c.ctx);
  }
  idle_.clear();
}

// ---------------------------------------------------------------------------------------------
// Connections

std::optional<RedisClient::Conn> RedisClient::ConnectTo(const RedisNode& node, bool authenticate, std::string& error) {
  std::uint64_t epoch;
  {
    std::lock_guard lock(pool_mu_);
    epoch = pool_epoch_;
  }
  redisContext* ctx = redisConnectWithTimeout(node.host.c_str(), node.port, ToTimeval(connect_timeout_));
  if (ctx == nullptr) {
    error = "cannot allocate a redis context";
    return std::nullopt;
  }
  if (ctx->err != 0) {
    error = "connect " + node.ToString() + ": " + ctx->errstr;
    redisFree(ctx);
    return std::nullopt;
  }
  if (redisSetTimeout(ctx, ToTimeval(command_timeout_)) != REDIS_OK) {
    error = "cannot set the command timeout";
    redisFree(ctx);
    return std::nullopt;
  }
  Conn conn{ctx, node, epoch, false};
  if (!authenticate) return conn;
  Reply reply;
  if (!target_.password.empty()) {
    Args auth = target_.user.empty() ? Args{"AUTH", target_.password} : Args{"AUTH", target_.user, target_.password};
    if (!Exec(conn, auth, reply, error)) {
      error = "AUTH: " + error;
      redisFree(ctx);
      return std::nullopt;
    }
  }
  if (target_.db != 0 && !Exec(conn, {"SELECT", std::to_string(target_.db)}, reply, error)) {
    error = "SELECT: " + error;
    redisFree(ctx);
    return std::nullopt;
  }
  return conn;
}

std::optional<RedisClient::Conn> RedisClient::Connect(std::string& error) {
  return ConnectTo(target_.nodes.front(), true, error);
}

std::optional<RedisClient::Conn> RedisClient::Acquire(const RedisNode& node, std::string& error) {
  {
    std::lock_guard lock(pool_mu_);
    auto it = idle_.find(node);
    if (it != idle_.end() && !it->second.empty()) {
      Conn conn = it->second.back();
      it->second.pop_back();
      conn.reused = true;
      return conn;
    }
  }
  return ConnectTo(node, true, error);
}

void RedisClient::Release(Conn conn, bool healthy) {
  if (healthy && conn.ctx->err == 0) {
    std::lock_guard lock(pool_mu_);
    std::vector<Conn>& pool = idle_[conn.node];
    if (conn.pool_epoch == pool_epoch_ && pool.size() < pool_size_) {
      conn.reused = false;
      pool.push_back(std::move(conn));
      return;
    }
  }
  redisFree(conn.ctx);
}

void RedisClient::DrainPool() {
  std::map<RedisNode, std::vector<Conn>> old;
  {
    std::lock_guard lock(pool_mu_);
    ++pool_epoch_;
    old.swap(idle_);
  }
  for (auto& [node, conns] : old) {
    for (Conn& c : conns) redisFree(c.ctx);
  }
}

bool RedisClient::Exec(Conn& conn, const Args& args, Reply& out, std::string& error) {
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

bool RedisClient::ExecAll(Conn& conn, const std::vector<Args>& cmds, bool asking, std::vector<Reply>& replies,
                          std::string& error) {
  replies.clear();
  Reply reply;
  if (asking && !Exec(conn, {"ASKING"}, reply, error)) return false;
  for (const Args& cmd : cmds) {
    bool ok = Exec(conn, cmd, reply, error);
    replies.push_back(std::move(reply));
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Topology

bool RedisClient::RefreshSlots(std::string& error) {
  std::vector<RedisNode> candidates;
  {
    std::lock_guard lock(topo_mu_);
    candidates = slots_.AllNodes();
  }
  for (const RedisNode& seed : target_.nodes) {
    bool known = false;
    for (const RedisNode& c : candidates) known = known || c == seed;
    if (!known) candidates.push_back(seed);
  }
  error = "no cluster node answered CLUSTER SLOTS";
  for (const RedisNode& node : candidates) {
    auto conn = Acquire(node, error);
    if (!conn) continue;
    Reply reply;
    bool ok = Exec(*conn, {"CLUSTER", "SLOTS"}, reply, error);
    Release(std::move(*conn), reply != nullptr);
    if (!ok) continue;
    try {
      SlotMap map = SlotMap::FromClusterSlots(reply.get(), node);
      if (map.empty()) {
        error = node.ToString() + " serves no slots";
        continue;
      }
      std::lock_guard lock(topo_mu_);
      slots_ = std::move(map);
      slots_stale_ = false;
      return true;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  return false;
}

std::optional<RedisNode> RedisClient::AskSentinels(std::string& error) {
  error = "no sentinel named a primary for " + target_.master_name;
  for (const RedisNode& sentinel : target_.nodes) {
    auto sconn = ConnectTo(sentinel, false, error);
    if (!sconn) continue;
    Reply reply;
    bool ok = Exec(*sconn, {"SENTINEL", "get-master-addr-by-name", target_.master_name}, reply, error);
    redisFree(sconn->ctx);
    if (!ok) continue;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || !IsText(reply->element[0]) ||
        !IsText(reply->element[1])) {
      error = sentinel.ToString() + " does not know " + target_.master_name;
      continue;
    }
    RedisNode primary{std::string(ReplyText(reply->element[0])), 0};
    try {
      primary.port = std::stoi(std::string(ReplyText(reply->element[1])));
    } catch (const std::exception&) {
      error = "bad port from sentinel " + sentinel.ToString();
      continue;
    }
    // The sentinels may lag a failover: trust only a node that says it is the primary.
    auto conn = Acquire(primary, error);
    if (!conn) continue;
    ok = Exec(*conn, {"ROLE"}, reply, error);
    bool master = ok && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 && IsText(reply->element[0]) &&
                  ReplyText(reply->element[0]) == "master";
    Release(std::move(*conn), reply != nullptr);
    if (!master) {
      if (ok) error = primary.ToString() + " (named by " + sentinel.ToString() + ") is not a primary";
      continue;
    }
    std::lock_guard lock(topo_mu_);
    master_ = primary;
    return primary;
  }
  return std::nullopt;
}

std::optional<RedisNode> RedisClient::Route(std::optional<std::string_view> key, std::string& error) {
  switch (target_.mode) {
    case RedisMode::kStandalone:
      return target_.nodes.front();
    case RedisMode::kSentinel: {
      {
        std::lock_guard lock(topo_mu_);
        if (master_) return master_;
      }
      return AskSentinels(error);
    }
    case RedisMode::kCluster:
      break;
  }
  bool refresh;
  {
    std::lock_guard lock(topo_mu_);
    refresh = slots_stale_ || slots_.empty();
  }
  if (refresh && !RefreshSlots(error)) {
    std::lock_guard lock(topo_mu_);
    if (slots_.empty()) return std::nullopt;  // else route by the map we have; MOVED corrects it
  }
  std::lock_guard lock(topo_mu_);
  if (!key) {
    auto primaries = slots_.Primaries();
    if (primaries.empty()) error = "no primary known";
    return primaries.empty() ? std::nullopt : std::optional<RedisNode>(primaries.front());
  }
  auto node = slots_.PrimaryFor(KeySlot(*key));
  if (!node) error = "slot " + std::to_string(KeySlot(*key)) + " is not served";
  return node;
}

void RedisClient::Forget(const RedisNode& node) {
  std::lock_guard lock(topo_mu_);
  if (target_.mode == RedisMode::kCluster) slots_stale_ = true;
  if (target_.mode == RedisMode::kSentinel && master_ == node) master_.reset();
}

std::vector<RedisNode> RedisClient::Primaries() {
  switch (target_.mode) {
    case RedisMode::kStandalone:
      return {target_.nodes.front()};
    case RedisMode::kSentinel: {
      std::lock_guard lock(topo_mu_);
      if (master_) return {*master_};
      return {};
    }
    case RedisMode::kCluster:
      break;
  }
  std::lock_guard lock(topo_mu_);
  return slots_.Primaries();
}

bool RedisClient::Refresh(std::string& error) {
  switch (target_.mode) {
    case RedisMode::kStandalone:
      break;
    case RedisMode::kSentinel: {
      {
        std::lock_guard lock(topo_mu_);
        master_.reset();
      }
      if (!AskSentinels(error)) return false;
      break;
    }
    case RedisMode::kCluster:
      if (!RefreshSlots(error)) return false;
      break;
  }
  std::vector<RedisNode> primaries = Primaries();
  if (primaries.empty()) {
    error = "no primary known";
    return false;
  }
  for (const RedisNode& node : primaries) {
    Reply reply;
    if (!RunOn(node, {"PING"}, reply, error)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Commands

bool RedisClient::RunOn(const RedisNode& node, const Args& cmd, Reply& reply, std::string& error) {
  for (int attempt = 0;; ++attempt) {
    auto conn = Acquire(node, error);
    if (!conn) {
      Forget(node);
      return false;
    }
    bool ok = Exec(*conn, cmd, reply, error);
    bool io_error = conn->ctx->err != 0;
    bool stale = io_error && attempt == 0 && conn->reused;
    Release(std::move(*conn), !io_error);
    if (ok) return true;
    if (!stale) {
      if (io_error) Forget(node);
      return false;
    }
    DrainPool();  // a pooled connection the server closed while idle: probably all are stale
  }
}

bool RedisClient::Run(const Args& cmd, Reply& reply, std::string& error) {
  std::vector<Reply> replies;
  bool ok = Run(std::vector<Args>{cmd}, replies, error);
  reply = replies.empty() ? nullptr : std::move(replies.front());
  return ok;
}

bool RedisClient::Run(const std::vector<Args>& cmds, std::vector<Reply>& replies, std::string& error) {
  replies.clear();
  if (cmds.empty()) return true;
  const std::optional<std::string_view> key = RoutingKey(cmds.front());
  std::optional<RedisNode> node;
  bool asking = false;
  int redirects = 0, tryagain = 0;
  bool retried_stale = false;
  for (;;) {
    if (!node) node = Route(key, error);
    if (!node) return false;
    auto conn = Acquire(*node, error);
    if (!conn) {
      Forget(*node);
      return false;
    }
    bool ok = ExecAll(*conn, cmds, asking, replies, error);
    bool io_error = conn->ctx->err != 0;
    bool reused = conn->reused;
    Release(std::move(*conn), !io_error);
    if (ok) return true;
    if (io_error) {
      if (reused && !retried_stale) {  // the server closed it while idle: retry once on a new one
        retried_stale = true;
        DrainPool();
        continue;
      }
      Forget(*node);
      return false;
    }
    // An error reply. Only the first command's can redirect (later ones ran where it did).
    if (replies.size() != 1) return false;
    if (auto redirect = ParseRedirect(error, *node); redirect && redirects < kMaxRedirects) {
      ++redirects;
      if (redirect->kind == Redirect::Kind::kMoved) {
        std::lock_guard lock(topo_mu_);
        slots_.Move(redirect->slot, redirect->node);
        slots_stale_ = true;  // one slot moved: others probably did too
      }
      asking = redirect->kind == Redirect::Kind::kAsk;
      node = redirect->node;
      continue;
    }
    if (IsTryAgain(error) && tryagain < kMaxTryAgain) {
      std::this_thread::sleep_for(kTryAgainBase * (1 << tryagain));
      ++tryagain;
      continue;  // same node, still ASKING if we were
    }
    if (IsReadOnly(error) && target_.mode == RedisMode::kSentinel && redirects < kMaxRedirects) {
      ++redirects;  // it was demoted: ask the sentinels for the new primary
      Forget(*node);
      DrainPool();
      node.reset();
      asking = false;
      continue;
    }
    return false;
  }
}

}  // namespace rihla::cache
