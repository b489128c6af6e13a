#include "post_processor.h"

#include <map>
#include <string>

namespace specrouter::tokenizer_detail {
namespace {

// The "single" template: special tokens (each possibly several ids) around sequence $A.
class TemplateProcessor final : public PostProcessor {
 public:
  // One template piece: the ids of a special token, or (empty) the text's ids.
  struct Piece {
    bool is_sequence = false;
    std::vector<TokenId> special_ids;
  };

  explicit TemplateProcessor(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}

  void process(std::vector<TokenId>& ids) const override {
    std::vector<TokenId> result;
    result.reserve(ids.size() + pieces_.size());
    for (const Piece& piece : pieces_) {
      if (piece.is_sequence) {
        result.insert(result.end(), ids.begin(), ids.end());
      } else {
        result.insert(result.end(), piece.special_ids.begin(), piece.special_ids.end());
      }
    }
    ids = std::move(result);
  }

  std::optional<TokenId> leading_special() const override {
    if (pieces_.size() < 2 || pieces_.front().is_sequence || pieces_.front().special_ids.size() != 1) {
      return std::nullopt;
    }
    return pieces_.front().special_ids.front();
  }

  std::optional<TokenId> trailing_special() const override {
    if (pieces_.size() < 2 || pieces_.back().is_sequence || pieces_.back().special_ids.size() != 1) {
      return std::nullopt;
    }
    return pieces_.back().special_ids.front();
  }

 private:
  std::vector<Piece> pieces_;
};

class NoOpProcessor final : public PostProcessor {
 public:
  void process(std::vector<TokenId>&) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<const PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<TokenId>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }
  std::optional<TokenId> leading_special() const override {
    for (const auto& step : steps_) {
      if (auto id = step->leading_special()) return id;
    }
    return std::nullopt;
  }
  std::optional<TokenId> trailing_special() const override {
    for (const auto& step : steps_) {
      if (auto id = step->trailing_special()) return id;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<const PostProcessor>> steps_;
};

std::unique_ptr<const PostProcessor> parse_template(const JsonNode& node) {
  // "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, ...}
  std::map<std::string, std::vector<TokenId>> special_ids;
  if (const auto specials = node.find("special_tokens")) {
    if (!specials->is_object()) specials->fail("expected an object");
    for (const auto& [name, value] : specials->value().items()) {
      const JsonNode ids = specials->at(name).at("ids");
      std::vector<TokenId>& list = special_ids[name];
      for (std::size_t i = 0; i < ids.array_size(); ++i) list.push_back(static_cast<TokenId>(ids.at(i).as_int()));
    }
  }
  const JsonNode single = node.at("single");
  std::vector<TemplateProcessor::Piece> pieces;
  for (std::size_t i = 0; i < single.array_size(); ++i) {
    const JsonNode item = single.at(i);
    if (const auto special = item.find("SpecialToken")) {
      const std::string name = special->at("id").as_string();
      const auto it = special_ids.find(name);
      if (it == special_ids.end()) special->at("id").fail("special token '" + name + "' is not in special_tokens");
      pieces.push_back({false, it->second});
    } else if (const auto sequence = item.find("Sequence")) {
      const std::string which = sequence->at("id").as_string();
      if (which != "A") sequence->at("id").fail("a single-sequence template can only hold sequence A, got " + which);
      pieces.push_back({true, {}});
    } else {
      item.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    }
  }
  return std::make_unique<TemplateProcessor>(std::move(pieces));
}

}  // namespace

std::unique_ptr<const PostProcessor> parse_post_processor(const JsonNode& node) {
  const std::string type = node.at("type").as_string();
  if (type == "TemplateProcessing") return parse_template(node);
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();
  if (type == "Sequence") {
    const JsonNode list = node.at("processors");
    std::vector<std::unique_ptr<const PostProcessor>> steps;
    for (std::size_t i = 0; i < list.array_size(); ++i) steps.push_back(parse_post_processor(list.at(i)));
    return std::make_unique<SequenceProcessor>(std::move(steps));
  }
  node.at("type").fail("unsupported post-processor '" + type +
                       "' (supported: TemplateProcessing, ByteLevel, Sequence)");
}

}  // namespace specrouter::tokenizer_detail
