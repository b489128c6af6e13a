#pragma once
// A Hugging Face tokenizer.json with a BPE model, run through the same pipeline as
// `tokenizers`: added tokens, normalizer, pre-tokenizer, BPE, post-processor; decoder back.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "added_vocabulary.h"
#include "bpe_model.h"
#include "decoder.h"
#include "json_reader.h"
#include "normalizer.h"
#include "post_processor.h"
#include "pre_tokenizer.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::tokenizer_detail {

/// The parsed components of a tokenizer.json.
class HfTokenizer final : public Tokenizer {
 public:
  /// Builds every component from the parsed file; CheckpointError naming the field on error.
  explicit HfTokenizer(const JsonNode& root);

  std::vector<TokenId> encode(std::string_view text, bool add_special_tokens = true) const override;
  std::string decode(std::span<const TokenId> ids, bool skip_special_tokens = false) const override;
  std::int64_t vocab_size() const override;
  std::optional<TokenId> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(TokenId id) const override;
  bool is_special(TokenId id) const override;
  std::optional<TokenId> bos_id() const override { return bos_id_; }
  std::optional<TokenId> eos_id() const override { return eos_id_; }

  /// Sets BOS/EOS (from tokenizer_config.json or the loader's conventions).
  void set_bos_eos(std::optional<TokenId> bos, std::optional<TokenId> eos) {
    bos_id_ = bos;
    eos_id_ = eos;
  }
  /// The post-processor, if any (the loader reads BOS/EOS candidates from its template).
  const PostProcessor* post_processor() const { return post_processor_.get(); }
  /// The added tokens.
  const AddedVocabulary& added_vocabulary() const { return *added_; }

 private:
  void encode_valid_run(std::string_view run, bool at_input_start, std::vector<TokenId>& ids) const;
  void encode_invalid_run(std::string_view bytes, std::vector<TokenId>& ids) const;

  std::unique_ptr<const Normalizer> normalizer_;
  std::unique_ptr<const PreTokenizer> pre_tokenizer_;
  std::unique_ptr<const BpeModel> model_;
  std::unique_ptr<const PostProcessor> post_processor_;
  std::unique_ptr<const Decoder> decoder_;
  std::unique_ptr<const AddedVocabulary> added_;
  std::optional<TokenId> bos_id_;
  std::optional<TokenId> eos_id_;
};

}  // namespace specrouter::tokenizer_detail
