// The Redis topology as data (cache/redis_topology.*): the three URL forms, the Cluster key ->
// slot function (CRC16 and hash tags), the redirect replies and the slot map from CLUSTER SLOTS.
#include "cache/redis_topology.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace rihla::cache {
namespace {

TEST(RedisTopologyUrl, ParsesTheThreeForms) {
  RedisTarget t = ParseRedisTarget("redis://:pw@10.0.0.1:6380/2");
  EXPECT_EQ(t.mode, RedisMode::kStandalone);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_EQ(t.nodes[0], (RedisNode{"10.0.0.1", 6380}));
  EXPECT_EQ(t.db, 2);
  EXPECT_EQ(t.password, "pw");

  t = ParseRedisTarget("redis-cluster://u:p%2Fw@127.0.0.1:7000,127.0.0.1:7001,[::1]:7002");
  EXPECT_EQ(t.mode, RedisMode::kCluster);
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[1], (RedisNode{"127.0.0.1", 7001}));
  EXPECT_EQ(t.nodes[2], (RedisNode{"::1", 7002}));
  EXPECT_EQ(t.user, "u");
  EXPECT_EQ(t.password, "p/w");
  EXPECT_EQ(t.Describe(), "redis-cluster://127.0.0.1:7000,127.0.0.1:7001,[::1]:7002");  // no credentials
  EXPECT_EQ(ParseRedisTarget("redis-cluster://h").nodes[0].port, 6379);

  t = ParseRedisTarget("redis-sentinel://s1:26380,s2,s3:26381/mymaster");
  EXPECT_EQ(t.mode, RedisMode::kSentinel);
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[1], (RedisNode{"s2", 26379}));  // the sentinel default port
  EXPECT_EQ(t.master_name, "mymaster");
  EXPECT_EQ(t.db, 0);
  EXPECT_EQ(ParseRedisTarget("redis-sentinel://s1/m/3").db, 3);
}

TEST(RedisTopologyUrl, Rejects) {
  for (const char* bad :
       {"redis://a:1,b:2", "redis-cluster://", "redis-cluster://a:1,", "redis-cluster://a:1,,b:2",
        "redis-cluster://a:1/3", "redis-cluster://a:0", "redis-sentinel://s1:26379", "redis-sentinel://s1:26379/",
        "redis-sentinel://s1/m/x", "redis-sentinels://s1/m", "rediss://h:1", "redis-cluster://a:1?x=1"}) {
    EXPECT_THROW(ParseRedisTarget(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisTopologySlots, Crc16AndHashTags) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);  // the vector of the Redis Cluster specification
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("foo"), 12182);  // CLUSTER KEYSLOT foo
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("fs:{RUH-JED}:gen"), KeySlot("fs:{RUH-JED}:e:abc"));
  EXPECT_EQ(KeySlot("fs:{RUH-JED}:gen"), KeySlot("RUH-JED"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));  // an empty tag: the whole key
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));  // the first '{' to the next '}'
}

TEST(RedisTopologySlots, RoutingKeyOfEachCommand) {
  EXPECT_EQ(RoutingKey({"MGET", "fs:{A-B}:gen", "fs:{A-B}:e:x"}), "fs:{A-B}:gen");
  EXPECT_EQ(RoutingKey({"EVAL", "return 1", "2", "k1", "k2", "arg"}), "k1");
  EXPECT_EQ(RoutingKey({"evalsha", "abc", "1", "k1"}), "k1");
  EXPECT_FALSE(RoutingKey({"EVAL", "return 1", "0"}));
  EXPECT_FALSE(RoutingKey({"PING"}));
  EXPECT_FALSE(RoutingKey({"SCAN", "0", "MATCH", "fs:*"}));
  EXPECT_FALSE(RoutingKey({"WAIT", "1", "100"}));
  EXPECT_EQ(RoutingKey({"UNLINK", "a", "b"}), "a");
}

