#include "http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace rihla::check {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpAnswer::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

Target ParseTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty())
    throw std::invalid_argument("target must be an http:// URL with a host: " + url);
  Target t;
  t.url = url;
  t.host = std::string(parsed->host());
  t.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  t.prefix = std::string(parsed->encoded_path());
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  return t;
}

struct HttpClient::Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(asio::io_context& io, std::vector<Target> targets) : io_(io) {
  for (auto& t : targets) {
    auto pool = std::make_unique<Pool>();
    pool->target = std::move(t);
    pools_.push_back(std::move(pool));
  }
}

HttpClient::~HttpClient() = default;

asio::awaitable<HttpAnswer> HttpClient::Send(std::size_t t, std::string method, std::string path, std::string body,
                                             HeaderList headers, double timeout_seconds) {
  Pool& pool = *pools_.at(t);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = false;
    if (!pool.idle.empty()) {
      conn = std::move(pool.idle.back());
      pool.idle.pop_back();
      reused = true;
    }
    HttpAnswer answer = co_await Exchange(pool, conn, reused, method, path, body, headers, timeout_seconds);
    // `reused` stays true only when a pooled connection failed before any byte of an answer:
    // the server closed it while idle, so the request never reached it.
    if (!answer.answered && reused && attempt == 0) {
      ++reused_closed_;
      continue;
    }
    if (answer.answered && conn && pool.idle.size() < 256) pool.idle.push_back(std::move(conn));
    co_return answer;
  }
  co_return HttpAnswer{false, "unreachable"};
}

asio::awaitable<HttpAnswer> HttpClient::Exchange(Pool& pool, std::unique_ptr<Connection>& conn, bool& reused,
                                                 const std::string& method, const std::string& path,
                                                 const std::string& body, const HeaderList& headers,
                                                 double timeout_seconds) {
  auto token = asio::as_tuple(asio::use_awaitable);
  auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  HttpAnswer answer;
  if (!conn) {
    // A local copy: other coroutines may fill pool.endpoints while this one connects.
    std::vector<tcp::endpoint> endpoints = pool.endpoints;
    if (endpoints.empty()) {
      tcp::resolver resolver(io_);
      auto [ec, results] = co_await resolver.async_resolve(pool.target.host, pool.target.port, token);
      if (ec) {
        answer.error = "resolve: " + ec.message();
        co_return answer;
      }
      for (const auto& r : results) endpoints.push_back(r.endpoint());
      if (pool.endpoints.empty()) pool.endpoints = endpoints;
    }
    conn = std::make_unique<Connection>(io_);
    conn->stream.expires_after(timeout);
    auto [ec, ep] = co_await conn->stream.async_connect(endpoints, token);
    if (ec) {
      answer.error = "connect: " + ec.message();
      conn.reset();
      co_return answer;
    }
  }
  http::request<http::string_body> req{http::string_to_verb(method), pool.target.prefix + path, 11};
  req.set(http::field::host, pool.target.host + ":" + pool.target.port);
  req.set(http::field::user_agent, "rihla-check");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  req.keep_alive(true);

  conn->stream.expires_after(timeout);
  auto [wec, written] = co_await http::async_write(conn->stream, req, token);
  if (wec) {
    answer.error = "write: " + wec.message();
    conn.reset();
    co_return answer;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rec, read] = co_await http::async_read(conn->stream, conn->buffer, parser, token);
  if (rec) {
    answer.error = (rec == beast::error::timeout ? std::string("timeout") : "read: " + rec.message());
    if (read > 0 || rec == beast::error::timeout) reused = false;
    conn.reset();
    co_return answer;
  }
  reused = false;
  auto& res = parser.get();
  answer.answered = true;
  answer.status = static_cast<int>(res.result_int());
  answer.body = std::move(res.body());
  for (const auto& f : res) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    answer.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  if (!res.keep_alive()) conn.reset();
  co_return answer;
}

}  // namespace rihla::check
