// Flag value checks: each refusal names the value and what is allowed.
#include "flag_values.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace specrouter::cli {
namespace {

std::string in_quotes(const std::string& text) { return "'" + text + "'"; }

// "(allowed: RANGE; NOTE)".
std::string allowed(const std::string& range, const std::string& note) {
  return "(allowed: " + range + (note.empty() ? "" : "; " + note) + ")";
}

// "1 or more", "0 to 10"; a maximum that is only the type's (int or 64 bits) reads as none.
std::string whole_range(std::int64_t min, std::int64_t max, const std::string& note) {
  const bool unbounded = max == kNoLimit || max == std::numeric_limits<int>::max();
  return allowed(std::to_string(min) + (unbounded ? " or more" : " to " + std::to_string(max)), note);
}

// All of `text` as a decimal whole number (an optional '-' and digits; no '+', spaces or
// hex), or nothing.
std::optional<std::int64_t> parse_whole(const std::string& text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || text.empty()) return std::nullopt;
  return value;
}

// The reason `text` is not a whole number in [min, max], or "" when it is.
std::string check_whole(const std::string& text, std::int64_t min, std::int64_t max, const std::string& note) {
  const std::optional<std::int64_t> value = parse_whole(text);
  if (!value) {
    // Digits that do not fit 64 bits are a number, just too large.
    const std::size_t sign = !text.empty() && text[0] == '-' ? 1 : 0;
    const bool digits = text.size() > sign && text.find_first_not_of("0123456789", sign) == std::string::npos;
    if (digits) return text + " is out of range " + whole_range(min, max, note);
    return in_quotes(text) + " is not a whole number " + whole_range(min, max, note);
  }
  if (*value < min || *value > max) return text + " is out of range " + whole_range(min, max, note);
  return "";
}

std::string format_real(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// "0 or more", "more than 0", "0 to 1", "more than 0 and at most 1", with "; note" after.
std::string real_range(double min, bool min_allowed, double max, const std::string& note) {
  std::string range = min_allowed ? format_real(min) : "more than " + format_real(min);
  if (std::isinf(max)) {
    range += min_allowed ? " or more" : "";
  } else {
    range += (min_allowed ? " to " : " and at most ") + format_real(max);
  }
  return allowed(range, note);
}

}  // namespace

CLI::Validator whole_number(std::int64_t min, std::int64_t max, const std::string& note) {
  return CLI::Validator(
      [=](std::string& text) {
        std::string why = check_whole(text, min, max, note);
        if (why.empty()) text = std::to_string(*parse_whole(text));
        return why;
      },
      "");
}

CLI::Validator real_number(double min, bool min_allowed, double max, const std::string& note) {
  return CLI::Validator(
      [=](std::string& text) {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        const std::string range = real_range(min, min_allowed, max, note);
        if (error != std::errc() || stop != end || text.empty() || !std::isfinite(value)) {
          return in_quotes(text) + " is not a number " + range;
        }
        if (value < min || (value == min && !min_allowed) || value > max) return text + " is out of range " + range;
        return std::string();
      },
      "");
}

CLI::Validator number_list(std::int64_t min, std::int64_t max) {
  return CLI::Validator(
      [=](std::string& text) {
        std::string canonical;
        std::size_t start = 0;
        while (start <= text.size()) {
          const std::size_t comma = std::min(text.find(',', start), text.size());
          const std::string item = text.substr(start, comma - start);
          if (item.empty()) return "expects comma-separated whole numbers, not " + in_quotes(text);
          const std::string why = check_whole(item, min, max, "");
          if (!why.empty()) return comma == text.size() && start == 0 ? why : why + " in " + in_quotes(text);
          canonical += (canonical.empty() ? "" : ",") + std::to_string(*parse_whole(item));
          start = comma + 1;
        }
        text = canonical;
        return std::string();
      },
      "");
}

CLI::Validator key_value(const std::string& example) {
  return CLI::Validator(
      [=](std::string& text) {
        const std::size_t equals = text.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
          return "expects KEY=VALUE, e.g. " + example + ", not " + in_quotes(text);
        }
        return std::string();
      },
      "");
}

CLI::Validator one_of(std::initializer_list<std::string> words) {
  std::string listed;
  for (const std::string& word : words) listed += (listed.empty() ? "" : ", ") + word;
  return CLI::Validator(
      [list = std::vector<std::string>(words), listed](std::string& text) {
        for (const std::string& word : list) {
          if (text == word) return std::string();
        }
        return in_quotes(text) + " is not one of " + listed;
      },
      "");
}

std::pair<std::string, std::string> split_key_value(const std::string& text) {
  const std::size_t equals = text.find('=');
  return {text.substr(0, equals), text.substr(equals + 1)};
}

}  // namespace specrouter::cli
