// Key paths and tree edits. yaml-cpp's `Node a = b` shares b while `a = c` rewrites
// what a refers to, so walking uses reset() and only fresh nodes are ever assigned.
#include "key_path.h"

#include <algorithm>

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

bool is_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[noreturn]] void malformed(const std::string& path, const std::string& context, const std::string& why) {
  throw ConfigError(context + ": malformed key path '" + path + "': " + why);
}

// The child of `node` at `segment`, or an undefined node.
YAML::Node child_of(const YAML::Node& node, const PathSegment& segment) {
  if (node.IsSequence()) {
    std::size_t index = 0;
    if (segment.index) {
      index = *segment.index;
    } else if (is_number(segment.key)) {
      index = std::stoul(segment.key);
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    if (index >= node.size()) return YAML::Node(YAML::NodeType::Undefined);
    return node[index];
  }
  if (node.IsMap() && !segment.index) {
    for (const auto& item : node) {
      if (item.first.Scalar() == segment.key) return item.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

}  // namespace

KeyPath parse_key_path(const std::string& path, const std::string& context) {
  KeyPath out;
  if (path.empty()) return out;
  std::size_t i = 0;
  bool expect_key = true;
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) malformed(path, context, "'[' without ']'");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (!is_number(digits)) malformed(path, context, "index '[" + digits + "]' is not a number");
      if (out.empty() && expect_key) malformed(path, context, "an index needs a key before it");
      out.push_back({digits, std::stoul(digits)});
      i = close + 1;
      expect_key = false;
      continue;
    }
    if (path[i] == '.') {
      if (expect_key) malformed(path, context, "empty key");
      ++i;
      expect_key = true;
      if (i == path.size()) malformed(path, context, "ends with '.'");
      continue;
    }
    if (!expect_key) malformed(path, context, "expected '.' or '[' after ']'");
    const std::size_t end = path.find_first_of(".[", i);
    const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.find(']') != std::string::npos) malformed(path, context, "']' without '['");
    out.push_back({key, std::nullopt});
    i = end == std::string::npos ? path.size() : end;
    expect_key = false;
  }
  return out;
}

std::string format_key_path(const KeyPath& path) {
  std::string out;
  for (const PathSegment& segment : path) {
    out = segment.index ? element_path(out, *segment.index) : child_path(out, segment.key);
  }
  return out;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string element_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

KeyPath parent_of(const KeyPath& path) { return path.empty() ? path : KeyPath(path.begin(), path.end() - 1); }

YAML::Node lookup(const YAML::Node& root, const KeyPath& path) {
  YAML::Node current;
  current.reset(root);
  for (const PathSegment& segment : path) {
    YAML::Node next = child_of(current, segment);
    if (!next.IsDefined()) return next;
    current.reset(next);
  }
  return current;
}

KeyPath existing_prefix(const YAML::Node& root, const KeyPath& path) {
  KeyPath prefix;
  YAML::Node current;
  current.reset(root);
  for (const PathSegment& segment : path) {
    YAML::Node next = child_of(current, segment);
    if (!next.IsDefined()) break;
    prefix.push_back(segment);
    current.reset(next);
  }
  return prefix;
}

std::vector<std::string> keys_at(const YAML::Node& root, const KeyPath& path) {
  std::vector<std::string> keys;
  YAML::Node node = lookup(root, path);
  if (node.IsMap()) {
    for (const auto& item : node) keys.push_back(item.first.Scalar());
  }
  return keys;
}

void assign_at(YAML::Node root, const KeyPath& path, const YAML::Node& value) {
  if (path.empty()) {
    root = value;
    return;
  }
  YAML::Node parent = lookup(root, parent_of(path));
  const PathSegment& last = path.back();
  if (parent.IsSequence()) {
    const std::size_t index = last.index ? *last.index : std::stoul(last.key);
    parent[index] = value;
  } else {
    parent[last.key] = value;
  }
}

YAML::Node ensure_mapping(YAML::Node root, const KeyPath& path) {
  YAML::Node current;
  current.reset(root);
  if (!current.IsMap()) current = YAML::Node(YAML::NodeType::Map);
  for (const PathSegment& segment : path) {
    YAML::Node next = child_of(current, segment);
    if (!next.IsMap()) {
      current[segment.key] = YAML::Node(YAML::NodeType::Map);
      next.reset(child_of(current, segment));
    }
    current.reset(next);
  }
  return current;
}

bool erase_at(YAML::Node root, const KeyPath& path) {
  if (path.empty() || !lookup(root, path).IsDefined()) return false;
  YAML::Node parent = lookup(root, parent_of(path));
  const PathSegment& last = path.back();
  if (parent.IsSequence()) {
    const std::size_t index = last.index ? *last.index : std::stoul(last.key);
    YAML::Node kept(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < parent.size(); ++i) {
      if (i != index) kept.push_back(YAML::Clone(parent[i]));
    }
    parent = kept;
    return true;
  }
  return parent.remove(last.key);
}

bool yaml_equal(const YAML::Node& a, const YAML::Node& b) {
  const YamlType type_a = yaml_type(a), type_b = yaml_type(b);
  const bool numbers = (type_a == YamlType::kInt || type_a == YamlType::kFloat) &&
                       (type_b == YamlType::kInt || type_b == YamlType::kFloat);
  if (numbers) {
    if (type_a == YamlType::kInt && type_b == YamlType::kInt) return yaml_to_int(a) == yaml_to_int(b);
    return yaml_to_float(a) == yaml_to_float(b);
  }
  if (type_a != type_b) return false;
  switch (type_a) {
    case YamlType::kUndefined:
    case YamlType::kNull: return true;
    case YamlType::kBool: return yaml_to_bool(a) == yaml_to_bool(b);
    case YamlType::kString: return a.Scalar() == b.Scalar();
    case YamlType::kSequence:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!yaml_equal(a[i], b[i])) return false;
      }
      return true;
    case YamlType::kMapping: {
      if (a.size() != b.size()) return false;
      for (const auto& item : a) {
        YAML::Node other = child_of(b, {item.first.Scalar(), std::nullopt});
        if (!other.IsDefined() || !yaml_equal(item.second, other)) return false;
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace specrouter::detail
