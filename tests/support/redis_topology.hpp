#pragma once
// Redis topologies for the functional tests.
//
// RIHLA_TEST_REDIS_TOPOLOGY=cluster (set by ctest for the cluster.* group) makes the whole test
// process use the Cluster scripts/services.sh started (RIHLA_TEST_REDIS_CLUSTER_URL) wherever a
// test reads RIHLA_TEST_REDIS_URL, and hides RIHLA_TEST_REDIS_STOP_CMD / _START_CMD (stopping a
// single Redis does not apply): applied once, before main(), by redis_topology.cpp.
//
// PrivateRedis starts a topology of its own (scripts/services.sh start DIR redis-cluster |
// redis-sentinel) for a test that kills or reshapes it, and stops it at the end.
#include <map>
#include <string>
#include <vector>

namespace rihla::test {

// "cluster", "sentinel" or "" (a single Redis).
std::string RedisTopology();

class PrivateRedis {
 public:
  // `service`: redis-cluster or redis-sentinel. Throws std::runtime_error when it cannot start.
  explicit PrivateRedis(const std::string& service);
  ~PrivateRedis();
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  // A variable of the env.sh services.sh wrote (RIHLA_TEST_REDIS_CLUSTER_URL, ...); "" if unset.
  std::string Env(const std::string& name) const;
  const std::string& state_dir() const { return state_; }

 private:
  std::string state_;
  std::map<std::string, std::string> env_;
};

// One command on host:port on its own connection (no AUTH); the reply flattened to text lines
// (nested arrays in order, integers in decimal, nil as ""). Throws std::runtime_error on a
// connection failure or an error reply.
std::vector<std::string> RedisCommand(int port, const std::vector<std::string>& args);

// Splits on whitespace.
std::vector<std::string> Words(const std::string& text);

}  // namespace rihla::test
