#pragma once

/// @file
/// @brief Writing a learned vocabulary as Hugging Face `tokenizer.json` (byte-level BPE,
/// Llama 3 layout) and `tokenizer_config.json`.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "specrouter/bpe/bpe_trainer.h"

namespace specrouter::bpe {

/// The parts of tokenizer.json that are not learned.
struct TokenizerLayout {
  std::string split_pattern;                   ///< the pre-tokenizer's Split regex (the one trained with)
  std::string bos_token = "<|begin_of_text|>"; ///< special token with id = learned vocab size
  std::string eos_token = "<|endoftext|>";     ///< special token with id = learned vocab size + 1
  bool add_bos = true;                         ///< the post-processor puts BOS before every encoded text
  std::size_t model_max_length = 2048;         ///< written to tokenizer_config.json
};

/// The tokenizer.json document: pre-tokenizer Sequence[Split(regex, Isolated),
/// ByteLevel(no regex, no prefix space)], BPE model with `vocab` (tokens in the byte
/// alphabet, by id) and `merges` as pairs, BOS and EOS as special added tokens after the
/// learned ids, a TemplateProcessing post-processor (BOS before `$A` when `add_bos`),
/// and a ByteLevel decoder.
nlohmann::ordered_json tokenizer_json(const BpeVocabulary& vocabulary, const TokenizerLayout& layout);

/// Writes `tokenizer.json` and `tokenizer_config.json` into `dir` (created if needed),
/// each under a temporary name first. Throws specrouter::CheckpointError naming the file
/// when it cannot be written.
void write_tokenizer_files(const BpeVocabulary& vocabulary, const TokenizerLayout& layout,
                           const std::filesystem::path& dir);

}  // namespace specrouter::bpe
