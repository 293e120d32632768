#pragma once
// A small blocking HTTP/1.1 client over a real TCP socket, for black-box tests. One keep-alive
// connection per client; not thread-safe (use one client per thread).
#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rihla::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lowercase
  std::string body;
  std::string Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
  boost::json::value Json() const { return boost::json::parse(body); }
};

class HttpClient {
 public:
  explicit HttpClient(int port, int timeout_ms = 30000) : port_(port), timeout_ms_(timeout_ms) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (Content-Length set when body is non-empty) and reads the response.
  // Reconnects once if the kept-alive connection was closed. Throws std::runtime_error.
  HttpResponse Request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {});
  HttpResponse Get(std::string_view target, const Headers& headers = {}) { return Request("GET", target, {}, headers); }
  HttpResponse PostJson(std::string_view target, std::string_view body, Headers headers = {});

  // Writes raw bytes on a fresh connection and returns the parsed response (or status 0 and
  // empty body when the server closed without answering).
  HttpResponse SendRaw(std::string_view bytes);
  // Opens a connection, returns its fd (the caller owns it). For slow-client tests.
  int Connect();
  // Writes `bytes` on the caller's open connection `fd` and reads one response from it, on
  // that connection only (no reconnect). Throws std::runtime_error when it is closed.
  HttpResponse SendOn(int fd, std::string_view bytes);

 private:
  HttpResponse ReadResponse(int fd);
  void Close();
  int port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buffer_;
};

// True when `fd` was closed by the peer within `timeout_ms` (poll with deadline).
bool WaitForPeerClose(int fd, int timeout_ms);

}  // namespace rihla::test
