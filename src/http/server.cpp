#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "http/request_parser.hpp"

namespace rihla::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr auto kTuple = asio::as_tuple(use_awaitable);

// Runs `job` on a worker thread and resumes the calling coroutine on its own executor.
// Completes with false (and does not run the job) when the worker queue is full.
// `job` is taken by reference and copied: GCC 12 destroys some non-trivial temporaries of a
// co_await expression twice, so callers pass a named local and no temporaries.
awaitable<bool> OnWorker(WorkerPool& pool, const std::function<void()>& job) {
  return asio::async_initiate<decltype(use_awaitable), void(bool)>(
      [&pool, &job](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto task = WorkerPool::MakeTask([shared, ex, job = std::function<void()>(job)]() mutable {
          job();
          job = nullptr;  // release what the job holds before the caller resumes
          asio::post(ex, [shared]() mutable { (*shared)(true); });
        });
        if (!pool.TrySubmit(task)) {
          asio::post(ex, [shared]() mutable { (*shared)(false); });
        }
      },
      use_awaitable);
}

// Header fields as the pipeline sees them: names lower-cased, in arrival order.
template <class Fields>
void CopyHeaders(const Fields& fields, Request& r) {
  for (const auto& f : fields) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
}

Request ToRequest(bhttp::request<bhttp::string_body>& msg) {
  Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.headers.reserve(16);
  CopyHeaders(msg, r);
  r.body = std::move(msg.body());
  return r;
}

// A read that failed because of what the client sent, and the problem to answer it with.
struct ReadRejection {
  ErrorCode code;
  std::string detail;
};

// The problem for a failed read, or nullopt when the connection just ended (EOF, timeout,
// reset): then there is nobody to answer.
std::optional<ReadRejection> RejectionFor(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == bhttp::error::body_limit) {
    return ReadRejection{ErrorCode::kPayloadTooLarge,
                         "the request body exceeds " + std::to_string(options.body_limit) + " bytes"};
  }
  if (ec == bhttp::error::header_limit) {
    return ReadRejection{ErrorCode::kHeaderTooLarge,
                         "the request headers exceed " + std::to_string(options.header_limit) + " bytes"};
  }
  bool http_error = ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category();
  if (http_error && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return ReadRejection{ErrorCode::kInvalidRequest, "malformed HTTP request"};
  }
  return std::nullopt;
}

// The response head as HTTP/1.x bytes, as Beast's serializer writes a prepared message: status
// line, Server, Content-Type, the response's headers in order, Connection (close on HTTP/1.1
// when not keep-alive, keep-alive on HTTP/1.0 when it is), Content-Length of the body (none for
// 1xx, 204 and 304, which have no body). Rendered by hand into one string and written with the
// body in one gather write: Beast's generic serializer (buffer views over a header/body variant)
// cost a cached search ~25 % of its req/s (A/B on one machine: 96-105k -> 127-130k). Header
// names and values come from the pipeline, never unchecked client bytes.
// 1xx, 204 and 304 responses never carry a body (RFC 9110, 6.4.1).
bool StatusHasBody(int status) { return status >= 200 && status != 204 && status != 304; }

std::string SerializeHead(const Response& r, unsigned version, bool keep_alive) {
  std::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  std::string head;
  std::size_t size = 96 + reason.size() + r.content_type.size();
  for (const auto& [k, v] : r.headers) size += k.size() + v.size() + 4;
  head.reserve(size);
  head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
  head.append(reason).append("\r\nServer: rihla\r\n");
  if (!r.content_type.empty()) head.append("Content-Type: ").append(r.content_type).append("\r\n");
  for (const auto& [k, v] : r.headers) head.append(k).append(": ").append(v).append("\r\n");
  if (version >= 11 && !keep_alive) head.append("Connection: close\r\n");
  if (version < 11 && keep_alive) head.append("Connection: keep-alive\r\n");
  if (StatusHasBody(r.status)) head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  head.append("\r\n");
  return head;
}

constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Accept errors that mean "no resources now" rather than "this client failed".
bool IsResourceExhaustion(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_memory || ec == asio::error::no_buffer_space ||
         ec == beast::errc::too_many_files_open_in_system;
}

// Rate-limited log of accept failures: at most one line a second, counting the ones it held back.
// Used by the acceptor coroutine only.
class AcceptFailureLog {
 public:
  void Record(Logger& logger, const beast::error_code& ec, std::size_t connections) {
    auto now = std::chrono::steady_clock::now();
    ++held_back_;
    if (now < next_) return;
    LogEvent(logger, LogLevel::kWarn, "accept failed: backing off",
             {{"error", ec.message()},
              {"failures", held_back_},
              {"connections", static_cast<std::int64_t>(connections)},
              {"backoff_ms", static_cast<std::int64_t>(kAcceptBackoff.count())}});
    held_back_ = 0;
    next_ = now + std::chrono::seconds(1);
  }

 private:
  std::int64_t held_back_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, Pipeline& p, WorkerPools w, DrainState& d, Logger& l)
      : options(std::move(o)), pipeline(p), pools(w), drain(d), logger(l), contexts(MakeContexts(options.io_threads)),
        ioc(*contexts.front()), acceptor(ioc), signals(ioc) {
    if (options.handle_signals) {
      signals.add(SIGINT);
      signals.add(SIGTERM);
    }
  }

  // One single-threaded io_context per I/O thread: a connection lives on one of them for its
  // whole life, so it needs no strand and the contexts share no locks.
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(std::size_t n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (std::size_t i = 0; i < std::max<std::size_t>(n, 1); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  static constexpr std::int64_t kBusy = -1;
  static std::int64_t Now() { return DrainState::Clock::now().time_since_epoch().count(); }

  struct SessionEntry {
    beast::tcp_stream* stream;
    asio::any_io_executor executor;
    // Since when the connection waits for its next request (steady clock ticks), kBusy while it
    // reads or answers one. Written by the session on its own thread; read by the drain.
    std::shared_ptr<std::atomic<std::int64_t>> idle_since;
  };

  ServerOptions options;
  Pipeline& pipeline;
  WorkerPools pools;
  DrainState& drain;
  Logger& logger;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;  // contexts[0]: acceptor, signals, drain
  std::size_t next_context = 0;  // round-robin for accepted connections; used by the acceptor only
  tcp::acceptor acceptor;
  asio::signal_set signals;
  bool drain_running = false;       // the drain coroutine was spawned; on ioc only
  bool stop_requested = false;      // Stop() was called: no drain period; on ioc only
  std::atomic<bool> stopping{false};  // the acceptor is closed
  std::atomic<std::size_t> connections{0};
  std::mutex sessions_mu;
  std::unordered_map<std::uint64_t, SessionEntry> sessions;  // guarded by sessions_mu
  std::uint64_t next_session_id = 0;                           // guarded by sessions_mu

  std::uint64_t Register(beast::tcp_stream* stream, asio::any_io_executor executor,
                         std::shared_ptr<std::atomic<std::int64_t>> idle_since) {
    std::lock_guard lock(sessions_mu);
    std::uint64_t id = ++next_session_id;
    sessions.emplace(id, SessionEntry{stream, std::move(executor), std::move(idle_since)});
    return id;
  }
  void Unregister(std::uint64_t id) {
    std::lock_guard lock(sessions_mu);
    sessions.erase(id);
  }
  // Closes the connections that have waited for their next request since `since` or earlier.
  // Each close runs on the session's own executor and re-checks the registry, so it never
  // touches a stream that is gone or busy.
  void CloseSessionsIdleSince(std::int64_t since) {
    auto idle = [since](const SessionEntry& e) {
      std::int64_t t = e.idle_since->load();
      return t != kBusy && t <= since;
    };
    std::lock_guard lock(sessions_mu);
    for (auto& [id, entry] : sessions) {
      if (!idle(entry)) continue;
      asio::post(entry.executor, [this, id = id, idle] {
        std::lock_guard inner(sessions_mu);
        auto it = sessions.find(id);
        if (it != sessions.end() && idle(it->second)) it->second.stream->socket().close();
      });
    }
  }

  // SIGTERM begins the drain; SIGINT, or SIGTERM again, cuts its period short. On ioc.
  void OnSignal(int signo) {
    bool began = drain.Begin();
    if (signo == SIGINT || !began) drain.Hurry();
    if (began) {
      LogEvent(logger, LogLevel::kInfo, "shutting down: draining",
               {{"connections", static_cast<std::int64_t>(connections.load())},
                {"drain_ms", static_cast<std::int64_t>(signo == SIGINT ? 0 : drain.period().count())}});
    } else {
      LogEvent(logger, LogLevel::kInfo, "shutting down: drain period cut short");
    }
    signals.async_wait([this](const beast::error_code& ec, int next) {
      if (!ec) OnSignal(next);
    });
    StartDrain();
  }

  void StartDrain() {
    if (std::exchange(drain_running, true)) return;
    asio::co_spawn(ioc, Drain(), asio::detached);
  }

  // The phases after the signal: serve (answers carry Connection: close) until the period is
  // over, stop accepting, then wait for the connections to end.
  awaitable<void> Drain() {
    asio::steady_timer timer(ioc);
    while (!stop_requested && !drain.PeriodOver(DrainState::Clock::now())) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kTuple);
    }
    stopping.store(true);
    beast::error_code ec;
    acceptor.close(ec);
    LogEvent(logger, LogLevel::kInfo, "drain period over: not accepting connections",
             {{"connections", static_cast<std::int64_t>(connections.load())}});
    // Idle through the whole period: whoever holds it has not used it since the drain began (a
    // balancer whose keepalive_timeout is shorter than the period has closed it already). A
    // connection that became idle during the period is left to its next request (answered with
    // Connection: close) or its idle timeout; after a hurry every idle connection goes.
    auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    while (connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      bool all_idle = stop_requested || drain.hurried() || drain.period().count() == 0;
      CloseSessionsIdleSince(all_idle ? Now() : drain.began_at().time_since_epoch().count());
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kTuple);
    }
    if (connections.load() > 0) {
      LogEvent(logger, LogLevel::kWarn, "drain timeout: closing remaining connections",
               {{"connections", static_cast<std::int64_t>(connections.load())}});
    }
    signals.cancel();
    for (auto& c : contexts) c->stop();
  }

  // Accepts until the drain closes the acceptor. Above max_connections a new connection is
  // closed at once. When the process or the system is out of descriptors (EMFILE, ENFILE) or
  // memory, accepting again at once would spin: back off for kAcceptBackoff (as nginx does)
  // while the open connections go on being served, and log that at most once a second.
  awaitable<void> Accept() {
    asio::steady_timer backoff(ioc);
    AcceptFailureLog failures;
    for (;;) {
      auto& target = *contexts[next_context++ % contexts.size()];
      auto [ec, socket] = co_await acceptor.async_accept(target, kTuple);
      if (ec) {
        if (stopping.load() || ec == asio::error::operation_aborted) co_return;
        if (!IsResourceExhaustion(ec)) continue;  // e.g. ECONNABORTED: that one client gave up
        failures.Record(logger, ec, connections.load());
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kTuple);
        continue;
      }
      if (connections.load() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      connections.fetch_add(1);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Session(std::move(socket)), [this](std::exception_ptr) { connections.fetch_sub(1); });
    }
  }

  awaitable<bool> Write(beast::tcp_stream& stream, Response&& r, unsigned version, bool keep_alive, bool head) {
    // Named locals only (see OnWorker): the buffers must outlive the write. `r` is the caller's
    // and outlives it too. A HEAD answer has the GET's Content-Length and no body; a status
    // without a body never writes one, so a stray body cannot break the framing.
    std::string bytes = SerializeHead(r, version, keep_alive);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(bytes), asio::buffer(r.body)};
    if (head || !StatusHasBody(r.status)) buffers[1] = asio::const_buffer();
    stream.expires_after(options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, buffers, kTuple);
    co_return !ec;
  }

  // Routes one parsed request through the pipeline, on a worker when it needs one. A request
  // whose answer is not ready (Exchange::park_for) waits on a timer of this connection's I/O
  // thread, holding no worker, and then runs again.
  awaitable<Response> Dispatch(Request request) {
    auto ex = std::make_shared<Exchange>();
    ex->request = std::move(request);
    pipeline.Begin(*ex);
    while (!ex->response) {
      std::function<void()> job = [ex, this] { pipeline.Execute(*ex); };
      WorkerPool& pool = pools.For(ex->match.route->work);
      bool ran = co_await OnWorker(pool, job);
      if (!ran) {
        pipeline.Overloaded(*ex);
        break;
      }
      if (ex->park_for) {
        auto executor = co_await asio::this_coro::executor;
        asio::steady_timer parked(executor, *ex->park_for);
        ex->park_for.reset();
        co_await parked.async_wait(kTuple);
      }
    }
    co_return pipeline.Finish(*ex);
  }

  // Answers a request the parser refused (413, 431, 400) from whatever headers it read.
  awaitable<void> Reject(beast::tcp_stream& stream, const ReadRejection& rejection,
                         bhttp::request_parser<bhttp::string_body>& parser) {
    Request partial;
    if (parser.is_header_done()) CopyHeaders(parser.get(), partial);
    Response r = pipeline.RejectUnparsed(rejection.code, rejection.detail, partial);
    co_await Write(stream, std::move(r), 11, false, false);
  }

  // One connection: read a request, dispatch it, write the answer, until the client or the
  // drain ends it. `idle_since` is set only while waiting for the next request (the drain
  // closes connections idle since before it began). While draining every answer carries
  // Connection: close, so the connection ends after it.
  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    auto idle_since = std::make_shared<std::atomic<std::int64_t>>(Now());
    std::uint64_t id = Register(&stream, stream.get_executor(), idle_since);
    beast::flat_buffer buffer;
    for (;;) {
      RequestParser parser;
      ApplyRequestLimits(parser, options);
      stream.expires_after(options.read_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      if (!ec) ec = CheckHeaderSize(n, options);
      if (!ec && !parser.is_done()) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      idle_since->store(kBusy);
      if (ec) {
        auto rejection = RejectionFor(ec, options);
        if (rejection) co_await Reject(stream, *rejection, parser);
        break;
      }
      auto& msg = parser.get();
      bool head = msg.method() == bhttp::verb::head;
      unsigned version = msg.version();
      bool keep_alive = msg.keep_alive();
      Request request = ToRequest(msg);
      if (head) request.method = "GET";
      Response r = co_await Dispatch(std::move(request));
      keep_alive = keep_alive && !drain.draining() && !stopping.load();
      bool ok = co_await Write(stream, std::move(r), version, keep_alive, head);
      if (!ok || !keep_alive) break;
      idle_since->store(Now());
    }
    Unregister(id);
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
  }
};

Server::Server(ServerOptions options, Pipeline& pipeline, WorkerPools pools, DrainState& drain, Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline, pools, drain, logger)) {}

Server::~Server() = default;

std::uint16_t Server::Listen() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address(impl_->options.host), impl_->options.port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  return a.local_endpoint().port();
}

void Server::Run() {
  auto& impl = *impl_;
  if (impl.options.handle_signals) {
    impl.signals.async_wait([&impl](const beast::error_code& ec, int signo) {
      if (!ec) impl.OnSignal(signo);
    });
  }
  asio::co_spawn(impl.ioc, impl.Accept(), asio::detached);
  // Keep every context running until the drain stops them, even while it has no connection.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& c : impl.contexts) guards.push_back(asio::make_work_guard(*c));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl.contexts.size(); ++i) {
    threads.emplace_back([&impl, i] { impl.contexts[i]->run(); });
  }
  impl.ioc.run();
  for (auto& t : threads) t.join();
}

void Server::Stop() {
  auto& impl = *impl_;
  asio::post(impl.ioc, [&impl] {
    impl.stop_requested = true;
    impl.StartDrain();
  });
}

}  // namespace rihla::http
