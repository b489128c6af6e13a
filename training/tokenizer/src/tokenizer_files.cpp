#include "specrouter/bpe/tokenizer_files.h"

#include <cstdio>
#include <fstream>

#include "specrouter/bpe/byte_alphabet.h"
#include "specrouter/error.h"

namespace specrouter::bpe {
namespace {

using Json = nlohmann::ordered_json;

Json byte_level(bool add_prefix_space, bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true},
          {"use_regex", use_regex}};
}

Json added_token(std::size_t id, const std::string& content) {
  return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false}, {"special", true}};
}

void write_atomically(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw CheckpointError("tokenizer file '" + temporary.string() + "' cannot be written");
  }
  if (std::rename(temporary.c_str(), file.c_str()) != 0) {
    throw CheckpointError("tokenizer file '" + file.string() + "' cannot be replaced");
  }
}

}  // namespace

Json tokenizer_json(const BpeVocabulary& vocabulary, const TokenizerLayout& layout) {
  const std::size_t bos_id = vocabulary.tokens.size();
  const std::size_t eos_id = bos_id + 1;
  Json vocab = Json::object();
  for (std::size_t id = 0; id < vocabulary.tokens.size(); ++id) vocab[to_alphabet(vocabulary.tokens[id])] = id;
  Json merges = Json::array();
  for (const auto& [left, right] : vocabulary.merges) {
    merges.push_back({to_alphabet(vocabulary.tokens[left]), to_alphabet(vocabulary.tokens[right])});
  }
  Json single = Json::array();
  Json pair = Json::array();
  if (layout.add_bos) {
    single.push_back({{"SpecialToken", {{"id", layout.bos_token}, {"type_id", 0}}}});
    pair.push_back({{"SpecialToken", {{"id", layout.bos_token}, {"type_id", 0}}}});
  }
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  pair.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (layout.add_bos) pair.push_back({{"SpecialToken", {{"id", layout.bos_token}, {"type_id", 1}}}});
  pair.push_back({{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
  Json special_tokens = Json::object();
  if (layout.add_bos) {
    special_tokens[layout.bos_token] = {{"id", layout.bos_token}, {"ids", {bos_id}}, {"tokens", {layout.bos_token}}};
  }
  return Json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {added_token(bos_id, layout.bos_token), added_token(eos_id, layout.eos_token)}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", layout.split_pattern}}}, {"behavior", "Isolated"},
           {"invert", false}},
          byte_level(false, false)}}}},
      {"post_processor",
       {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", special_tokens}}},
      {"decoder", byte_level(true, true)},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}}};
}

void write_tokenizer_files(const BpeVocabulary& vocabulary, const TokenizerLayout& layout,
                           const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_atomically(dir / "tokenizer.json", tokenizer_json(vocabulary, layout).dump(1) + "\n");
  const Json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                       {"bos_token", layout.bos_token},
                       {"eos_token", layout.eos_token},
                       {"add_bos_token", layout.add_bos},
                       {"add_eos_token", false},
                       {"clean_up_tokenization_spaces", false},
                       {"model_max_length", layout.model_max_length}};
  write_atomically(dir / "tokenizer_config.json", config.dump(1) + "\n");
}

}  // namespace specrouter::bpe
