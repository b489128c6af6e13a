#include "text_pattern_json.h"

#include <stdexcept>

namespace specrouter::tokenizer_detail {

TextPattern parse_text_pattern(const JsonNode& node) {
  if (const auto literal = node.find("String")) return TextPattern::literal(literal->as_string());
  if (const auto regex = node.find("Regex")) {
    try {
      return TextPattern::regex(regex->as_string());
    } catch (const std::invalid_argument& e) {
      regex->fail(e.what());
    }
  }
  node.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

std::string replace_all(const TextPattern& pattern, std::string_view text, std::string_view content) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (const auto& [begin, end] : pattern.find_all(text)) {
    out.append(text.substr(copied, begin - copied));
    out.append(content);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace specrouter::tokenizer_detail
