#pragma once
// Decoders of tokenizer.json ("decoder"): turn token strings back into text. Supported
// types: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence.
//
// Tokens are byte strings here. Where `tokenizers` replaces invalid UTF-8 by U+FFFD
// (ByteLevel, ByteFallback), the bytes are kept as they are, so a byte-level decode is the
// exact inverse of encoding and a streaming decoder can wait for a character to complete.

#include <memory>
#include <string>
#include <vector>

#include "json_reader.h"

namespace specrouter::tokenizer_detail {

/// One decoding step over the whole list of tokens (`tokenizers`' decode_chain).
class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Rewrites `tokens` in place; the decoded text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

/// Builds the decoder described by a non-null "decoder" node; CheckpointError naming the
/// field for an unsupported type or a bad parameter.
std::unique_ptr<const Decoder> parse_decoder(const JsonNode& node);

}  // namespace specrouter::tokenizer_detail
