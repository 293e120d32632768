#pragma once
// Strict decimal integer parsing, the one place every parser of numbers from the network or
// the environment goes through.
#include <charconv>
#include <limits>
#include <optional>
#include <string_view>

namespace rihla::domain {

// The whole of `text` as a decimal integer in [min, max]; nullopt when it is empty, has a sign
// other than a leading '-', any other character (spaces included), or lies out of range.
template <class T>
std::optional<T> ParseInteger(std::string_view text, T min = std::numeric_limits<T>::min(),
                              T max = std::numeric_limits<T>::max()) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace rihla::domain
