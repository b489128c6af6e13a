#include "normalizer.h"

#include <stdexcept>
#include <vector>

#include "onig_regex.h"
#include "text_pattern_json.h"
#include "unicode_normalization.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<const Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& step : steps_) text = step->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<const Normalizer>> steps_;
};

// Puts `prefix` in front of non-empty text (SentencePiece's "▁").
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override { return text.empty() ? text : prefix_ + text; }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string text) const override { return replace_all(pattern_, text, content_); }

 private:
  TextPattern pattern_;
  std::string content_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(bool compose) : compose_(compose) {}
  std::string normalize(std::string text) const override { return compose_ ? to_nfc(text) : to_nfd(text); }

 private:
  bool compose_;
};

// Removes Unicode whitespace from the left and/or right end.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string normalize(std::string text) const override {
    std::size_t begin = 0;
    std::size_t end = text.size();
    if (left_) {
      while (begin < end) {
        const Utf8Char c = decode_utf8(text, begin);
        if (!is_unicode_whitespace(c.code_point)) break;
        begin += c.length;
      }
    }
    if (right_) {
      // Walk forward, remembering where the trailing whitespace run starts.
      std::size_t run_start = end;
      for (std::size_t pos = begin; pos < end;) {
        const Utf8Char c = decode_utf8(text, pos);
        if (is_unicode_whitespace(c.code_point)) {
          if (run_start == end) run_start = pos;
        } else {
          run_start = end;
        }
        pos += c.length;
      }
      end = run_start;
    }
    return text.substr(begin, end - begin);
  }

 private:
  bool left_;
  bool right_;
};

}  // namespace

std::unique_ptr<const Normalizer> parse_normalizer(const JsonNode& node) {
  const std::string type = node.at("type").as_string();
  if (type == "Sequence") {
    const JsonNode list = node.at("normalizers");
    std::vector<std::unique_ptr<const Normalizer>> steps;
    for (std::size_t i = 0; i < list.array_size(); ++i) steps.push_back(parse_normalizer(list.at(i)));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(node.at("prepend").as_string());
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(parse_text_pattern(node.at("pattern")), node.at("content").as_string());
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(true);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(false);
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(node.bool_or("strip_left", true), node.bool_or("strip_right", true));
  }
  node.at("type").fail("unsupported normalizer '" + type +
                       "' (supported: Sequence, Prepend, Replace, NFC, NFD, Strip)");
}

}  // namespace specrouter::tokenizer_detail
