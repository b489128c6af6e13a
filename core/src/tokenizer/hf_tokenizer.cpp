#include "hf_tokenizer.h"

#include <algorithm>

#include "byte_level.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

std::vector<AddedToken> parse_added_tokens(const JsonNode& root) {
  std::vector<AddedToken> tokens;
  const auto list = root.find("added_tokens");
  if (!list) return tokens;
  for (std::size_t i = 0; i < list->array_size(); ++i) {
    const JsonNode item = list->at(i);
    AddedToken token;
    const std::int64_t id = item.at("id").as_int();
    if (id < 0) item.at("id").fail("expected a non-negative token id");
    token.id = static_cast<TokenId>(id);
    token.content = item.at("content").as_string();
    token.single_word = item.bool_or("single_word", false);
    token.lstrip = item.bool_or("lstrip", false);
    token.rstrip = item.bool_or("rstrip", false);
    token.normalized = item.bool_or("normalized", true);
    token.special = item.bool_or("special", false);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

std::unique_ptr<const BpeModel> parse_model(const JsonNode& model) {
  // Old files omit "type"; a BPE model is the one with merges.
  const std::string type = model.string_or("type", model.find("merges") ? "BPE" : "");
  if (type != "BPE") {
    (model.find("type") ? model.at("type") : model)
        .fail("unsupported model '" + type + "' (supported: BPE)");
  }
  return std::make_unique<BpeModel>(model);
}

}  // namespace

HfTokenizer::HfTokenizer(const JsonNode& root) {
  if (const auto node = root.find("normalizer")) normalizer_ = parse_normalizer(*node);
  if (const auto node = root.find("pre_tokenizer")) pre_tokenizer_ = parse_pre_tokenizer(*node);
  model_ = parse_model(root.at("model"));
  if (const auto node = root.find("post_processor")) post_processor_ = parse_post_processor(*node);
  if (const auto node = root.find("decoder")) decoder_ = parse_decoder(*node);
  added_ = std::make_unique<AddedVocabulary>(parse_added_tokens(root), normalizer_.get());
}

std::vector<TokenId> HfTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  for (const TextSegment& segment : added_->split_raw(text)) {
    if (segment.token) {
      ids.push_back(*segment.token);
      continue;
    }
    // tokenizers only accepts valid UTF-8; other bytes bypass normalization and
    // pre-tokenization (see encode_invalid_run), cutting the text around them.
    const std::string_view segment_text = text.substr(segment.begin, segment.end - segment.begin);
    for (const Utf8Run& run : split_utf8_runs(segment_text)) {
      const std::string_view run_text = segment_text.substr(run.begin, run.end - run.begin);
      if (run.valid) {
        encode_valid_run(run_text, segment.begin == 0 && run.begin == 0, ids);
      } else {
        encode_invalid_run(run_text, ids);
      }
    }
  }
  if (add_special_tokens && post_processor_) post_processor_->process(ids);
  return ids;
}

void HfTokenizer::encode_valid_run(std::string_view run, bool at_input_start, std::vector<TokenId>& ids) const {
  const std::string normalized = normalizer_ ? normalizer_->normalize(std::string(run)) : std::string(run);
  std::vector<PreToken> pieces;
  for (const TextSegment& segment : added_->split_normalized(normalized)) {
    if (segment.token) {
      ids.push_back(*segment.token);
      continue;
    }
    pieces.assign(1, PreToken{normalized.substr(segment.begin, segment.end - segment.begin),
                              at_input_start && segment.begin == 0});
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
    for (const PreToken& piece : pieces) model_->tokenize(piece.text, ids);
  }
}

void HfTokenizer::encode_invalid_run(std::string_view bytes, std::vector<TokenId>& ids) const {
  if (pre_tokenizer_ && pre_tokenizer_->maps_to_byte_level()) {
    // Byte-level vocabularies spell every byte; encode the run as one piece.
    std::string mapped;
    append_byte_level(mapped, bytes);
    model_->tokenize(mapped, ids);
  } else {
    model_->tokenize_invalid_bytes(bytes, ids);
  }
}

std::string HfTokenizer::decode(std::span<const TokenId> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const TokenId id : ids) {
    const std::string* token = nullptr;
    if (const AddedToken* added = added_->find(id)) {
      token = &added->content;
    } else {
      token = model_->id_to_token(id);
    }
    if (token == nullptr) continue;  // unknown ids are dropped, as in tokenizers
    if (skip_special_tokens && added_->is_special_content(*token)) continue;
    tokens.push_back(*token);
  }
  if (!decoder_) {
    // tokenizers joins with spaces when the file has no decoder.
    std::string joined;
    for (std::size_t i = 0; i < tokens.size(); ++i) joined += (i == 0 ? "" : " ") + tokens[i];
    return joined;
  }
  decoder_->decode_chain(tokens);
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

std::int64_t HfTokenizer::vocab_size() const {
  return static_cast<std::int64_t>(std::max(model_->max_id(), added_->max_id())) + 1;
}

std::optional<TokenId> HfTokenizer::token_to_id(std::string_view token) const {
  if (const auto id = added_->token_to_id(token)) return id;
  return model_->token_to_id(token);
}

std::optional<std::string> HfTokenizer::id_to_token(TokenId id) const {
  if (const AddedToken* added = added_->find(id)) return added->content;
  if (const std::string* token = model_->id_to_token(id)) return *token;
  return std::nullopt;
}

bool HfTokenizer::is_special(TokenId id) const {
  const AddedToken* added = added_->find(id);
  return added != nullptr && added->special;
}

}  // namespace specrouter::tokenizer_detail
