#pragma once

/// @file
/// @brief The pre-tokenizer's split: a regex (Oniguruma, the engine `tokenizers` uses)
/// cuts text into pieces that BPE merges never cross.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace specrouter::bpe {

/// Llama 3's split pattern (also Qwen2's but for digits): contractions, letter runs with
/// one leading non-letter, digit groups of 1-3, punctuation runs, newlines, whitespace.
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// GPT-2's split pattern.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// Pattern for a name (`llama3`, `gpt2`); any other string is taken as a regex itself.
std::string split_pattern(std::string_view name_or_regex);

/// Cuts UTF-8 text into the pieces of a split regex, the way `tokenizers`' `Split` with
/// behaviour `Isolated` does (text between matches becomes pieces too).
class PieceSplitter {
 public:
  /// Compiles `pattern`; throws specrouter::ConfigError naming it when it is invalid.
  explicit PieceSplitter(std::string_view pattern);
  ~PieceSplitter();
  PieceSplitter(const PieceSplitter&) = delete;
  PieceSplitter& operator=(const PieceSplitter&) = delete;

  /// Adds every piece of `text` to `counts` (piece bytes -> occurrences).
  void count_pieces(std::string_view text, std::unordered_map<std::string, std::uint64_t>& counts) const;

 private:
  struct Regex;
  std::unique_ptr<Regex> regex_;
};

}  // namespace specrouter::bpe
