// The HTTP/1.1 request parse of a connection, with rihla's limits: bytes as a client sends
// them on one keep-alive connection (pipelined requests allowed), parsed the way
// http/server.cpp reads them (a fresh RequestParser per request with ApplyRequestLimits, the
// header read and CheckHeaderSize, then the body read eagerly, over one growing buffer, and
// put_eof when the client stops mid-message).
//
// The first input byte chooses how the network splits the remaining bytes into reads.
// Invariants: a request parses to the same result (an error, or the same method, target,
// version, fields, body and bytes used) whether its bytes arrive in one read or in many small
// ones; a parsed request's Content-Length is its body size, and it stays within the body
// limit and (without chunked framing) the 8 KiB header limit in total.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "http/request_parser.hpp"

namespace {

namespace bhttp = boost::beast::http;
using rihla::http::RequestParser;

struct Parsed {
  boost::beast::error_code ec;
  std::size_t used = 0;  // bytes of the connection consumed by this request
  std::string method, target, body;
  unsigned version = 0;
  bool keep_alive = false;
  std::vector<std::pair<std::string, std::string>> fields;
  // After an error the connection ends, so how far the parser got does not matter, nor which
  // error: Beast may see a malformed header as incomplete (need_more, then partial_message
  // when the client closes) when it arrives in pieces, and as malformed (400) when whole.
  bool operator==(const Parsed& o) const {
    if (ec || o.ec) return static_cast<bool>(ec) == static_cast<bool>(o.ec);
    return used == o.used && method == o.method && target == o.target && body == o.body &&
           version == o.version && keep_alive == o.keep_alive && fields == o.fields;
  }
};

// Reads one request from `wire` starting at `offset`, delivering at most `chunk` bytes per
// read, as http/server.cpp does over a socket: beast::http::async_read_header (not eager),
// CheckHeaderSize, then beast::http::async_read (eager) for the body.
Parsed ReadOne(std::string_view wire, std::size_t offset, std::size_t chunk, const rihla::http::ServerOptions& options) {
  RequestParser parser;
  rihla::http::ApplyRequestLimits(parser, options);
  boost::beast::flat_buffer buffer;
  Parsed out;
  std::size_t next = offset;  // next byte the "socket" delivers
  std::size_t used = 0;
  // One beast::http::async_read[_header]: put, read more on need_more, put_eof at the end.
  auto read = [&](bool header_only) {
    parser.eager(!header_only);
    auto finished = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
    if (finished()) return;
    for (;;) {
      if (buffer.size() > 0) {
        std::size_t n = parser.put(buffer.data(), out.ec);
        used += n;
        buffer.consume(n);
        if (!out.ec && finished()) return;
        if (out.ec && out.ec != bhttp::error::need_more) return;
        out.ec = {};
        if (n > 0) continue;  // parsed some: try the rest before reading
      }
      if (next >= wire.size()) {  // the client closed the connection
        if (parser.got_some()) {
          parser.put_eof(out.ec);
        } else {
          out.ec = bhttp::error::end_of_stream;
        }
        return;
      }
      std::size_t n = std::min(chunk, wire.size() - next);
      auto mb = buffer.prepare(n);
      std::memcpy(mb.data(), wire.data() + next, n);
      buffer.commit(n);
      next += n;
    }
  };
  read(true);
  std::size_t header_bytes = used;
  if (!out.ec) out.ec = rihla::http::CheckHeaderSize(header_bytes, options);
  if (!out.ec) {
    FUZZ_CHECK(header_bytes <= options.header_limit);
    read(false);
  }
  // Bytes read from the socket but not parsed stay for the next request (pipelining): the
  // request consumed `used` bytes; unparsed ones are still in the buffer.
  out.used = used;
  if (!out.ec && parser.is_done()) {
    auto& msg = parser.get();
    out.method = std::string(msg.method_string());
    out.target = std::string(msg.target());
    out.version = msg.version();
    out.keep_alive = msg.keep_alive();
    out.body = msg.body();
    for (const auto& f : msg) out.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const rihla::http::ServerOptions options;  // the limits rihla serves with
  std::size_t chunk = 1 + data[0] % 97;
  std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t offset = 0;
  for (int requests = 0; requests < 64 && offset < wire.size(); ++requests) {
    Parsed whole = ReadOne(wire, offset, wire.size(), options);
    Parsed split = ReadOne(wire, offset, chunk, options);
    FUZZ_CHECK(whole == split);
    if (whole.ec) {
      break;  // the server answers 431/413/400 or just closes, and ends the connection
    }
    FUZZ_CHECK(whole.used > 0);
    FUZZ_CHECK(whole.body.size() <= options.body_limit);
    bool chunked = false;
    for (const auto& [name, value] : whole.fields) {
      auto field = bhttp::string_to_field(name);
      if (field == bhttp::field::content_length) FUZZ_CHECK(std::stoull(value) == whole.body.size());
      if (field == bhttp::field::transfer_encoding) chunked = true;
    }
    // Without chunked framing, what precedes the body is the header: 8 KiB in total at most.
    if (!chunked) FUZZ_CHECK(whole.used - whole.body.size() <= options.header_limit);
    if (!whole.keep_alive) break;  // the server closes after answering
    offset += whole.used;
  }
  return 0;
}
