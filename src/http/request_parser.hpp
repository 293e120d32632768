#pragma once
// The request parser of a connection, with the server's limits: a header (request line and
// fields) beyond `options.header_limit` bytes in total fails with http::error::header_limit
// (answered 431), a body beyond `options.body_limit` with http::error::body_limit (413).
// One definition for server.cpp and the HTTP fuzz target (tests/fuzz), so both parse alike.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>

#include "http/server.hpp"

namespace rihla::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

inline void ApplyRequestLimits(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
}

// Beast applies header_limit to the request line and to the fields each, so a header of up to
// twice the limit would pass; the server reads the header first and checks the bytes it took
// (request line, fields, empty line). Returns http::error::header_limit when over the limit.
inline boost::beast::error_code CheckHeaderSize(std::size_t header_bytes, const ServerOptions& options) {
  if (header_bytes > options.header_limit) return boost::beast::http::error::header_limit;
  return {};
}

}  // namespace rihla::http
