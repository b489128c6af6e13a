#pragma once

/// @file
/// @brief DecodeStream: turns generated token ids into text one token at a time, never
/// printing half of a UTF-8 character.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

class Tokenizer;

/// Incremental decoder for printing generation token by token.
///
/// A token can end in the middle of a UTF-8 character (byte-level BPE, byte fallback), and
/// decoders treat the first token of a text specially (SentencePiece drops its leading
/// space). DecodeStream decodes a short window of recent tokens, returns only the bytes that
/// are new and end on a complete character, and holds back a trailing incomplete character
/// until a later token completes it. Invalid bytes that can never complete are returned as
/// they are, so the concatenation of everything `step` and `flush` return equals
/// `decode(all ids)` after the primed context.
///
/// Not thread-safe; the Tokenizer must outlive the stream.
class DecodeStream {
 public:
  /// A stream over `tokenizer`; `skip_special_tokens` as in Tokenizer::decode.
  explicit DecodeStream(const Tokenizer& tokenizer, bool skip_special_tokens = false);

  /// Sets the tokens before the first `step` (typically the prompt): they give context, for
  /// example so that a first generated "▁world" prints " world", and are never returned.
  /// Clears anything held back.
  void prime(std::span<const TokenId> context);

  /// Adds one token; returns the text it completes (often empty while a character is split).
  std::string step(TokenId id);

  /// Returns the bytes still held back (an incomplete character at the end) and forgets them.
  std::string flush();

 private:
  void slide_window();

  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  std::vector<TokenId> window_;    // recent ids: context followed by ids not yet fully printed
  std::size_t context_size_ = 0;   // leading ids of window_ whose text is already printed
  std::string window_text_;        // decode(window_) as of the last call
  std::size_t printed_ = 0;        // bytes of window_text_ already returned (or context)
};

}  // namespace specrouter
