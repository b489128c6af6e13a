// `${...}` interpolation. Values are resolved depth first on demand: a reference first
// resolves its target (recording the chain of keys in progress, so a cycle is reported
// as `a -> b -> a`), then copies it. Resolved paths are remembered so every string is
// evaluated once, and text produced by an interpolation is never scanned again.
#include "interpolation.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <set>
#include <vector>

#include "key_path.h"
#include "specrouter/config/override.h"
#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"
#include "value_text.h"

namespace specrouter::detail {
namespace {

// Keys being resolved at once (nesting plus a chain of references). Each costs a few
// stack frames; 10,000 overflowed the stack. Real configs stay under a few dozen.
constexpr std::size_t kMaxResolutionDepth = 512;

struct Piece {
  bool interpolation = false;
  std::string text;  // literal text, or the body between `${` and `}`
};

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool is_resolver_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; });
}

// Position of the first `separator` outside quotes and braces, or npos.
std::size_t find_top_level(const std::string& text, char separator) {
  char quote = 0;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == separator && depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}

std::string parent_path_text(const std::string& path) {
  const std::size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

std::string format_time(const std::string& format, std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&seconds, &local);
  // strftime returns 0 both for "too small" and for an empty result; grow a few times.
  for (std::size_t size = 64; size <= 4096; size *= 4) {
    std::string buffer(size, '\0');
    const std::size_t written = std::strftime(buffer.data(), buffer.size(), format.c_str(), &local);
    if (written > 0 || format.empty()) return buffer.substr(0, written);
  }
  return "";
}

class Resolver {
 public:
  Resolver(YAML::Node root, const Provenance* provenance, std::chrono::system_clock::time_point now)
      : provenance_(provenance), now_(now) {
    root_.reset(root);
  }

  void resolve_all() { resolve_at({}); }

  // For text evaluated against an already resolved tree.
  void assume_resolved() { resolved_.insert(""); }

  // Evaluates one string as the value of `at`: a single interpolation keeps the type of
  // what it refers to; anything else is a string.
  YAML::Node evaluate(const std::string& text, const KeyPath& at) {
    const std::vector<Piece> pieces = scan(text, at);
    if (pieces.size() == 1 && pieces[0].interpolation) return evaluate_body(pieces[0].text, at, text);
    std::string out;
    for (const Piece& piece : pieces) {
      out += piece.interpolation ? render(evaluate_body(piece.text, at, text), at, text) : piece.text;
    }
    return make_string_node(out);
  }

 private:
  std::string where(const KeyPath& at) const {
    const std::string path = format_key_path(at);
    std::optional<Origin> origin = provenance_ ? provenance_->find(path) : std::nullopt;
    return "key '" + path + "' (" + (origin ? origin->describe() : std::string("built-in default")) + ")";
  }

  [[noreturn]] void fail(const KeyPath& at, const std::string& text, const std::string& why) const {
    throw ConfigError("interpolation '" + text + "' at " + where(at) + ": " + why);
  }

