#include "storage/database_url.hpp"

#include <boost/url/parse.hpp>

#include <stdexcept>

namespace rihla::storage {
namespace {

// "sqlite:, postgresql:// or mysql://", from the table.
std::string KnownSchemes() {
  std::string out;
  auto dialects = Dialects();
  for (std::size_t i = 0; i < dialects.size(); ++i) {
    if (i > 0) out += i + 1 == dialects.size() ? " or " : ", ";
    out += std::string(dialects[i].schemes.front()) + (dialects[i].file_based ? ":" : "://");
  }
  return out;
}

// The file engine whose `<scheme>:` starts `text`, or nullptr; `rest` is what follows it.
const Dialect* FileDialectOf(std::string_view text, std::string_view& rest) {
  for (const Dialect& d : Dialects()) {
    if (!d.file_based) continue;
    for (std::string_view scheme : d.schemes) {
      std::string prefix = std::string(scheme) + ":";
      if (text.rfind(prefix, 0) == 0) {
        rest = text.substr(prefix.size());
        return &d;
      }
    }
  }
  return nullptr;
}

DatabaseUrl ParseFileUrl(const Dialect& d, std::string_view rest) {
  std::string path(rest);
  if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://relative or sqlite:///abs
  if (path.empty()) {
    throw std::invalid_argument(std::string(d.name) + " URL needs a path: " + std::string(d.schemes.front()) +
                                ":var/rihla.db");
  }
  DatabaseUrl out;
  out.engine = d.engine;
  out.file_path = path;
  out.connect_string = d.connect_string(UrlParts{.path = path});
  out.redacted = std::string(d.schemes.front()) + ":" + path;
  return out;
}

DatabaseUrl ParseServerUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) throw std::invalid_argument("database URL is not a valid URL");
  auto url = *parsed;
  std::string scheme(url.scheme());
  const Dialect* d = DialectForScheme(scheme);
  if (d == nullptr || d->file_based) throw std::invalid_argument("database URL scheme must be " + KnownSchemes());
  UrlParts parts;
  parts.host = url.host_address().empty() ? "127.0.0.1" : std::string(url.host_address());
  parts.port = url.has_port() ? std::string(url.port()) : std::string(d->default_port);
  parts.user = url.user();
  parts.password = url.password();
  parts.database = url.path();
  if (!parts.database.empty() && parts.database[0] == '/') parts.database = parts.database.substr(1);
  if (parts.database.empty()) throw std::invalid_argument("database URL needs a database name: .../dbname");
  DatabaseUrl out;
  out.engine = d->engine;
  out.connect_string = d->connect_string(parts);
  out.redacted = scheme + "://" +
                 (parts.user.empty() ? "" : parts.user + (parts.password.empty() ? "@" : ":***@")) + parts.host +
                 ":" + parts.port + "/" + parts.database;
  return out;
}

}  // namespace

DatabaseUrl ParseDatabaseUrl(std::string_view text) {
  std::string_view rest;
  if (const Dialect* d = FileDialectOf(text, rest)) return ParseFileUrl(*d, rest);
  return ParseServerUrl(text);
}

}  // namespace rihla::storage
