// Values given as text (overrides, resolver arguments).
#include "value_text.h"

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

// `{a:1}` is a mapping with key "a:1" and no value in YAML, which is never what was meant.
void reject_glued_flow_keys(const YAML::Node& node, const std::string& context) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      if (item.second.IsNull() && item.first.Scalar().find(':') != std::string::npos) {
        throw ConfigError(context + ": in a flow mapping write 'key: value' with a space after ':' (found '" +
                          item.first.Scalar() + "')");
      }
      reject_glued_flow_keys(item.second, context);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) reject_glued_flow_keys(item, context);
  }
}

}  // namespace

YAML::Node parse_value_text(const std::string& text, const std::string& context) {
  if (text.empty()) return make_string_node("");
  const char first = text[0];
  if (first != '[' && first != '{' && first != '\'' && first != '"') return make_plain_node(text);
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const std::string expected = first == '['   ? "a flow list like [1, 2]"
                                 : first == '{' ? "a flow mapping like {a: 1, b: 2}"
                                                : "a quoted string";
    throw ConfigError(context + ": value '" + text + "' is not valid YAML (expected " + expected + "): " + e.msg);
  }
  if ((first == '\'' || first == '"') && !node.IsScalar()) {
    throw ConfigError(context + ": value '" + text + "' is not a single quoted string");
  }
  reject_glued_flow_keys(node, context);
  return node;
}

}  // namespace specrouter::detail
