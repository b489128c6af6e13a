// Sweep expansion. Float ranges are computed in exact decimal steps when the bounds are
// plain decimals, so range(0,1,0.1) gives 0.3 and not 0.30000000000000004.
#include "specrouter/engine/multirun.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "specrouter/config/override.h"
#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

constexpr std::size_t kMaxJobs = 100000;

[[noreturn]] void bad_sweep(const std::string& override_text, const std::string& why) {
  throw ConfigError("command-line override '" + override_text + "': " + why);
}

bool is_call(const std::string& value, const std::string& name) {
  return value.size() > name.size() + 1 && value.compare(0, name.size() + 1, name + "(") == 0 && value.back() == ')';
}

std::string inner_arguments(const std::string& value, const std::string& name) {
  return value.substr(name.size() + 1, value.size() - name.size() - 2);
}

// A decimal without exponent, as an integer count of 10^-digits units.
struct Decimal {
  std::int64_t units = 0;
  int digits = 0;
};

std::optional<Decimal> parse_decimal(const std::string& text) {
  std::string_view rest = text;
  int exponent = 0;
  if (const std::size_t e = rest.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view power = rest.substr(e + 1);
    if (!power.empty() && power[0] == '+') power.remove_prefix(1);
    auto [end, ec] = std::from_chars(power.data(), power.data() + power.size(), exponent);
    if (ec != std::errc() || end != power.data() + power.size() || exponent > 15 || exponent < -15) return std::nullopt;
    rest = rest.substr(0, e);
  }
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  const std::size_t dot = rest.find('.');
  std::string digits(rest.substr(0, dot));
  int fraction = 0;
  if (dot != std::string_view::npos) {
    digits += rest.substr(dot + 1);
    fraction = static_cast<int>(rest.size() - dot - 1);
  }
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t units = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), units);
  // 2.5e-3 is 25 units of 10^-4; 1e2 is 100 units of 10^0.
  fraction -= exponent;
  for (; fraction < 0; ++fraction) {
    if (units > std::numeric_limits<std::int64_t>::max() / 10) return std::nullopt;
    units *= 10;
  }
  if (fraction > 15) return std::nullopt;
  return Decimal{negative ? -units : units, fraction};
}

std::optional<std::int64_t> scale_to(const std::optional<Decimal>& value, int digits) {
  if (!value) return std::nullopt;
  std::int64_t units = value->units;
  for (int i = value->digits; i < digits; ++i) {
    if (units > std::numeric_limits<std::int64_t>::max() / 10 ||
        units < std::numeric_limits<std::int64_t>::min() / 10) {
      return std::nullopt;
    }
    units *= 10;
  }
  return units;
}

std::string format_decimal(std::int64_t units, int digits) {
  const bool negative = units < 0;
  std::string text = std::to_string(negative ? -units : units);
  if (text.size() <= static_cast<std::size_t>(digits)) text.insert(0, digits - text.size() + 1, '0');
  std::string integer = text.substr(0, text.size() - digits);
  std::string fraction = text.substr(text.size() - digits);
  while (fraction.size() > 1 && fraction.back() == '0') fraction.pop_back();
  if (fraction.empty()) fraction = "0";
  return (negative ? "-" : "") + integer + "." + fraction;
}

