#include "decoder.h"

#include <utility>

#include "byte_level.h"
#include "onig_regex.h"
#include "text_pattern_json.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

// Byte-level characters back to bytes; like tokenizers, the result is a single token.
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) bytes += byte_level_to_bytes(token);
    tokens.assign(1, std::move(bytes));
  }
};

// Replacement characters become spaces, except in the first token when the encoder
// prepended one (the scheme is not "never"), where they are dropped.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool drop_in_first_token)
      : replacement_(TextPattern::literal(std::move(replacement))), drop_in_first_token_(drop_in_first_token) {}

  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(replacement_, tokens[i], i == 0 && drop_in_first_token_ ? "" : " ");
    }
  }

 private:
  TextPattern replacement_;
  bool drop_in_first_token_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(TextPattern pattern, std::string content, bool is_regex)
      : pattern_(std::move(pattern)), content_(std::move(content)), is_regex_(is_regex) {}

  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      // The regex engine needs valid UTF-8; tokens holding raw bytes are left alone.
      if (is_regex_ && !is_valid_utf8(token)) continue;
      token = replace_all(pattern_, token, content_);
    }
  }

 private:
  TextPattern pattern_;
  std::string content_;
  bool is_regex_;
};

// Runs of "<0xNN>" tokens become the bytes they name.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> result;
    result.reserve(tokens.size());
    std::string pending_bytes;
    for (std::string& token : tokens) {
      if (const int byte = parse_byte_token(token); byte >= 0) {
        pending_bytes.push_back(static_cast<char>(byte));
        continue;
      }
      if (!pending_bytes.empty()) result.push_back(std::exchange(pending_bytes, {}));
      result.push_back(std::move(token));
    }
    if (!pending_bytes.empty()) result.push_back(std::move(pending_bytes));
    tokens = std::move(result);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }
  // The byte a "<0xNN>" token names, or -1.
  static int parse_byte_token(const std::string& token) {
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
    const int high = hex_digit(token[3]);
    const int low = hex_digit(token[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string fused;
    for (const std::string& token : tokens) fused += token;
    tokens.assign(1, std::move(fused));
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}

  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::size_t begin = 0;
      for (std::size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0; ++i) {
        begin += content_.size();
      }
      std::size_t end = token.size();
      for (std::size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                              token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  std::size_t start_;
  std::size_t stop_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<const Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<const Decoder>> steps_;
};

std::size_t non_negative(const JsonNode& node) {
  const std::int64_t value = node.as_int();
  if (value < 0) node.fail("expected a non-negative integer");
  return static_cast<std::size_t>(value);
}

}  // namespace

std::unique_ptr<const Decoder> parse_decoder(const JsonNode& node) {
  const std::string type = node.at("type").as_string();
  if (type == "Sequence") {
    const JsonNode list = node.at("decoders");
    std::vector<std::unique_ptr<const Decoder>> steps;
    for (std::size_t i = 0; i < list.array_size(); ++i) steps.push_back(parse_decoder(list.at(i)));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    std::string scheme = node.string_or("prepend_scheme", "always");
    if (const auto add_prefix_space = node.find("add_prefix_space"); add_prefix_space && !add_prefix_space->as_bool()) {
      scheme = "never";
    }
    return std::make_unique<MetaspaceDecoder>(node.at("replacement").as_char(), scheme != "never");
  }
  if (type == "Replace") {
    const JsonNode pattern = node.at("pattern");
    return std::make_unique<ReplaceDecoder>(parse_text_pattern(pattern), node.at("content").as_string(),
                                            pattern.find("Regex").has_value());
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(node.at("content").as_char(), non_negative(node.at("start")),
                                          non_negative(node.at("stop")));
  }
  node.at("type").fail("unsupported decoder '" + type +
                       "' (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
}

}  // namespace specrouter::tokenizer_detail
