#pragma once

/// @file
/// @brief Training the zoo's tokenizer on a corpus's train split, writing it, and checking
/// it with the runtime's own loader on the held-out split.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"

namespace specrouter::bpe {

/// The `tokenizer` block of a corpus config.
struct TokenizerSpec {
  std::filesystem::path output_dir;              ///< gets tokenizer.json, tokenizer_config.json, tokenizer_report.json
  std::size_t vocab_size = 4096;                 ///< every id: 256 bytes + merges + BOS + EOS
  std::uint64_t min_pair_count = 2;              ///< stop merging below this pair count
  std::string pre_tokenizer = "llama3";          ///< `llama3`, `gpt2` or a regex
  std::string bos_token = "<|begin_of_text|>";   ///< id vocab_size - 2 (fewer when the merges run out first)
  std::string eos_token = "<|endoftext|>";       ///< the id after BOS's
  bool add_bos = true;                           ///< encode(text, true) starts with BOS
};

/// Reads the tokenizer config at `key_path` (usually `corpus.tokenizer`); throws
/// ConfigError naming the key when one is missing, unknown or out of range.
TokenizerSpec parse_tokenizer_spec(const ComposedConfig& config, const std::string& key_path);

/// A text file of one domain.
struct DomainText {
  std::string domain;          ///< e.g. `prose`
  std::filesystem::path file;  ///< UTF-8 text
};

/// Compression and round trip of the trained tokenizer on one domain's held-out text.
struct HeldoutCheck {
  std::string domain;          ///< the domain
  std::size_t bytes = 0;       ///< held-out text size
  std::size_t tokens = 0;      ///< tokens of the whole text, without special tokens
  bool round_trip = false;     ///< decode(encode(text)) == text, with the runtime's loader
  /// Held-out bytes per token (compression); 0 when there are no tokens.
  double bytes_per_token() const { return tokens == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(tokens); }
};

/// What train_tokenizer() did.
struct TokenizerReport {
  std::size_t train_bytes = 0;        ///< bytes of text trained on
  std::size_t distinct_pieces = 0;    ///< distinct pre-tokenizer pieces
  std::size_t vocab_size = 0;         ///< ids written, special tokens included
  std::size_t merges = 0;             ///< merges written
  double counting_seconds = 0.0;      ///< reading and splitting the text
  double merging_seconds = 0.0;       ///< learning the merges
  std::vector<HeldoutCheck> heldout;  ///< one per held-out file
};

/// Trains on `train` (all files together), writes the files into `spec.output_dir`,
/// loads them back with specrouter::load_tokenizer and encodes each `heldout` file; also
/// writes tokenizer_report.json holding the report and `fingerprint`. Throws
/// CheckpointError when a held-out text does not round-trip exactly.
TokenizerReport train_tokenizer(const TokenizerSpec& spec, const std::vector<DomainText>& train,
                                const std::vector<DomainText>& heldout, const std::string& fingerprint,
                                std::ostream* log);

/// A text form of everything in `spec` that changes the tokenizer (not output_dir).
std::string canonical_text(const TokenizerSpec& spec);

/// The fingerprint recorded in `<output_dir>/tokenizer_report.json`, or empty.
std::string recorded_tokenizer_fingerprint(const std::filesystem::path& output_dir);

}  // namespace specrouter::bpe
