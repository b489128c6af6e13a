#pragma once
// Reading the {"String": ...} / {"Regex": ...} patterns of Split, Replace and their decoders.

#include <string>
#include <string_view>

#include "json_reader.h"
#include "onig_regex.h"

namespace specrouter::tokenizer_detail {

/// The pattern a node holds; CheckpointError naming the field for a bad or unknown pattern.
TextPattern parse_text_pattern(const JsonNode& node);

/// `text` with every match of `pattern` replaced by `content`.
std::string replace_all(const TextPattern& pattern, std::string_view text, std::string_view content);

}  // namespace specrouter::tokenizer_detail
