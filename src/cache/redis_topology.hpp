#pragma once
// Where Redis is, as data: the three URL forms rihla accepts, the Redis Cluster key -> slot
// function, the slot map learnt from CLUSTER SLOTS, and the parsing of the replies that redirect
// a command (MOVED / ASK). No I/O here: RedisClient (redis_client.*) is the one place commands
// are sent, and it keeps the live topology with these types.
//
//   redis://[[user]:password@]host[:port][/db]                     one server
//   redis-cluster://[[user]:password@]host:port[,host:port...]      Cluster seed nodes (db 0 only)
//   redis-sentinel://[[user]:password@]host:port[,host:port...]/master-name[/db]
//                                                                   the sentinels, then the name
//                                                                   of the monitored primary
// The credentials are those of the data nodes (the Cluster's nodes, the Sentinel-managed primary);
// sentinels are asked without credentials. A missing port is 6379 (26379 for a sentinel).
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rihla::cache {

struct RedisNode {
  std::string host;
  int port = 6379;
  std::string ToString() const;  // host:port ([host]:port for IPv6)
  friend bool operator==(const RedisNode&, const RedisNode&) = default;
  friend auto operator<=>(const RedisNode&, const RedisNode&) = default;
};

enum class RedisMode { kStandalone, kCluster, kSentinel };

struct RedisTarget {
  RedisMode mode = RedisMode::kStandalone;
  std::vector<RedisNode> nodes;  // the server; the Cluster seed nodes; the sentinels
  std::string master_name;       // Sentinel only
  int db = 0;                    // not for a Cluster (it has database 0 only)
  std::string user;
  std::string password;
  // For logs: scheme and addresses, never the credentials.
  std::string Describe() const;
};
// Throws std::invalid_argument on anything else (including rediss://, which is not supported).
RedisTarget ParseRedisTarget(const std::string& url);

// Redis Cluster has this many hash slots; a key's slot is CRC16(tag) mod 16384, where tag is the
// part between the first '{' and the next '}' when that is non-empty, else the whole key.
constexpr int kClusterSlots = 16384;
// CRC16-CCITT (XModem), the one Redis Cluster uses: Crc16("123456789") == 0x31C3.
std::uint16_t Crc16(std::string_view data);
int KeySlot(std::string_view key);

// The key a command is routed by: the first key of EVAL/EVALSHA (none when numkeys is 0),
// nothing for the keyless commands rihla sends (PING, SCAN, WAIT, ROLE, CLUSTER, ASKING...), else
// the first argument. Every multi-key command rihla sends keeps its keys in one hash tag.
std::optional<std::string_view> RoutingKey(const std::vector<std::string>& args);

// A Cluster redirect in an error reply: "MOVED <slot> <host>:<port>" (the slot lives there now:
// update the map) or "ASK <slot> <host>:<port>" (this one command: send ASKING first, there).
struct Redirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  int slot = 0;
  RedisNode node;
};
// nullopt when `error` is not a well-formed redirect. An empty host (Redis 7 with an unknown
// endpoint) stands for `answered_by`'s host.
std::optional<Redirect> ParseRedirect(std::string_view error, const RedisNode& answered_by);
// Error replies that say "the same command may succeed shortly" during a slot migration
// (TRYAGAIN: a multi-key command whose keys are split between the two nodes) or a failover.
bool IsTryAgain(std::string_view error);
// The node is a replica now (a Sentinel failover demoted it): find the primary again.
bool IsReadOnly(std::string_view error);

// Slot -> primary, from a CLUSTER SLOTS reply. A copy is cheap enough to refresh wholesale.
class SlotMap {
 public:
  // Throws std::runtime_error on a malformed reply. `answered_by`: the node that answered (its
  // host stands for an empty one in the reply).
  static SlotMap FromClusterSlots(const redisReply* reply, const RedisNode& answered_by);

  bool empty() const { return primaries_.empty(); }
  // The primary serving `slot`, if any.
  std::optional<RedisNode> PrimaryFor(int slot) const;
  // After MOVED: `slot` is served by `node` now (until the next refresh).
  void Move(int slot, const RedisNode& node);
  // Every primary that serves at least one slot, each once.
  std::vector<RedisNode> Primaries() const;
  // Every node mentioned (primaries first), for asking CLUSTER SLOTS again.
  const std::vector<RedisNode>& AllNodes() const { return all_nodes_; }

 private:
  std::vector<std::int16_t> slot_owner_ = std::vector<std::int16_t>(kClusterSlots, -1);  // index into primaries_
  std::vector<RedisNode> primaries_;
  std::vector<RedisNode> all_nodes_;
  int IndexOf(const RedisNode& node);
};

}  // namespace rihla::cache
