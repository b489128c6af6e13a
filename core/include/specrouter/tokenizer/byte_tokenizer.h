#pragma once

/// @file
/// @brief ByteTokenizer: one token per byte plus a few special tokens, for tiny test models.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {

/// What a ByteTokenizer knows besides the 256 byte tokens.
struct ByteTokenizerOptions {
  /// Special tokens; the i-th gets id 256 + i and is recognised in encoded text.
  std::vector<std::string> special_tokens;
  /// Which special token is BOS (empty: none); must be one of `special_tokens`.
  std::string bos_token;
  /// Which special token is EOS (empty: none); must be one of `special_tokens`.
  std::string eos_token;
  /// Whether `encode(text, add_special_tokens=true)` puts BOS first.
  bool add_bos = true;
};

/// Byte `b` is token `b`; special token i is token 256 + i.
///
/// Decoding is the exact inverse of encoding on any byte string. Loadable from a JSON file
/// (named `tokenizer.json` inside a model folder, or any name):
/// @code{.json}
///   {"specrouter_tokenizer": "bytes",
///    "special_tokens": ["<bos>", "<eos>", "<pad>"],
///    "bos_token": "<bos>", "eos_token": "<eos>", "add_bos": true}
/// @endcode
class ByteTokenizer final : public Tokenizer {
 public:
  /// Number of byte tokens; special tokens follow them.
  static constexpr TokenId kByteTokens = 256;

  /// Builds the tokenizer; throws ConfigError when BOS/EOS are not among the special tokens
  /// or a special token is empty or repeated.
  explicit ByteTokenizer(ByteTokenizerOptions options);
  ~ByteTokenizer() override;

  std::vector<TokenId> encode(std::string_view text, bool add_special_tokens = true) const override;
  std::string decode(std::span<const TokenId> ids, bool skip_special_tokens = false) const override;
  std::int64_t vocab_size() const override;
  /// Byte tokens are spelled `<0xNN>` (upper-case hex); special tokens by their content.
  std::optional<TokenId> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(TokenId id) const override;
  bool is_special(TokenId id) const override;
  std::optional<TokenId> bos_id() const override;
  std::optional<TokenId> eos_id() const override;

  /// The options this tokenizer was built with.
  const ByteTokenizerOptions& options() const { return options_; }

 private:
  struct Matcher;
  ByteTokenizerOptions options_;
  std::optional<TokenId> bos_id_;
  std::optional<TokenId> eos_id_;
  std::unique_ptr<Matcher> matcher_;  // finds special tokens in text
};

}  // namespace specrouter
