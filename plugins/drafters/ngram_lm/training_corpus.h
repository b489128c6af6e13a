#pragma once

// Reading the ngram_lm drafter's training data: a text file tokenized with the pool's
// tokenizer, or a file of token ids. Private to the plugin.

#include <cstdint>
#include <string>
#include <vector>

#include "specrouter/types.h"

namespace specrouter::ngram_lm {

/// Where the training tokens come from (the drafter's parameters of the same names).
struct CorpusSource {
  std::string training_file;  ///< text (tokenizer set) or whitespace-separated token ids
  std::string tokenizer;      ///< tokenizer.json or a folder holding one; empty: ids file
  std::int64_t vocab_size = 0;  ///< 0: the tokenizer's; else >= the tokenizer's, required for ids
};

/// The training tokens and the vocabulary size the distributions cover.
struct TrainingCorpus {
  std::vector<TokenId> tokens;
  std::int64_t vocab_size = 0;
};

/// Reads and tokenizes the training data. The text is encoded as one stream, without
/// special tokens (no BOS): the model learns the text, not the prompt template.
/// Throws ConfigError starting with `owner` and naming the parameter and the file for a
/// missing or unreadable file, a bad tokenizer, a malformed id, an id outside the
/// vocabulary, a missing or too small vocab_size, or a corpus without tokens.
TrainingCorpus load_training_corpus(const CorpusSource& source, const std::string& owner);

}  // namespace specrouter::ngram_lm
