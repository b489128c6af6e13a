// YAML 1.2 core-schema typing of yaml-cpp scalars, and a writer that keeps those types.
#include "specrouter/config/yaml_value.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "specrouter/error.h"

namespace specrouter {
namespace {

constexpr const char* kStrTag = "tag:yaml.org,2002:str";
constexpr const char* kIntTag = "tag:yaml.org,2002:int";
constexpr const char* kFloatTag = "tag:yaml.org,2002:float";
constexpr const char* kBoolTag = "tag:yaml.org,2002:bool";
constexpr const char* kNullTag = "tag:yaml.org,2002:null";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

std::string_view strip_sign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s;
}

bool is_null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool is_bool_text(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

bool is_int_text(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o') {
    return all_of(s.substr(2), [](char c) { return c >= '0' && c <= '7'; });
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return all_of(s.substr(2), is_hex);
  return all_of(strip_sign(s), is_digit);
}

bool is_special_float(std::string_view s) {
  std::string_view unsigned_part = strip_sign(s);
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") return true;
  return s == ".nan" || s == ".NaN" || s == ".NAN";
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_float_text(std::string_view s) {
  if (is_special_float(s)) return true;
  s = strip_sign(s);
  std::size_t i = 0, integer_digits = 0, fraction_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++integer_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++fraction_digits;
  }
  if (integer_digits == 0 && fraction_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

YamlType infer_plain_type(std::string_view text) {
  if (is_null_text(text)) return YamlType::kNull;
  if (is_bool_text(text)) return YamlType::kBool;
  if (is_int_text(text)) return YamlType::kInt;
  if (is_float_text(text)) return YamlType::kFloat;
  return YamlType::kString;
}

bool is_scalar_collection(const YAML::Node& node) {
  for (const auto& item : node) {
    const YAML::Node& value = node.IsMap() ? item.second : static_cast<const YAML::Node&>(item);
    if (value.IsMap() || value.IsSequence()) return false;
  }
  return true;
}

void emit(YAML::Emitter& out, const YAML::Node& node, bool flow) {
  switch (yaml_type(node)) {
    case YamlType::kUndefined:
    case YamlType::kNull: out << YAML::Null; return;
    case YamlType::kString:
      // Quote strings that a reader would otherwise take for a number, bool or null.
      if (infer_plain_type(node.Scalar()) != YamlType::kString) out << YAML::DoubleQuoted;
      out << node.Scalar();
      return;
    case YamlType::kBool:
    case YamlType::kInt:
    case YamlType::kFloat: out << node.Scalar(); return;
    case YamlType::kSequence:
      if (flow || is_scalar_collection(node)) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : node) emit(out, item, flow);
      out << YAML::EndSeq;
      return;
    case YamlType::kMapping:
      if (flow) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& item : node) {
        // Keys are names: a key `null` or `1` is written quoted so it reads back as text.
        out << YAML::Key;
        if (infer_plain_type(item.first.Scalar()) != YamlType::kString) out << YAML::DoubleQuoted;
        out << item.first.Scalar();
        out << YAML::Value;
        emit(out, item.second, flow);
      }
      out << YAML::EndMap;
      return;
  }
}

std::string emit_document(const YAML::Node& node, bool flow) {
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  emit(out, node, flow);
  return out.c_str();
}

}  // namespace

YamlType yaml_type(const YAML::Node& node) {
  if (!node.IsDefined()) return YamlType::kUndefined;
  if (node.IsNull()) return YamlType::kNull;
  if (node.IsSequence()) return YamlType::kSequence;
  if (node.IsMap()) return YamlType::kMapping;
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == kStrTag) return YamlType::kString;
  if (tag == kIntTag) return YamlType::kInt;
  if (tag == kFloatTag) return YamlType::kFloat;
  if (tag == kBoolTag) return YamlType::kBool;
  if (tag == kNullTag) return YamlType::kNull;
  return infer_plain_type(node.Scalar());
}

const char* to_string(YamlType type) {
  switch (type) {
    case YamlType::kUndefined: return "nothing";
    case YamlType::kNull: return "null";
    case YamlType::kBool: return "bool";
    case YamlType::kInt: return "int";
    case YamlType::kFloat: return "float";
    case YamlType::kString: return "string";
    case YamlType::kSequence: return "sequence";
    case YamlType::kMapping: return "mapping";
  }
  return "?";
}

std::string describe_value(const YAML::Node& node) {
  const YamlType type = yaml_type(node);
  switch (type) {
    case YamlType::kUndefined: return "nothing";
    case YamlType::kNull: return "null";
    case YamlType::kSequence: return "a sequence " + to_flow_yaml(node);
    case YamlType::kMapping: return "a mapping";
    case YamlType::kString: return "string " + to_flow_yaml(node);
    default: return std::string(to_string(type)) + " " + node.Scalar();
  }
}

std::int64_t yaml_to_int(const YAML::Node& node) {
  std::string_view text = node.Scalar();
  bool negative = false;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    text.remove_prefix(2);
  } else if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (ec != std::errc() || end != text.data() + text.size() || magnitude > limit) {
    throw ConfigError("integer '" + node.Scalar() + "' is not a 64-bit integer");
  }
  if (negative) {
    return magnitude == limit ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(magnitude);
  }
  return static_cast<std::int64_t>(magnitude);
}

double yaml_to_float(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (yaml_type(node) == YamlType::kInt) return static_cast<double>(yaml_to_int(node));
  if (is_special_float(text)) {
    if (text.find_first_of("nN") != std::string::npos && text.find_first_of("aA") != std::string::npos) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    throw ConfigError("'" + text + "' is not a number");
  }
  return value;
}

bool yaml_to_bool(const YAML::Node& node) {
  const char first = node.Scalar().empty() ? 'f' : node.Scalar()[0];
  return first == 't' || first == 'T';
}

YAML::Node make_string_node(const std::string& text) {
  YAML::Node node(text);
  node.SetTag("!");
  return node;
}

YAML::Node make_plain_node(const std::string& text) {
  if (is_null_text(text)) return YAML::Node(YAML::NodeType::Null);
  YAML::Node node(text);
  node.SetTag("?");
  return node;
}

std::string to_yaml_string(const YAML::Node& node) { return emit_document(node, false) + "\n"; }

std::string to_flow_yaml(const YAML::Node& node) { return emit_document(node, true); }

}  // namespace specrouter
