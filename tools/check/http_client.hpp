#pragma once
// A coroutine HTTP/1.1 client for rihla-check: keep-alive connections pooled per target, a
// timeout per request. Single-threaded: all calls on the io_context's one thread.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rihla::check {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpAnswer {
  bool answered = false;      // false: transport error or timeout (the request may have run)
  std::string error;          // when !answered
  int status = 0;
  std::string body;
  HeaderList headers;         // names lowercase
  std::string Header(const std::string& lower_name) const;
};

// "http://host:port" (a path prefix is kept and put before every request path).
struct Target {
  std::string url;
  std::string host;
  std::string port;
  std::string prefix;
};
// Throws std::invalid_argument for anything but an http:// URL with a host.
Target ParseTarget(const std::string& url);

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, std::vector<Target> targets);
  ~HttpClient();

  std::size_t target_count() const { return pools_.size(); }
  // Pooled connections found closed before any answer byte and resent on a fresh one: not
  // failures the caller saw, but a balancer or server closing kept-alive connections under
  // its clients.
  long long reused_closed() const { return reused_closed_; }
  const Target& target(std::size_t i) const { return pools_[i]->target; }

  // Sends one request to target `t`, reusing an idle connection when one is pooled (and retrying
  // once on a fresh connection when a reused one turns out closed before any answer byte).
  // Never throws for network trouble: the answer says what happened.
  boost::asio::awaitable<HttpAnswer> Send(std::size_t t, std::string method, std::string path, std::string body,
                                          HeaderList headers, double timeout_seconds);

 private:
  struct Connection;
  long long reused_closed_ = 0;
  struct Pool {
    Target target;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::vector<std::unique_ptr<Connection>> idle;
  };
  boost::asio::awaitable<HttpAnswer> Exchange(Pool& pool, std::unique_ptr<Connection>& conn, bool& reused,
                                              const std::string& method, const std::string& path,
                                              const std::string& body, const HeaderList& headers,
                                              double timeout_seconds);

  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<Pool>> pools_;
};

}  // namespace rihla::check
