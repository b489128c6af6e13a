// Reading the training file: checks first (does it exist, is it a file, can it be read),
// then either the tokenizer or the id parser, then the ids against the vocabulary.

#include "training_corpus.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::ngram_lm {
namespace {

// The whole file as bytes. File checks go through stat(): libtorch exports its own copies
// of some std::filesystem functions (see core/src/tokenizer/load_tokenizer.cpp).
std::string read_file(const std::string& path, const std::string& owner) {
  const std::string what = owner + ": training_file '" + path + "'";
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw ConfigError(what + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw ConfigError(what + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(what + " cannot be opened: " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw ConfigError(what + " could not be read to the end");
  return std::move(bytes).str();
}

// Whitespace-separated decimal ids; a malformed one is reported with its line.
std::vector<TokenId> parse_ids(const std::string& text, const std::string& path, const std::string& owner) {
  std::vector<TokenId> ids;
  std::size_t line = 1;
  for (std::size_t pos = 0; pos < text.size();) {
    const char c = text[pos];
    if (c == '\n') ++line;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n' && text[end] != '\r') ++end;
    std::int64_t value = -1;
    const auto [stop, error] = std::from_chars(text.data() + pos, text.data() + end, value);
    if (error != std::errc() || stop != text.data() + end || value < 0 || value > INT32_MAX) {
      throw ConfigError(owner + ": training_file '" + path + "' line " + std::to_string(line) + ": '" +
                        text.substr(pos, std::min<std::size_t>(end - pos, 40)) +
                        "' is not a token id (expected a non-negative integer; set `tokenizer` for a text file)");
    }
    ids.push_back(static_cast<TokenId>(value));
    pos = end;
  }
  return ids;
}

}  // namespace

TrainingCorpus load_training_corpus(const CorpusSource& source, const std::string& owner) {
  if (source.training_file.empty()) throw ConfigError(owner + ": training_file is empty (a path is required)");
  if (source.vocab_size < 0) {
    throw ConfigError(owner + ": vocab_size must be >= 0 (0: the tokenizer's), got " + std::to_string(source.vocab_size));
  }
  TrainingCorpus corpus;
  if (source.tokenizer.empty()) {
    if (source.vocab_size == 0) {
      throw ConfigError(owner + ": vocab_size must be set (> 0) when tokenizer is empty, since training_file '" +
                        source.training_file + "' then holds token ids");
    }
    corpus.vocab_size = source.vocab_size;
    corpus.tokens = parse_ids(read_file(source.training_file, owner), source.training_file, owner);
  } else {
    std::unique_ptr<Tokenizer> tokenizer;
    try {
      tokenizer = load_tokenizer(source.tokenizer);
    } catch (const Error& error) {
      throw ConfigError(owner + ": tokenizer '" + source.tokenizer + "': " + error.what());
    }
    corpus.vocab_size = tokenizer->vocab_size();
    if (source.vocab_size > 0) {
      // A model's embedding table may be padded past the tokenizer's ids (Qwen2: 151936 vs
      // 151665); the drafter's rows must match the model's width.
      if (source.vocab_size < corpus.vocab_size) {
        throw ConfigError(owner + ": vocab_size " + std::to_string(source.vocab_size) + " is smaller than the " +
                          std::to_string(corpus.vocab_size) + " ids of tokenizer '" + source.tokenizer + "'");
      }
      corpus.vocab_size = source.vocab_size;
    }
    corpus.tokens = tokenizer->encode(read_file(source.training_file, owner), /*add_special_tokens=*/false);
  }

  if (corpus.tokens.empty()) throw ConfigError(owner + ": training_file '" + source.training_file + "' holds no tokens");
  for (std::size_t i = 0; i < corpus.tokens.size(); ++i) {
    if (corpus.tokens[i] >= corpus.vocab_size) {
      throw ConfigError(owner + ": training_file '" + source.training_file + "' token " + std::to_string(i) + " is " +
                        std::to_string(corpus.tokens[i]) + ", outside the vocabulary [0, " +
                        std::to_string(corpus.vocab_size) + ") (vocab_size)");
    }
  }
  return corpus;
}

}  // namespace specrouter::ngram_lm
