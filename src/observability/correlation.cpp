#include "observability/correlation.hpp"

#include <atomic>
#include <cstdint>

#include "security/crypto.hpp"

namespace rihla {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

bool IsValidCorrelationId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Correlation ids need uniqueness, not secrecy, and one is made for most requests: instead of a
// CSPRNG call per request, a process-wide counter is mixed with a random 128-bit key through
// splitmix64. Lock-free and thread-safe; distinct counters give distinct ids.
namespace {

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct UuidSource {
  std::uint64_t key[2];
  std::atomic<std::uint64_t> counter{0};
  UuidSource() { RandomBytes(reinterpret_cast<unsigned char*>(key), sizeof key); }
};

}  // namespace

std::string NewUuidV4() {
  static UuidSource source;
  std::uint64_t n = source.counter.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t hi = SplitMix64(source.key[0] ^ n), lo = SplitMix64(source.key[1] ^ SplitMix64(n));
  unsigned char b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

std::string ChooseCorrelationId(std::string_view correlation_header, std::string_view request_id_header) {
  if (IsValidCorrelationId(correlation_header)) return std::string(correlation_header);
  if (IsValidCorrelationId(request_id_header)) return std::string(request_id_header);
  return NewUuidV4();
}

std::optional<TraceParent> ParseTraceParent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags
  if (h.size() < 55) return std::nullopt;
  std::string_view version = h.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (h.size() > 55 && h[55] != '-') return std::nullopt;  // future versions: extra fields after '-'
  std::string_view trace_id = h.substr(3, 32);
  std::string_view span_id = h.substr(36, 16);
  std::string_view flags = h.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(span_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(span_id)) return std::nullopt;
  return TraceParent{std::string(trace_id), std::string(span_id), std::string(flags)};
}

}  // namespace rihla
