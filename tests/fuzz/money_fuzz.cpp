// Money strings: "<amount>\n<currency>" -> domain::ParseMoney.
// Invariants: a parsed amount is non-negative, FormatAmount renders exactly the currency's
// exponent of decimals, and that rendering parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/money.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rihla;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto [amount, currency] = fuzz::SplitLine(in);
  auto money = domain::ParseMoney(amount, currency);
  if (!money) return 0;
  auto exponent = domain::CurrencyExponent(currency);
  FUZZ_CHECK(exponent.has_value());
  FUZZ_CHECK(money->minor >= 0);
  FUZZ_CHECK(money->currency == currency);
  std::string text = domain::FormatAmount(*money);
  auto dot = text.find('.');
  if (*exponent == 0) {
    FUZZ_CHECK(dot == std::string::npos);
  } else {
    FUZZ_CHECK(dot != std::string::npos && text.size() - dot - 1 == static_cast<std::size_t>(*exponent));
  }
  auto again = domain::ParseMoney(text, currency);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *money);
  FUZZ_CHECK(domain::FormatAmount(*again) == text);
  return 0;
}
