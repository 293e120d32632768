#include "domain/money.hpp"

#include <array>
#include <utility>

namespace rihla::domain {

std::optional<int> CurrencyExponent(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, int>, 24> kTable = {{
      {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"CAD", 2}, {"CHF", 2}, {"CNY", 2}, {"EGP", 2}, {"EUR", 2},
      {"GBP", 2}, {"INR", 2}, {"JOD", 3}, {"JPY", 0}, {"KWD", 3}, {"MYR", 2}, {"OMR", 3}, {"PKR", 2},
      {"QAR", 2}, {"SAR", 2}, {"SGD", 2}, {"TRY", 2}, {"USD", 2}, {"KES", 2}, {"ETB", 2}, {"LKR", 2},
  }};
  for (const auto& [c, e] : kTable) {
    if (c == code) return e;
  }
  return std::nullopt;
}

std::optional<Money> ParseMoney(std::string_view amount, std::string_view currency) {
  auto exponent = CurrencyExponent(currency);
  if (!exponent || amount.empty()) return std::nullopt;
  std::size_t dot = amount.find('.');
  std::string_view whole = amount.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : amount.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > static_cast<std::size_t>(*exponent))) {
    return std::nullopt;
  }
  std::int64_t minor = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    minor = minor * 10 + (c - '0');
  }
  for (int i = 0; i < *exponent; ++i) {
    char c = i < static_cast<int>(frac.size()) ? frac[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    minor = minor * 10 + (c - '0');
  }
  return Money{minor, std::string(currency)};
}

std::string FormatAmount(const Money& money) {
  int exponent = CurrencyExponent(money.currency).value_or(2);
  std::int64_t scale = 1;
  for (int i = 0; i < exponent; ++i) scale *= 10;
  std::string out = std::to_string(money.minor / scale);
  if (exponent > 0) {
    std::string frac = std::to_string(money.minor % scale);
    out += '.';
    out.append(static_cast<std::size_t>(exponent) - frac.size(), '0');
    out += frac;
  }
  return out;
}

}  // namespace rihla::domain
