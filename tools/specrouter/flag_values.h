#pragma once
/// @file
/// @brief Checks of flag values for CLI11 options: whole and real numbers in a range,
/// comma-separated numbers, `KEY=VALUE`, one of a few words. A refused value is reported
/// by CLI11 as `--flag: <why>`, and every reason names the value and what is allowed,
/// e.g. `--threads: -3 is out of range (allowed: 0 or more; 0: every core)`.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace specrouter::cli {

inline constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

/// A decimal whole number from `min` to `max` (kNoLimit: no upper limit); `note` says what
/// a special value means ("0: every core"). The value is rewritten in plain decimal, so
/// CLI11's conversion (strtoll in base 0, where `010` is eight) reads what was checked.
CLI::Validator whole_number(std::int64_t min, std::int64_t max = kNoLimit, const std::string& note = "");

/// A real number above `min` (or at it, when `min_allowed`) and at most `max`.
CLI::Validator real_number(double min, bool min_allowed, double max = std::numeric_limits<double>::infinity(),
                           const std::string& note = "");

/// Comma-separated whole numbers, at least one, each from `min` to `max` (`4,2`).
CLI::Validator number_list(std::int64_t min, std::int64_t max = kNoLimit);

/// `KEY=VALUE` with both parts non-empty; `example` shows one.
CLI::Validator key_value(const std::string& example);

/// One of `words`, exactly.
CLI::Validator one_of(std::initializer_list<std::string> words);

/// The numbers of a value number_list() accepted.
template <typename T>
std::vector<T> split_numbers(const std::string& text) {
  std::vector<T> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    values.push_back(static_cast<T>(std::stoll(text.substr(start, comma - start))));
    start = comma + 1;
  }
  return values;
}

/// The two parts of a value key_value() accepted, split at the first `=`.
std::pair<std::string, std::string> split_key_value(const std::string& text);

}  // namespace specrouter::cli
