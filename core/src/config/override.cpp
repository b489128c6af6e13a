// The command-line override grammar.
#include "specrouter/config/override.h"

#include <cctype>

#include "specrouter/error.h"

namespace specrouter {
namespace {

constexpr const char* kExpectedForms = "expected key=value, +key=value, ++key=value, ~key or ~key=value";

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

[[noreturn]] void malformed(const std::string& text, const std::string& why) {
  throw ConfigError("malformed override '" + text + "': " + why + "; " + kExpectedForms);
}

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/' || c == '[' ||
         c == ']';
}

bool is_function_call(const std::string& value, const char* name) {
  const std::string prefix = std::string(name) + "(";
  return value.size() > prefix.size() && value.compare(0, prefix.size(), prefix) == 0 && value.back() == ')';
}

}  // namespace

const char* Override::prefix() const {
  switch (kind) {
    case Kind::kSet: return "";
    case Kind::kAdd: return "+";
    case Kind::kForceAdd: return "++";
    case Kind::kDelete: return "~";
  }
  return "";
}

bool Override::is_sweep() const {
  if (!value || kind == Kind::kDelete) return false;
  if (is_function_call(*value, "range") || is_function_call(*value, "choice")) return true;
  return split_top_level(*value).size() > 1;
}

std::vector<std::string> split_top_level(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  char quote = 0;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        current += c;
        current += text[++i];
        continue;
      }
      if (c == quote) quote = 0;
      current += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{' || c == '(') {
      ++depth;
    } else if ((c == ']' || c == '}' || c == ')') && depth > 0) {
      --depth;
    } else if (c == separator && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(trim(current));
  return parts;
}

Override parse_override(const std::string& text) {
  Override out;
  out.text = text;
  std::string rest = trim(text);
  if (rest.empty()) malformed(text, "it is empty");
  if (rest.compare(0, 2, "++") == 0) {
    out.kind = Override::Kind::kForceAdd;
    rest.erase(0, 2);
  } else if (rest[0] == '+') {
    out.kind = Override::Kind::kAdd;
    rest.erase(0, 1);
  } else if (rest[0] == '~') {
    out.kind = Override::Kind::kDelete;
    rest.erase(0, 1);
  }
  const std::size_t equals = rest.find('=');
  std::string key = trim(rest.substr(0, equals));
  if (equals != std::string::npos) {
    out.value = trim(rest.substr(equals + 1));
  } else if (out.kind != Override::Kind::kDelete) {
    malformed(text, "no '=' after the key");
  }
  const std::size_t at = key.find('@');
  if (at != std::string::npos) {
    out.package = key.substr(at + 1);
    key = key.substr(0, at);
    if (out.package.empty()) malformed(text, "empty package after '@'");
    for (char c : out.package) {
      if (!is_key_char(c) || c == '/' || c == '[' || c == ']') {
        malformed(text, std::string("character '") + c + "' is not allowed in a package");
      }
    }
  }
  if (key.empty()) malformed(text, "the key is empty");
  if (key[0] == '+' || key[0] == '~') malformed(text, std::string("unexpected '") + key[0] + "' in the key");
  for (char c : key) {
    if (!is_key_char(c)) malformed(text, std::string("character '") + c + "' is not allowed in a key");
  }
  for (const char* empty : {"..", "//", "./", "/."}) {
    if (key.find(empty) != std::string::npos) malformed(text, "the key '" + key + "' has an empty segment");
  }
  if (key.front() == '.' || key.back() == '.' || key.front() == '/' || key.back() == '/') {
    malformed(text, "the key '" + key + "' has an empty segment");
  }
  out.key = key;
  return out;
}

}  // namespace specrouter
