#include "domain/json_input.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace rihla::domain {
namespace {

constexpr std::size_t kMaxDepth = 20;

void WriteCanonical(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    std::vector<const boost::json::key_value_pair*> items;
    items.reserve(o.size());
    for (const auto& kv : o) items.push_back(&kv);
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out += boost::json::serialize(boost::json::string_view(items[i]->key()));
      out.push_back(':');
      WriteCanonical(items[i]->value(), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      WriteCanonical(e, out);
    }
    out.push_back(']');
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::optional<boost::json::value> TryParseJson(std::string_view body) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, opts);
  if (ec) return std::nullopt;
  return v;
}

boost::json::object ParseJsonObject(std::string_view body) {
  if (body.empty()) throw ApiError(ErrorCode::kInvalidRequest, "a JSON body is required");
  boost::json::parse_options opts;
  opts.max_depth = kMaxDepth;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, opts);
  if (ec) {
    std::string reason = ec == boost::json::error::too_deep ? "nested too deeply" : "malformed JSON or invalid UTF-8";
    throw ApiError(ErrorCode::kInvalidRequest, "the body is not valid JSON: " + reason);
  }
  if (!v.is_object()) throw ApiError(ErrorCode::kInvalidRequest, "the body must be a JSON object");
  return std::move(v.get_object());
}

std::string CanonicalJson(const boost::json::value& value) {
  std::string out;
  WriteCanonical(value, out);
  return out;
}

std::optional<std::string> FieldReader::String(std::string_view name, bool required, std::size_t max_len) {
  auto it = object_.find(name);
  if (it == object_.end() || it->value().is_null()) {
    if (required) Fail(name, "required");
    return std::nullopt;
  }
  if (!it->value().is_string()) {
    Fail(name, "must be a string");
    return std::nullopt;
  }
  std::string s(it->value().get_string());
  if (required && s.empty()) {
    Fail(name, "must not be empty");
    return std::nullopt;
  }
  if (s.size() > max_len) {
    Fail(name, "must be at most " + std::to_string(max_len) + " bytes");
    return std::nullopt;
  }
  // PostgreSQL cuts a bound string at NUL, so "evt_A\u0000x" would collide with "evt_A".
  if (s.find('\0') != std::string::npos) {
    Fail(name, "must not contain U+0000");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> FieldReader::Integer(std::string_view name, bool required, std::int64_t min,
                                                 std::int64_t max) {
  auto it = object_.find(name);
  if (it == object_.end() || it->value().is_null()) {
    if (required) Fail(name, "required");
    return std::nullopt;
  }
  const auto& v = it->value();
  std::int64_t n = 0;
  if (v.is_int64()) n = v.get_int64();
  else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) n = static_cast<std::int64_t>(v.get_uint64());
  else {
    Fail(name, "must be an integer");
    return std::nullopt;
  }
  if (n < min || n > max) {
    Fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

const boost::json::object* FieldReader::Object(std::string_view name, bool required) {
  auto it = object_.find(name);
  if (it == object_.end() || it->value().is_null()) {
    if (required) Fail(name, "required");
    return nullptr;
  }
  if (!it->value().is_object()) {
    Fail(name, "must be an object");
    return nullptr;
  }
  return &it->value().get_object();
}

const boost::json::array* FieldReader::Array(std::string_view name, bool required) {
  auto it = object_.find(name);
  if (it == object_.end() || it->value().is_null()) {
    if (required) Fail(name, "required");
    return nullptr;
  }
  if (!it->value().is_array()) {
    Fail(name, "must be an array");
    return nullptr;
  }
  return &it->value().get_array();
}

void FieldReader::Fail(std::string_view name, std::string message) {
  errors_.push_back(FieldError{Path(name), std::move(message)});
}

void FieldReader::ThrowIfErrors(std::string_view detail) {
  if (!errors_.empty()) throw ApiError(ErrorCode::kInvalidRequest, std::string(detail), std::move(errors_));
}

}  // namespace rihla::domain
