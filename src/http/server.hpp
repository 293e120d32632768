#pragma once
// HTTP/1.1 listener on Boost.Beast with C++20 coroutines.
//
// Threading model: `io_threads` threads each run their own io_context; accepted connections are
// spread over them round-robin and each connection is a coroutine on its context. Parsing,
// routing, fast paths (in-process cache hits) and writing happen on these threads. Anything
// that may block (database, Redis) is handed to a WorkerPool, the one its route names
// (Route::work: the database pool, or the password-hashing pool); the connection's coroutine
// suspends until the worker is done, so the event loop is never blocked. A full worker queue
// answers 503 at once.
//
// Limits: request headers 8 KiB (431), body `body_limit` (413), every read and write has a
// deadline (slow or silent clients are disconnected), keep-alive until the idle timeout.
//
// Shutdown, in phases (see http/drain.hpp): the first SIGTERM begins the drain; while its period
// runs the listener accepts and serves as before, but every answer carries Connection: close.
// When the period is over (or SIGINT / a second SIGTERM cut it short) the acceptor closes, the
// connections idle since before the drain began are closed, the others end after their next
// answer, and in-flight requests finish, for at most `drain_timeout`; then Run() returns.
// A server built with handle_signals = false ignores signals and ends when Stop() is called.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/drain.hpp"
#include "http/pipeline.hpp"
#include "http/worker_pool.hpp"

namespace rihla::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port
  std::size_t io_threads = 2;
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 8 * 1024;
  std::chrono::milliseconds read_timeout{15000};   // per request, and keep-alive idle time
  std::chrono::milliseconds write_timeout{15000};
  std::chrono::milliseconds drain_timeout{10000};  // after the drain period: in-flight requests
  bool handle_signals = true;  // false: SIGTERM/SIGINT are someone else's; Stop() ends Run()
  std::size_t max_connections = 10000;
};

// The pools that run handlers, one per Work class; they outlive the Server.
struct WorkerPools {
  WorkerPool& database;
  WorkerPool& password_hashing;
  WorkerPool& For(Work work) const { return work == Work::kPasswordHashing ? password_hashing : database; }
};

class Server {
 public:
  // `drain` is the process's drain state (it outlives the Server): this server drives it from
  // its signals when options.handle_signals, and honours it either way.
  Server(ServerOptions options, Pipeline& pipeline, WorkerPools pools, DrainState& drain, Logger& logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port. Throws std::system_error when it cannot bind.
  std::uint16_t Listen();
  // Serves until SIGTERM/SIGINT (or Stop()), drains, returns.
  void Run();
  // From any thread: stops accepting at once, closes idle connections, lets in-flight requests
  // finish, then Run() returns. For a listener that follows another one's drain.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rihla::http
