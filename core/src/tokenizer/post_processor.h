#pragma once
// Post-processors of tokenizer.json ("post_processor"): what encode(..., add_special_tokens)
// puts around the text's ids. Supported types: TemplateProcessing (single sequence),
// ByteLevel (changes offsets only, so nothing here), Sequence.

#include <memory>
#include <optional>
#include <vector>

#include "json_reader.h"
#include "specrouter/types.h"

namespace specrouter::tokenizer_detail {

/// Adds special tokens around one encoded sequence.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// Applies the single-sequence template to `ids` (called only when adding special tokens).
  virtual void process(std::vector<TokenId>& ids) const = 0;
  /// The special token the template puts first, before the text (a BOS), if any.
  virtual std::optional<TokenId> leading_special() const { return std::nullopt; }
  /// The special token the template puts last, after the text (an EOS), if any.
  virtual std::optional<TokenId> trailing_special() const { return std::nullopt; }
};

/// Builds the post-processor described by a non-null "post_processor" node; CheckpointError
/// naming the field for an unsupported type or a bad template.
std::unique_ptr<const PostProcessor> parse_post_processor(const JsonNode& node);

}  // namespace specrouter::tokenizer_detail
