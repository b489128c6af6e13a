#include "pre_tokenizer.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "byte_level.h"
#include "onig_regex.h"
#include "text_pattern_json.h"

namespace specrouter::tokenizer_detail {
namespace {

// What Split does with the matched delimiters (`tokenizers` SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Span {
  std::size_t begin;
  std::size_t end;
  bool is_match;
};

// Cuts `text` at the matches of `pattern` and arranges the pieces as `tokenizers`'
// NormalizedString::split does; returns the byte ranges of the pieces to keep.
std::vector<std::pair<std::size_t, std::size_t>> split_ranges(const TextPattern& pattern, std::string_view text,
                                                              SplitBehavior behavior, bool invert) {
  std::vector<Span> spans;  // the whole text: matches and the gaps between them
  std::size_t previous = 0;
  for (const auto& [begin, end] : pattern.find_all(text)) {
    if (previous != begin) spans.push_back({previous, begin, false});
    spans.push_back({begin, end, true});
    previous = end;
  }
  if (previous != text.size()) spans.push_back({previous, text.size(), false});
  if (invert) {
    for (Span& span : spans) span.is_match = !span.is_match;
  }

  std::vector<Span> kept;  // is_match now means "remove"
  switch (behavior) {
    case SplitBehavior::kRemoved:
      kept = spans;
      break;
    case SplitBehavior::kIsolated:
      for (const Span& span : spans) kept.push_back({span.begin, span.end, false});
      break;
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const Span& span : spans) {
        if (span.is_match == previous_match && !kept.empty()) {
          kept.back().end = span.end;
        } else {
          kept.push_back({span.begin, span.end, false});
        }
        previous_match = span.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Span& span : spans) {
        if (span.is_match && !previous_match && !kept.empty()) {
          kept.back().end = span.end;
        } else {
          kept.push_back({span.begin, span.end, false});
        }
        previous_match = span.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().begin = it->begin;
        } else {
          kept.push_back({it->begin, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const Span& span : kept) {
    if (!span.is_match && span.end > span.begin) ranges.emplace_back(span.begin, span.end);
  }
  return ranges;
}

// Applies `split` to every piece: a sub-piece keeps at_input_start only if it starts where
// its piece started.
template <class SplitFunction>
void split_pieces(std::vector<PreToken>& pieces, SplitFunction&& split) {
  std::vector<PreToken> result;
  result.reserve(pieces.size());
  for (PreToken& piece : pieces) {
    for (const auto& [begin, end] : split(piece.text)) {
      result.push_back({piece.text.substr(begin, end - begin), piece.at_input_start && begin == 0});
    }
  }
  pieces = std::move(result);
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    split_pieces(pieces, [&](const std::string& text) { return split_ranges(pattern_, text, behavior_, invert_); });
  }

 private:
  TextPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// GPT-2's pre-tokenizer: optional leading space, GPT-2's regex, then the byte-level alphabet.
class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        gpt2_pattern_(use_regex ? std::optional<TextPattern>(TextPattern::regex(kGpt2Pattern)) : std::nullopt) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_) {
      for (PreToken& piece : pieces) {
        // Like NormalizedString::prepend, nothing is put in front of an empty piece.
        if (!piece.text.empty() && piece.text.front() != ' ') piece.text.insert(0, 1, ' ');
      }
    }
    if (gpt2_pattern_) {
      split_pieces(pieces, [&](const std::string& text) {
        return split_ranges(*gpt2_pattern_, text, SplitBehavior::kIsolated, false);
      });
    }
    for (PreToken& piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      append_byte_level(mapped, piece.text);
      piece.text = std::move(mapped);
    }
  }

  bool maps_to_byte_level() const override { return true; }

 private:
  static constexpr const char* kGpt2Pattern =
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
  bool add_prefix_space_;
  std::optional<TextPattern> gpt2_pattern_;
};

// Where Metaspace puts a replacement character in front of a piece.
enum class PrependScheme { kAlways, kFirst, kNever };

