#include "specrouter/tokenizer/byte_tokenizer.h"

#include <cstdio>
#include <unordered_set>

#include "literal_matcher.h"
#include "specrouter/error.h"

namespace specrouter {

struct ByteTokenizer::Matcher {
  tokenizer_detail::LiteralMatcher special_tokens;  // values: index into options_.special_tokens
};

ByteTokenizer::ByteTokenizer(ByteTokenizerOptions options)
    : options_(std::move(options)), matcher_(std::make_unique<Matcher>()) {
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < options_.special_tokens.size(); ++i) {
    const std::string& token = options_.special_tokens[i];
    if (token.empty()) throw ConfigError("byte tokenizer: special_tokens[" + std::to_string(i) + "] is empty");
    if (!seen.insert(token).second) {
      throw ConfigError("byte tokenizer: special token '" + token + "' is listed twice");
    }
    matcher_->special_tokens.add(token, i);
  }
  const auto resolve = [this](const std::string& token, const char* field) -> std::optional<TokenId> {
    if (token.empty()) return std::nullopt;
    const auto id = token_to_id(token);
    if (!id || *id < kByteTokens) {
      throw ConfigError(std::string("byte tokenizer: ") + field + " '" + token + "' is not one of special_tokens");
    }
    return id;
  };
  bos_id_ = resolve(options_.bos_token, "bos_token");
  eos_id_ = resolve(options_.eos_token, "eos_token");
}

ByteTokenizer::~ByteTokenizer() = default;

std::vector<TokenId> ByteTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() + 1);
  if (add_special_tokens && options_.add_bos && bos_id_) ids.push_back(*bos_id_);
  std::size_t pos = 0;
  const auto append_bytes = [&](std::size_t end) {
    for (; pos < end; ++pos) ids.push_back(static_cast<TokenId>(static_cast<unsigned char>(text[pos])));
  };
  for (const auto& match : matcher_->special_tokens.find_all(text)) {
    append_bytes(match.begin);
    ids.push_back(kByteTokens + static_cast<TokenId>(match.value));
    pos = match.end;
  }
  append_bytes(text.size());
  return ids;
}

std::string ByteTokenizer::decode(std::span<const TokenId> ids, bool skip_special_tokens) const {
  std::string text;
  text.reserve(ids.size());
  for (const TokenId id : ids) {
    if (id >= 0 && id < kByteTokens) {
      text.push_back(static_cast<char>(id));
    } else if (id >= kByteTokens && id < vocab_size() && !skip_special_tokens) {
      text += options_.special_tokens[static_cast<std::size_t>(id - kByteTokens)];
    }
    // Unknown ids are dropped, as HfTokenizer (and tokenizers) do.
  }
  return text;
}

std::int64_t ByteTokenizer::vocab_size() const {
  return kByteTokens + static_cast<std::int64_t>(options_.special_tokens.size());
}

std::optional<TokenId> ByteTokenizer::token_to_id(std::string_view token) const {
  for (std::size_t i = 0; i < options_.special_tokens.size(); ++i) {
    if (options_.special_tokens[i] == token) return kByteTokens + static_cast<TokenId>(i);
  }
  // "<0xNN>" with upper-case hex digits, the spelling id_to_token gives.
  const auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  if (token.size() == 6 && token.substr(0, 3) == "<0x" && token[5] == '>' && hex(token[3]) >= 0 && hex(token[4]) >= 0) {
    return static_cast<TokenId>(hex(token[3]) * 16 + hex(token[4]));
  }
  return std::nullopt;
}

std::optional<std::string> ByteTokenizer::id_to_token(TokenId id) const {
  if (id >= 0 && id < kByteTokens) {
    char buffer[8];
    std::snprintf(buffer, sizeof(buffer), "<0x%02X>", static_cast<unsigned int>(id));
    return std::string(buffer);
  }
  if (id >= kByteTokens && id < vocab_size()) return options_.special_tokens[static_cast<std::size_t>(id - kByteTokens)];
  return std::nullopt;
}

bool ByteTokenizer::is_special(TokenId id) const { return id >= kByteTokens && id < vocab_size(); }

std::optional<TokenId> ByteTokenizer::bos_id() const { return bos_id_; }

std::optional<TokenId> ByteTokenizer::eos_id() const { return eos_id_; }

}  // namespace specrouter
