#pragma once
// Normalizers of tokenizer.json ("normalizer"): rewrite text before pre-tokenization.
// Supported types: Sequence, Prepend, Replace, NFC, NFD, Strip. Input is valid UTF-8.

#include <memory>
#include <string>

#include "json_reader.h"

namespace specrouter::tokenizer_detail {

/// One normalization step.
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  /// The normalized form of valid UTF-8 `text`.
  virtual std::string normalize(std::string text) const = 0;
};

/// Builds the normalizer described by a non-null "normalizer" node; CheckpointError naming
/// the field for an unsupported type or a bad parameter.
std::unique_ptr<const Normalizer> parse_normalizer(const JsonNode& node);

}  // namespace specrouter::tokenizer_detail
