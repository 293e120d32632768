#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rihla::test {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return true;
  }
  return false;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

int HttpClient::Connect() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed: " + std::string(std::strerror(errno)));
  }
  return fd;
}

namespace {

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

HttpResponse HttpClient::ReadResponse(int fd) {
  auto fill = [&]() {
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error(n == 0 ? "connection closed" : "recv failed or timed out");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  };
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
  HttpResponse r;
  std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  r.status = std::stoi(status_line.substr(9, 3));
  std::size_t content_length = 0;
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "content-length") content_length = std::stoul(value);
    r.headers.emplace_back(std::move(name), std::move(value));
  }
  while (buffer_.size() < content_length) fill();
  r.body = buffer_.substr(0, content_length);
  buffer_.erase(0, content_length);
  return r;
}

HttpResponse HttpClient::Request(std::string_view method, std::string_view target, std::string_view body,
                                 const Headers& headers) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [k, v] : headers) req.append(k).append(": ").append(v).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PATCH") {
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);
  for (int attempt = 0;; ++attempt) {
    bool fresh = fd_ < 0;
    try {
      if (fd_ < 0) fd_ = Connect();
      WriteAll(fd_, req);
      HttpResponse r = ReadResponse(fd_);
      if (r.Header("connection") == "close") Close();
      return r;
    } catch (const std::exception&) {
      Close();
      if (fresh || attempt > 0) throw;  // a reused connection may have been closed idle: retry once
    }
  }
}

HttpResponse HttpClient::PostJson(std::string_view target, std::string_view body, Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return Request("POST", target, body, headers);
}

HttpResponse HttpClient::SendRaw(std::string_view bytes) {
  int fd = Connect();
  std::string saved;
  saved.swap(buffer_);
  HttpResponse r;
  try {
    WriteAll(fd, bytes);
    r = ReadResponse(fd);
  } catch (const std::exception&) {
    r = HttpResponse{};
  }
  ::close(fd);
  buffer_.swap(saved);
  return r;
}

HttpResponse HttpClient::SendOn(int fd, std::string_view bytes) {
  std::string saved;
  saved.swap(buffer_);
  try {
    WriteAll(fd, bytes);
    HttpResponse r = ReadResponse(fd);
    buffer_.swap(saved);
    return r;
  } catch (...) {
    buffer_.swap(saved);
    throw;
  }
}

bool WaitForPeerClose(int fd, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) > 0) {
      char c;
      ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN) return true;
    }
  }
  return false;
}

}  // namespace rihla::test
