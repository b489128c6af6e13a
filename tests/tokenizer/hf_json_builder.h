#pragma once
// Building small tokenizer.json documents by hand in tests, and reading results back as
// token strings so that expectations read like the worked examples they are.

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/tokenizer/tokenizer.h"
#include "tokenizer_test_support.h"

namespace specrouter::test {

/// GPT-2's byte-to-unicode spelling of raw bytes, written out independently of the library:
/// printable ASCII and Latin-1 bytes stand for themselves, the other 68 bytes become U+0100...
inline std::string byte_level(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    unsigned int cp = byte;
    if (!((byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE)) {
      unsigned int shifted = 0;  // rank of this byte among the non-printable ones
      for (unsigned int b = 0; b < byte; ++b) {
        if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)) ++shifted;
      }
      cp = 256 + shifted;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

/// A vocabulary holding the 256 byte-level characters, byte b at id b, followed by `extra`
/// tokens (already spelled as in the vocabulary) at ids 256, 257, ...
inline nlohmann::json byte_level_vocab(const std::vector<std::string>& extra = {}) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level(std::string(1, static_cast<char>(b)))] = b;
  for (const std::string& token : extra) {
    if (!vocab.contains(token)) vocab[token] = static_cast<int>(vocab.size());
  }
  return vocab;
}

/// A BPE "model" object with the given vocabulary and merges ("left right" strings).
inline nlohmann::json bpe_model(nlohmann::json vocab, const std::vector<std::string>& merges = {}) {
  return {{"type", "BPE"},          {"dropout", nullptr},       {"unk_token", nullptr},
          {"fuse_unk", false},      {"byte_fallback", false},   {"ignore_merges", false},
          {"vocab", std::move(vocab)}, {"merges", merges}};
}

/// One "added_tokens" entry.
inline nlohmann::json added_token(int id, const std::string& content, bool special = true) {
  return {{"id", id},         {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},  {"normalized", !special}, {"special", special}};
}

/// A tokenizer.json with only a model; callers fill in the other components.
inline nlohmann::json tokenizer_json(nlohmann::json model) {
  return {{"version", "1.0"},       {"truncation", nullptr},   {"padding", nullptr},
          {"added_tokens", nlohmann::json::array()},           {"normalizer", nullptr},
          {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr},
          {"model", std::move(model)}};
}

/// Writes `document` as tokenizer.json in a temporary folder and loads it.
inline std::unique_ptr<Tokenizer> load_json(const nlohmann::json& document) {
  TempDir dir;
  return load_tokenizer(dir.write("tokenizer.json", document.dump()));
}

/// The vocabulary spelling of each id.
inline std::vector<std::string> tokens_of(const Tokenizer& tokenizer, const std::vector<TokenId>& ids) {
  std::vector<std::string> tokens;
  for (const TokenId id : ids) tokens.push_back(tokenizer.id_to_token(id).value_or("<no token " + std::to_string(id) + ">"));
  return tokens;
}

/// The byte-level spelling of each raw piece.
inline std::vector<std::string> byte_level_all(const std::vector<std::string>& raw_pieces) {
  std::vector<std::string> out;
  for (const std::string& piece : raw_pieces) out.push_back(byte_level(piece));
  return out;
}

}  // namespace specrouter::test
