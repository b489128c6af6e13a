#pragma once

/// @file
/// @brief The Tokenizer interface and `load_tokenizer`, which reads Hugging Face
/// `tokenizer.json` files (and SpecRouter's own byte-tokenizer files).
///
/// Usage:
/// @code
///   #include "specrouter/tokenizer/decode_stream.h"
///   #include "specrouter/tokenizer/tokenizer.h"
///
///   std::unique_ptr<specrouter::Tokenizer> tok =
///       specrouter::load_tokenizer("models/llama-3.2-1b");   // folder or tokenizer.json
///   std::vector<specrouter::TokenId> ids = tok->encode("Hello world", /*add_special_tokens=*/true);
///   // ids == {128000, 9906, 1917}: <|begin_of_text|> from the post-processor, then the text
///   std::string text = tok->decode(ids, /*skip_special_tokens=*/true);   // "Hello world"
///
///   // Printing generated tokens one by one: only whole UTF-8 characters come out.
///   specrouter::DecodeStream stream(*tok, /*skip_special_tokens=*/true);
///   stream.prime(ids);                       // the prompt is context, not output
///   for (specrouter::TokenId id : generated) std::cout << stream.step(id) << std::flush;
///   std::cout << stream.flush();
/// @endcode
///
/// Encoding follows the `tokenizers` library step by step (added tokens, normalizer,
/// pre-tokenizer, model, post-processor), so ids are identical to Python's
/// `Tokenizer.encode(text).ids`. Decoding returns raw bytes: where `tokenizers` would turn
/// invalid UTF-8 into U+FFFD, these bytes are returned as they are, which makes decoding
/// the exact inverse of encoding for byte-level tokenizers. See docs/design/tokenizer.md.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

/// Turns text into token ids and back; immutable once built and safe to share between threads.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// Token ids of `text` (any bytes; invalid UTF-8 is encoded byte by byte where the
  /// tokenizer can express bytes). Special tokens written in the text are recognised.
  /// `add_special_tokens` applies the tokenizer's template, e.g. a leading BOS.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special_tokens = true) const = 0;

  /// The bytes `ids` stand for. Ids the tokenizer does not know are skipped, as in
  /// `tokenizers`; special tokens are left out when `skip_special_tokens` is true.
  virtual std::string decode(std::span<const TokenId> ids, bool skip_special_tokens = false) const = 0;

  /// One more than the largest token id, counting added and special tokens.
  virtual std::int64_t vocab_size() const = 0;

  /// The id of a token given in the vocabulary's own spelling (e.g. "Ġworld", "<|eot_id|>").
  virtual std::optional<TokenId> token_to_id(std::string_view token) const = 0;

  /// The vocabulary's spelling of `id`, or std::nullopt for an unknown id.
  virtual std::optional<std::string> id_to_token(TokenId id) const = 0;

  /// True for special tokens (control tokens such as BOS/EOS), which decoding can skip.
  virtual bool is_special(TokenId id) const = 0;

  /// Id of the beginning-of-sequence token, where the tokenizer files name one.
  virtual std::optional<TokenId> bos_id() const = 0;

  /// Id of the end-of-sequence token, where the tokenizer files name one.
  virtual std::optional<TokenId> eos_id() const = 0;
};

/// Loads a tokenizer from a `tokenizer.json` file or from a folder holding one.
///
/// Supported: Hugging Face BPE tokenizers of the GPT-2 / Llama 3 / Qwen2 / SmolLM2 kind
/// (byte-level) and of the Llama 2 / Mistral kind (SentencePiece-style, byte fallback), and
/// SpecRouter's byte tokenizer files (see ByteTokenizer). BOS/EOS come from a
/// `tokenizer_config.json` next to the file when present, else from the post-processor's
/// template and conventional token names. Throws CheckpointError naming the file and the JSON
/// field for a missing file, invalid JSON or an unsupported component type.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

}  // namespace specrouter
