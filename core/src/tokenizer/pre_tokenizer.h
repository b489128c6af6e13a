#pragma once
// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): cut normalized text into pieces that
// the model encodes independently. Supported types: ByteLevel, Split, Digits, Metaspace, Sequence.

#include <memory>
#include <string>
#include <vector>

#include "json_reader.h"

namespace specrouter::tokenizer_detail {

/// One piece of text on its way to the model.
struct PreToken {
  std::string text;             // valid UTF-8
  bool at_input_start = false;  // begins at offset 0 of the original input (Metaspace "first")
};

/// One pre-tokenization step, applied to every piece independently.
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Replaces `pieces` by their pre-tokenized pieces; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
  /// True when the step rewrites text into GPT-2's byte-level alphabet (ByteLevel), so that
  /// raw bytes can be handed to the model spelled the same way.
  virtual bool maps_to_byte_level() const { return false; }
};

/// Builds the pre-tokenizer described by a non-null "pre_tokenizer" node; CheckpointError
/// naming the field for an unsupported type or a bad parameter.
std::unique_ptr<const PreTokenizer> parse_pre_tokenizer(const JsonNode& node);

}  // namespace specrouter::tokenizer_detail
