#pragma once
// A small blocking Redis client over hiredis, and the one place rihla sends Redis commands: pools
// of connections (one per node) with connect and command timeouts, and the live topology of the
// three deployments redis_topology.hpp describes. Thread-safe. It knows nothing about caching
// (cache/redis_cache.* does).
//
// Routing (Run):
//   redis://           every command goes to the one server.
//   redis-cluster://   each command goes to the primary of its key's slot (RoutingKey, KeySlot)
//                      per the slot map learnt with CLUSTER SLOTS from the seeds (or any node
//                      known). MOVED updates the map (and refreshes it before the next routed
//                      command) and retries there; ASK retries once there after ASKING; TRYAGAIN
//                      (a multi-key command during a slot migration) retries after 5, 10, 20, 40,
//                      80 ms. At most kMaxRedirects redirects per command. An I/O error refreshes
//                      the map before the next command.
//   redis-sentinel://  commands go to the primary the sentinels name (SENTINEL
//                      get-master-addr-by-name, asking each sentinel in turn), once ROLE on it
//                      says "master". An I/O error or READONLY (the node was demoted) forgets it;
//                      the next command (RedisCache's recovery thread) asks the sentinels again.
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/redis_topology.hpp"

namespace rihla::cache {

// Parsed `redis://[[user]:password@]host[:port][/db]` (port defaults to 6379, db to 0).
struct RedisUrl {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;
  std::string password;
};
// redis:// only; throws std::invalid_argument on anything else (see ParseRedisTarget).
RedisUrl ParseRedisUrl(const std::string& url);

// Text of a string or status reply.
std::string_view ReplyText(const redisReply* r);
bool IsText(const redisReply* r);

class RedisClient {
 public:
  struct ReplyDeleter {
    void operator()(redisReply* r) const;
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
  using Args = std::vector<std::string>;
  struct Conn {  // a connection, pooled or new
    redisContext* ctx = nullptr;
    RedisNode node;
    std::uint64_t pool_epoch = 0;
    bool reused = false;  // came from the pool (may have been closed by the server while idle)
  };
  static constexpr int kMaxRedirects = 5;

  RedisClient(RedisTarget target, std::chrono::milliseconds connect_timeout, std::chrono::milliseconds command_timeout,
              std::size_t pool_size);
  RedisClient(const RedisUrl& url, std::chrono::milliseconds connect_timeout, std::chrono::milliseconds command_timeout,
              std::size_t pool_size);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  const RedisTarget& target() const { return target_; }
  bool clustered() const { return target_.mode == RedisMode::kCluster; }

  // Runs `cmds` in order on one connection to the node that serves the first command's key
  // (routed and redirected as above; later commands, e.g. WAIT after a SET, ride on the same
  // connection). A pooled connection the server had closed is retried once on a new one.
  // false with `error` set on an error reply, an I/O error or no reachable node; `replies` then
  // holds the replies received.
  bool Run(const std::vector<Args>& cmds, std::vector<Reply>& replies, std::string& error);
  bool Run(const Args& cmd, Reply& reply, std::string& error);
  // Runs `cmd` on `node` itself (no routing, no redirects): SCAN on each primary.
  bool RunOn(const RedisNode& node, const Args& cmd, Reply& reply, std::string& error);
  // Learns the topology again (slot map / asks the sentinels) and PINGs every primary; false
  // with `error` unless all answer.
  bool Refresh(std::string& error);
  // The primaries as currently known (Refresh first for an up-to-date list).
  std::vector<RedisNode> Primaries();

  // Frees the idle connections and makes those in use be freed on release (after a restart of
  // Redis they are all dead).
  void DrainPool();
  // Commands sent so far (an EVAL counts as one; redirects and topology queries count too).
  std::uint64_t commands_sent() const { return commands_sent_.load(); }

  // Low level, on the first node of the target (tests' admin commands on a single server).
  // A new connection (AUTH and SELECT done); nullopt with `error` set on failure.
  std::optional<Conn> Connect(std::string& error);
  void Release(Conn conn, bool healthy);
  // Runs one command on `conn`; false with `error` set on an error reply or an I/O error (after
  // which conn.ctx->err is set and the connection must not be reused).
  bool Exec(Conn& conn, const Args& args, Reply& out, std::string& error);

 private:
  // A pooled connection to `node`, or a new one; nullopt with `error` set when it cannot be reached.
  std::optional<Conn> Acquire(const RedisNode& node, std::string& error);
  std::optional<Conn> ConnectTo(const RedisNode& node, bool authenticate, std::string& error);
  // Where a command with this key goes now, learning the topology if needed.
  std::optional<RedisNode> Route(std::optional<std::string_view> key, std::string& error);
  bool RefreshSlots(std::string& error);
  std::optional<RedisNode> AskSentinels(std::string& error);
  // After an I/O error on `node`: forget what routed there (learnt again on the next command).
  void Forget(const RedisNode& node);
  // Runs `cmds` on `conn` (ASKING first when `asking`); returns false at the first failure.
  bool ExecAll(Conn& conn, const std::vector<Args>& cmds, bool asking, std::vector<Reply>& replies,
               std::string& error);

  const RedisTarget target_;
  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds command_timeout_;
  const std::size_t pool_size_;
  std::atomic<std::uint64_t> commands_sent_{0};
  std::mutex pool_mu_;
  std::map<RedisNode, std::vector<Conn>> idle_;  // guarded by pool_mu_
  std::uint64_t pool_epoch_ = 0;                 // guarded by pool_mu_; connections of an older epoch are dropped

  std::mutex topo_mu_;
  SlotMap slots_;                   // guarded by topo_mu_ (Cluster)
  bool slots_stale_ = true;         // guarded by topo_mu_: learn the map before the next command
  std::optional<RedisNode> master_;  // guarded by topo_mu_ (Sentinel): the verified primary
};

}  // namespace rihla::cache