// SentencePiece's pre-tokenizer: spaces become the replacement character ("▁"), one is put
// in front (per the scheme), and the text is cut before each replacement character.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split),
        replacement_pattern_(TextPattern::literal(replacement_)), space_pattern_(TextPattern::literal(" ")) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (PreToken& piece : pieces) {
      piece.text = replace_all(space_pattern_, piece.text, replacement_);
      const bool starts_with_replacement = piece.text.compare(0, replacement_.size(), replacement_) == 0;
      const bool prepend = scheme_ == PrependScheme::kAlways ||
                           (scheme_ == PrependScheme::kFirst && piece.at_input_start);
      if (prepend && !starts_with_replacement && !piece.text.empty()) piece.text.insert(0, replacement_);
    }
    if (split_) {
      split_pieces(pieces, [&](const std::string& text) {
        return split_ranges(replacement_pattern_, text, SplitBehavior::kMergedWithNext, false);
      });
    } else {
      std::erase_if(pieces, [](const PreToken& piece) { return piece.text.empty(); });
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  TextPattern replacement_pattern_;
  TextPattern space_pattern_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<const PreTokenizer>> steps) : steps_(std::move(steps)) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

  bool maps_to_byte_level() const override {
    for (const auto& step : steps_) {
      if (step->maps_to_byte_level()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<const PreTokenizer>> steps_;
};

SplitBehavior parse_behavior(const JsonNode& node) {
  const std::string name = node.as_string();
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  node.fail("unknown split behavior '" + name +
            "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

PrependScheme parse_prepend_scheme(const JsonNode& node) {
  // Older files spell the scheme as add_prefix_space (true: always, false: never).
  const auto scheme_node = node.find("prepend_scheme");
  PrependScheme scheme = PrependScheme::kAlways;
  if (scheme_node) {
    const std::string name = scheme_node->as_string();
    if (name == "always") {
      scheme = PrependScheme::kAlways;
    } else if (name == "first") {
      scheme = PrependScheme::kFirst;
    } else if (name == "never") {
      scheme = PrependScheme::kNever;
    } else {
      scheme_node->fail("unknown prepend scheme '" + name + "' (expected always, first or never)");
    }
  }
  if (const auto add_prefix_space = node.find("add_prefix_space"); add_prefix_space && !add_prefix_space->as_bool()) {
    if (scheme_node && scheme != PrependScheme::kNever) {
      add_prefix_space->fail("add_prefix_space=false contradicts prepend_scheme");
    }
    scheme = PrependScheme::kNever;
  }
  return scheme;
}

}  // namespace

std::unique_ptr<const PreTokenizer> parse_pre_tokenizer(const JsonNode& node) {
  const std::string type = node.at("type").as_string();
  if (type == "Sequence") {
    const JsonNode list = node.at("pretokenizers");
    std::vector<std::unique_ptr<const PreTokenizer>> steps;
    for (std::size_t i = 0; i < list.array_size(); ++i) steps.push_back(parse_pre_tokenizer(list.at(i)));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(node.bool_or("add_prefix_space", true),
                                                   node.bool_or("use_regex", true));
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(parse_text_pattern(node.at("pattern")),
                                               parse_behavior(node.at("behavior")), node.bool_or("invert", false));
  }
  if (type == "Digits") {
    // Each numeric character (Rust char::is_numeric: \p{N}) is a match; runs of them stay
    // together unless individual_digits.
    return std::make_unique<SplitPreTokenizer>(
        TextPattern::regex(R"(\p{N})"),
        node.bool_or("individual_digits", false) ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false);
  }
  if (type == "Metaspace") {
    return std::make_unique<MetaspacePreTokenizer>(node.at("replacement").as_char(), parse_prepend_scheme(node),
                                                   node.bool_or("split", true));
  }
  node.at("type").fail("unsupported pre-tokenizer '" + type + "' (supported: ByteLevel, Split, Digits, Metaspace, Sequence)");
}

}  // namespace specrouter::tokenizer_detail