  std::vector<Piece> scan(const std::string& text, const KeyPath& at) const {
    std::vector<Piece> pieces;
    std::string literal;
    for (std::size_t i = 0; i < text.size();) {
      if (text[i] == '\\' && text.compare(i + 1, 2, "${") == 0) {
        literal += "${";
        i += 3;
        continue;
      }
      if (text.compare(i, 2, "${") != 0) {
        literal += text[i++];
        continue;
      }
      int depth = 1;
      char quote = 0;
      std::size_t j = i + 2;
      for (; j < text.size(); ++j) {
        const char c = text[j];
        if (quote) {
          if (c == '\\') {
            ++j;
          } else if (c == quote) {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '{') {
          ++depth;
        } else if (c == '}' && --depth == 0) {
          break;
        }
      }
      if (j >= text.size()) fail(at, text, "'${' at offset " + std::to_string(i) + " is never closed by '}'");
      if (!literal.empty()) pieces.push_back({false, literal});
      literal.clear();
      pieces.push_back({true, text.substr(i + 2, j - i - 2)});
      i = j + 1;
    }
    if (!literal.empty() || pieces.empty()) pieces.push_back({false, literal});
    return pieces;
  }

  // The text a value contributes to a longer string.
  std::string render(const YAML::Node& node, const KeyPath& at, const std::string& text) const {
    if (node.IsNull()) return "null";
    if (node.IsScalar()) return node.Scalar();
    fail(at, text, std::string("cannot insert a ") + (node.IsMap() ? "mapping" : "sequence") + " into a string");
  }

  YAML::Node evaluate_body(const std::string& body, const KeyPath& at, const std::string& text) {
    const std::string content = trim(body);
    if (content.empty()) fail(at, text, "empty interpolation '${}'");
    const std::size_t colon = find_top_level(content, ':');
    if (colon == std::string::npos) return reference(content, at, text);
    const std::string name = trim(content.substr(0, colon));
    if (!is_resolver_name(name)) fail(at, text, "'" + name + "' is not a resolver name");
    const std::string rest = content.substr(colon + 1);
    std::vector<std::string> args;
    if (!trim(rest).empty()) args = split_top_level(rest);
    return call_resolver(name, args, at, text);
  }

  // A resolver argument as text: quotes removed, interpolations inside it resolved.
  std::string argument(const std::string& arg, const KeyPath& at, const std::string& text) {
    if (arg.size() >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg.back() == arg[0]) {
      return parse_value_text(arg, "interpolation '" + text + "' at " + where(at)).Scalar();
    }
    return render(evaluate(arg, at), at, text);
  }

  YAML::Node call_resolver(const std::string& name, const std::vector<std::string>& args, const KeyPath& at,
                           const std::string& text) {
    auto expect_args = [&](std::size_t least, std::size_t most, const char* usage) {
      if (args.size() < least || args.size() > most) fail(at, text, "expected " + std::string(usage));
    };
    if (name == "oc.env") {
      expect_args(1, 2, "${oc.env:VARIABLE} or ${oc.env:VARIABLE,default}");
      const std::string variable = argument(args[0], at, text);
      if (const char* value = std::getenv(variable.c_str())) return make_string_node(value);
      if (args.size() == 1) fail(at, text, "environment variable '" + variable + "' is not set and has no default");
      if (args[1] == "null") return YAML::Node(YAML::NodeType::Null);
      return make_string_node(argument(args[1], at, text));
    }
    if (name == "oc.decode") {
      expect_args(1, 1, "${oc.decode:text}");
      return parse_value_text(argument(args[0], at, text), "interpolation '" + text + "' at " + where(at));
    }
    if (name == "now") {
      expect_args(1, 1, "${now:strftime format}, e.g. ${now:%Y-%m-%d}");
      return make_string_node(format_time(argument(args[0], at, text), now_));
    }
    fail(at, text, "unknown resolver '" + name + "' (known: now, oc.decode, oc.env)");
  }

  YAML::Node reference(const std::string& ref, const KeyPath& at, const std::string& text) {
    KeyPath target;
    std::size_t dots = 0;
    while (dots < ref.size() && ref[dots] == '.') ++dots;
    const std::string context = "interpolation '" + text + "' at " + where(at);
    if (dots > 0) {
      // `.x` is a sibling: relative to the mapping holding the key; each extra dot goes up.
      target = parent_of(at);
      for (std::size_t up = 1; up < dots; ++up) {
        if (target.empty()) fail(at, text, "'" + ref + "' goes above the root");
        target = parent_of(target);
      }
      const KeyPath rest = parse_key_path(ref.substr(dots), context);
      target.insert(target.end(), rest.begin(), rest.end());
    } else {
      target = parse_key_path(ref, context);
    }
    // A key on the way may itself be an interpolation (`a: ${b}` then `${a.x}`).
    for (std::size_t depth = 1; depth < target.size(); ++depth) {
      const KeyPath prefix(target.begin(), target.begin() + static_cast<std::ptrdiff_t>(depth));
      const YAML::Node node = lookup(root_, prefix);
      if (!node.IsDefined()) break;
      if (node.IsScalar()) resolve_at(prefix);
    }
    if (lookup(root_, target).IsDefined()) resolve_at(target);
    const YAML::Node node = lookup(root_, target);
    const std::string target_text = format_key_path(target);
    if (!node.IsDefined()) {
      const KeyPath found = existing_prefix(root_, target);
      std::string hint;
      if (found.size() < target.size()) {
        std::vector<std::string> near = nearest_names(target[found.size()].key, keys_at(root_, found));
        if (!near.empty()) hint = "; did you mean '" + child_path(format_key_path(found), near[0]) + "'?";
      }
      fail(at, text, "key '" + target_text + "' does not exist" + hint);
    }
    if (node.IsScalar() && node.Scalar() == "???" && yaml_type(node) == YamlType::kString && node.Tag() != "!") {
      fail(at, text, "key '" + target_text + "' is '?\?\?' (a value that must be set and was not)");
    }
    return YAML::Clone(node);
  }

  bool is_resolved(std::string path) const {
    while (true) {
      if (resolved_.count(path)) return true;
      if (path.empty()) return false;
      path = parent_path_text(path);
    }
  }

  void resolve_at(const KeyPath& path) {
    const std::string name = format_key_path(path);
    if (is_resolved(name)) return;
    auto in_progress = std::find(stack_.begin(), stack_.end(), name);
    if (in_progress != stack_.end()) {
      std::string chain;
      for (auto it = in_progress; it != stack_.end(); ++it) chain += *it + " -> ";
      throw ConfigError("interpolation cycle " + chain + name + " at " + where(parse_key_path(*in_progress, "cycle")));
    }
    const YAML::Node node = lookup(root_, path);
    if (!node.IsDefined()) return;
    if (stack_.size() >= kMaxResolutionDepth) {
      // stack_[0] is the root when the whole tree is resolved; name the first real key.
      const std::string& first = stack_[1];
      throw ConfigError("interpolation too deep: resolving " + where(parse_key_path(first, "depth")) +
                        " needs more than " + std::to_string(kMaxResolutionDepth) +
                        " keys resolved at once (nested keys plus a chain of ${...} references: " + first + " -> " +
                        stack_[2] + " -> ... -> " + name + ")");
    }
    stack_.push_back(name);
    if (node.IsScalar() && node.Scalar().find("${") != std::string::npos) {
      assign_at(root_, path, evaluate(node.Scalar(), path));
    } else if (node.IsMap()) {
      std::vector<std::string> keys;
      for (const auto& item : node) keys.push_back(item.first.Scalar());
      for (const std::string& key : keys) {
        KeyPath child = path;
        child.push_back({key, std::nullopt});
        resolve_at(child);
      }
    } else if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) {
        KeyPath child = path;
        child.push_back({std::to_string(i), i});
        resolve_at(child);
      }
    }
    stack_.pop_back();
    resolved_.insert(name);
  }

  YAML::Node root_;
  const Provenance* provenance_;
  std::chrono::system_clock::time_point now_;
  std::set<std::string> resolved_;
  std::vector<std::string> stack_;
};

}  // namespace

void resolve_interpolations(YAML::Node root, const Provenance& provenance, std::chrono::system_clock::time_point now) {
  Resolver(root, &provenance, now).resolve_all();
}

YAML::Node resolve_text(const std::string& text, const YAML::Node& root, const std::string& key_path,
                        std::chrono::system_clock::time_point now) {
  Resolver resolver(root, nullptr, now);
  resolver.assume_resolved();
  return resolver.evaluate(text, parse_key_path(key_path, "built-in default"));
}

}  // namespace specrouter::detail
