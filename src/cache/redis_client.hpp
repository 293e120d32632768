#pragma once
// A small blocking Redis client over hiredis: URL parsing and a pool of connections with connect
// and command timeouts. Thread-safe. It knows nothing about caching (cache/redis_cache.* does).
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rihla::cache {

// Parsed `redis://[[user]:password@]host[:port][/db]` (port defaults to 6379, db to 0).
struct RedisUrl {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;
  std::string password;
};
// Throws std::invalid_argument on anything else (including rediss://, which is not supported).
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
  struct Conn {  // a connection, pooled or new
    redisContext* ctx = nullptr;
    std::uint64_t pool_epoch = 0;
    bool reused = false;  // came from the pool (may have been closed by the server while idle)
  };

  RedisClient(RedisUrl url, std::chrono::milliseconds connect_timeout, std::chrono::milliseconds command_timeout,
              std::size_t pool_size);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  const RedisUrl& url() const { return url_; }
  // A pooled connection, or a new one; nullopt with `error` set when Redis cannot be reached.
  std::optional<Conn> Acquire(std::string& error);
  // A new connection (AUTH and SELECT done); nullopt with `error` set on failure.
  std::optional<Conn> Connect(std::string& error);
  // Returns a healthy connection to the pool (up to pool_size idle), frees any other.
  void Release(Conn conn, bool healthy);
  // Frees the idle connections and makes those in use be freed on release (after a restart of
  // Redis they are all dead).
  void DrainPool();
  // Runs one command on `conn`; false with `error` set on an error reply or an I/O error (after
  // which conn.ctx->err is set and the connection must not be reused).
  bool Exec(Conn& conn, const std::vector<std::string>& args, Reply& out, std::string& error);
  // Commands sent so far (an EVAL counts as one).
  std::uint64_t commands_sent() const { return commands_sent_.load(); }

 private:
  const RedisUrl url_;
  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds command_timeout_;
  const std::size_t pool_size_;
  std::atomic<std::uint64_t> commands_sent_{0};
  std::mutex pool_mu_;
  std::vector<Conn> idle_;        // guarded by pool_mu_
  std::uint64_t pool_epoch_ = 0;  // guarded by pool_mu_; connections of an older epoch are dropped
};

}  // namespace rihla::cache