std::string format_double(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::vector<std::string> range_values(const std::string& arguments, const std::string& override_text) {
  std::vector<std::string> args = split_top_level(arguments);
  if (args.empty() || args.size() > 3 || args[0].empty()) {
    bad_sweep(override_text, "expected range(stop), range(start,stop) or range(start,stop,step)");
  }
  if (args.size() == 1) args.insert(args.begin(), "0");
  if (args.size() == 2) args.push_back("1");
  bool all_ints = true;
  for (const std::string& arg : args) {
    const YamlType type = yaml_type(make_plain_node(arg));
    if (type != YamlType::kInt && type != YamlType::kFloat) {
      bad_sweep(override_text, "range bound '" + arg + "' is not a number");
    }
    all_ints = all_ints && type == YamlType::kInt;
  }
  std::vector<std::string> values;
  auto check_count = [&](std::size_t count) {
    if (count == 0) bad_sweep(override_text, "the range is empty");
    if (count > kMaxJobs) bad_sweep(override_text, "the range has more than " + std::to_string(kMaxJobs) + " values");
  };
  if (all_ints) {
    const std::int64_t start = yaml_to_int(make_plain_node(args[0]));
    const std::int64_t stop = yaml_to_int(make_plain_node(args[1]));
    const std::int64_t step = yaml_to_int(make_plain_node(args[2]));
    if (step == 0) bad_sweep(override_text, "the range step is 0");
    const std::int64_t span = step > 0 ? stop - start : start - stop;
    const std::int64_t magnitude = step > 0 ? step : -step;
    check_count(span <= 0 ? 0 : static_cast<std::size_t>((span + magnitude - 1) / magnitude));
    for (std::int64_t v = start; step > 0 ? v < stop : v > stop; v += step) values.push_back(std::to_string(v));
    return values;
  }
  const auto start = parse_decimal(args[0]), stop = parse_decimal(args[1]), step = parse_decimal(args[2]);
  const int digits = std::max({start ? start->digits : 0, stop ? stop->digits : 0, step ? step->digits : 0, 1});
  const auto scaled_start = scale_to(start, digits), scaled_stop = scale_to(stop, digits);
  const auto scaled_step = scale_to(step, digits);
  if (scaled_start && scaled_stop && scaled_step) {
    const std::int64_t a = *scaled_start, b = *scaled_stop, s = *scaled_step;
    if (s == 0) bad_sweep(override_text, "the range step is 0");
    const std::int64_t span = s > 0 ? b - a : a - b;
    const std::int64_t magnitude = s > 0 ? s : -s;
    check_count(span <= 0 ? 0 : static_cast<std::size_t>((span + magnitude - 1) / magnitude));
    for (std::int64_t v = a; s > 0 ? v < b : v > b; v += s) values.push_back(format_decimal(v, digits));
    return values;
  }
  const double a = yaml_to_float(make_plain_node(args[0])), b = yaml_to_float(make_plain_node(args[1]));
  const double s = yaml_to_float(make_plain_node(args[2]));
  if (s == 0 || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(s)) {
    bad_sweep(override_text, "a range needs finite bounds and a non-zero step");
  }
  const double count = std::ceil((b - a) / s);
  check_count(count <= 0 ? 0 : static_cast<std::size_t>(std::min(count, double(kMaxJobs) + 1)));
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) values.push_back(format_double(a + i * s));
  return values;
}

}  // namespace

std::vector<std::string> sweep_values(const std::string& value_text, const std::string& override_text) {
  if (is_call(value_text, "range")) return range_values(inner_arguments(value_text, "range"), override_text);
  std::vector<std::string> values = is_call(value_text, "choice")
                                        ? split_top_level(inner_arguments(value_text, "choice"))
                                        : split_top_level(value_text);
  for (const std::string& value : values) {
    if (value.empty()) bad_sweep(override_text, "a sweep value is empty");
  }
  return values;
}

std::vector<Job> expand_multirun(const std::vector<std::string>& overrides) {
  // One list of alternatives per override; a plain override has one.
  std::vector<std::vector<std::string>> alternatives;
  std::size_t total = 1;
  for (const std::string& text : overrides) {
    const Override override = parse_override(text);
    if (!override.is_sweep()) {
      alternatives.push_back({text});
      continue;
    }
    std::vector<std::string> options;
    for (const std::string& value : sweep_values(*override.value, text)) {
      options.push_back(std::string(override.prefix()) + override.key_with_package() + "=" + value);
    }
    total *= options.size();
    if (total > kMaxJobs) {
      throw ConfigError("multirun over " + std::to_string(overrides.size()) + " overrides makes more than " +
                        std::to_string(kMaxJobs) + " jobs");
    }
    alternatives.push_back(std::move(options));
  }
  // An odometer whose last wheel turns fastest: the first sweep varies slowest.
  std::vector<Job> jobs;
  std::vector<std::size_t> wheel(alternatives.size(), 0);
  for (std::size_t number = 0; number < total; ++number) {
    Job job;
    job.number = number;
    for (std::size_t i = 0; i < alternatives.size(); ++i) job.overrides.push_back(alternatives[i][wheel[i]]);
    jobs.push_back(std::move(job));
    for (std::size_t i = alternatives.size(); i-- > 0;) {
      if (++wheel[i] < alternatives[i].size()) break;
      wheel[i] = 0;
    }
  }
  return jobs;
}

}  // namespace specrouter