TEST(RedisTopologyRedirect, ParsesMovedAndAsk) {
  RedisNode here{"10.0.0.9", 7000};
  auto moved = ParseRedirect("MOVED 3999 127.0.0.1:6381", here);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->node, (RedisNode{"127.0.0.1", 6381}));
  auto ask = ParseRedirect("ASK 12739 [::1]:7002", here);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::kAsk);
  EXPECT_EQ(ask->node, (RedisNode{"::1", 7002}));
  auto unknown_endpoint = ParseRedirect("MOVED 1 :7005", here);  // Redis 7, endpoint unknown
  ASSERT_TRUE(unknown_endpoint);
  EXPECT_EQ(unknown_endpoint->node, (RedisNode{"10.0.0.9", 7005}));
  for (const char* bad : {"MOVED", "MOVED 16384 h:1", "MOVED x h:1", "ASK 1 h", "ASK 1 h:0", "ERR MOVED 1 h:1",
                          "CROSSSLOT Keys in request don't hash to the same slot", "TRYAGAIN Multiple keys"}) {
    EXPECT_FALSE(ParseRedirect(bad, here)) << bad;
  }
  EXPECT_TRUE(IsTryAgain("TRYAGAIN Multiple keys request during rehashing of slot"));
  EXPECT_FALSE(IsTryAgain("ERR TRYAGAIN"));
  EXPECT_TRUE(IsReadOnly("READONLY You can't write against a read only replica."));
}

// A hand-built CLUSTER SLOTS reply (hiredis frees it with freeReplyObject).
redisReply* Node(const char* host, long long port) {
  auto* n = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  n->type = REDIS_REPLY_ARRAY;
  n->elements = 3;
  n->element = static_cast<redisReply**>(std::calloc(3, sizeof(redisReply*)));
  n->element[0] = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  n->element[0]->type = REDIS_REPLY_STRING;
  n->element[0]->len = std::strlen(host);
  n->element[0]->str = strdup(host);
  n->element[1] = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  n->element[1]->type = REDIS_REPLY_INTEGER;
  n->element[1]->integer = port;
  n->element[2] = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  n->element[2]->type = REDIS_REPLY_STRING;
  n->element[2]->str = strdup("id");
  n->element[2]->len = 2;
  return n;
}
redisReply* Int(long long v) {
  auto* r = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  r->type = REDIS_REPLY_INTEGER;
  r->integer = v;
  return r;
}
redisReply* Array(std::initializer_list<redisReply*> items) {
  auto* r = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  r->type = REDIS_REPLY_ARRAY;
  r->elements = items.size();
  r->element = static_cast<redisReply**>(std::calloc(items.size(), sizeof(redisReply*)));
  std::size_t i = 0;
  for (redisReply* item : items) r->element[i++] = item;
  return r;
}

TEST(RedisTopologySlotMap, FromClusterSlotsAndMoved) {
  redisReply* reply = Array({Array({Int(0), Int(5460), Node("127.0.0.1", 7000), Node("127.0.0.1", 7100)}),
                             Array({Int(5461), Int(10922), Node("", 7001)}),  // "": the node that answered
                             Array({Int(10923), Int(16383), Node("127.0.0.1", 7002)})});
  SlotMap map = SlotMap::FromClusterSlots(reply, RedisNode{"127.0.0.1", 7001});
  freeReplyObject(reply);
  EXPECT_EQ(map.PrimaryFor(0), (RedisNode{"127.0.0.1", 7000}));
  EXPECT_EQ(map.PrimaryFor(5461), (RedisNode{"127.0.0.1", 7001}));
  EXPECT_EQ(map.PrimaryFor(KeySlot("123456789")), (RedisNode{"127.0.0.1", 7002}));
  EXPECT_EQ(map.Primaries().size(), 3u);
  EXPECT_EQ(map.AllNodes().size(), 4u);  // with the replica, after the primaries
  EXPECT_EQ(map.AllNodes().back(), (RedisNode{"127.0.0.1", 7100}));
  map.Move(0, RedisNode{"127.0.0.1", 7002});
  EXPECT_EQ(map.PrimaryFor(0), (RedisNode{"127.0.0.1", 7002}));
  EXPECT_EQ(map.PrimaryFor(1), (RedisNode{"127.0.0.1", 7000}));

  redisReply* malformed = Array({Array({Int(0), Int(16384), Node("h", 1)})});
  EXPECT_THROW(SlotMap::FromClusterSlots(malformed, RedisNode{"h", 1}), std::runtime_error);
  freeReplyObject(malformed);
}

}  // namespace
}  // namespace rihla::cache
