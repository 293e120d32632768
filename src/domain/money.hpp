#pragma once
// Decimal money strings <-> integer minor units, by the currency's ISO 4217 exponent.
#include <optional>
#include <string>
#include <string_view>

#include "domain/models.hpp"

namespace rihla::domain {

// Number of minor-unit digits (SAR 2, KWD/BHD/OMR/JOD 3, JPY 0, ...); nullopt for codes not
// in the supported list.
std::optional<int> CurrencyExponent(std::string_view code);

// Parses {"amount": "450.00", "currency": "SAR"}: amount is digits with at most `exponent`
// decimals ("450", "450.5", "450.50"), no sign, no exponent, at most 12 integer digits.
std::optional<Money> ParseMoney(std::string_view amount, std::string_view currency);

// Renders minor units with exactly the currency's exponent: 45000 SAR -> "450.00".
std::string FormatAmount(const Money& money);

}  // namespace rihla::domain
