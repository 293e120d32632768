#pragma once
// SOCI's named placeholders (:name; each occurrence one value, in order), for the dialect code
// that sends queued writes itself (Dialect::commit_with_writes) instead of through SOCI.
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace rihla::storage {

// `query` with each placeholder replaced by what `emit(out, index)` appends (index from 0), as
// SOCI's backends split a query: `::` casts, quoted text ('...', '' inside) and a lone `:` stay
// as they are. Pure.
template <class Emit>
std::string ReplacePlaceholders(std::string_view query, Emit&& emit) {
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  std::string out;
  out.reserve(query.size() + 16);
  int n = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < query.size(); ++i) {
    char c = query[i];
    if (c == '\'') quoted = !quoted;  // '' inside text toggles twice
    if (!quoted && c == ':') {
      if (i + 1 < query.size() && query[i + 1] == ':') {  // a cast
        out += "::";
        ++i;
        continue;
      }
      std::size_t end = i + 1;
      while (end < query.size() && is_name_char(query[end])) ++end;
      if (end > i + 1) {
        emit(out, n++);
        i = end - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace rihla::storage
