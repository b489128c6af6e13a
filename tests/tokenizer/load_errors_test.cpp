// load_tokenizer's errors: CheckpointError, one line, naming the file and the JSON field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hf_json_builder.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The message of the CheckpointError loading `content` (as tokenizer.json) throws.
std::string load_error(const std::string& content, std::string* file = nullptr) {
  test::TempDir dir;
  const auto path = dir.write("tokenizer.json", content);
  if (file != nullptr) *file = path.string();
  try {
    load_tokenizer(path);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "no error";
}

json minimal() {
  json document = test::tokenizer_json(test::bpe_model(test::byte_level_vocab({"ab"}), {"a b"}));
  document["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}};
  document["decoder"] = {{"type", "ByteLevel"}};
  return document;
}

TEST(TokenizerLoadErrors, MinimalDocumentLoads) { EXPECT_EQ(load_error(minimal().dump()), "no error"); }

TEST(TokenizerLoadErrors, MissingFileOrFolder) {
  test::TempDir dir;
  try {
    load_tokenizer(dir.path() / "nope.json");
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("nope.json"), HasSubstr("not found")));
  }
  try {
    load_tokenizer(dir.path());  // a folder without tokenizer.json
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(dir.path().string() + "/tokenizer.json"), HasSubstr("folder")));
  }
}

TEST(TokenizerLoadErrors, InvalidJson) {
  std::string file;
  EXPECT_THAT(load_error("{\"model\": {", &file), AllOf(HasSubstr(file), HasSubstr("invalid JSON"), Not(HasSubstr("\n"))));
}

TEST(TokenizerLoadErrors, UnsupportedComponentsNameTheField) {
  std::string file;
  json model = minimal();
  model["model"]["type"] = "WordPiece";
  EXPECT_THAT(load_error(model.dump(), &file),
              AllOf(HasSubstr(file), HasSubstr("'model.type'"), HasSubstr("WordPiece"), Not(HasSubstr("\n"))));

  json normalizer = minimal();
  normalizer["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "NFKC"}}}}};
  EXPECT_THAT(load_error(normalizer.dump()), AllOf(HasSubstr("'normalizer.normalizers[1].type'"), HasSubstr("NFKC")));

  json pre_tokenizer = minimal();
  pre_tokenizer["pre_tokenizer"] = {{"type", "Sequence"},
                                    {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Whitespace"}}}}};
  EXPECT_THAT(load_error(pre_tokenizer.dump()),
              AllOf(HasSubstr("'pre_tokenizer.pretokenizers[1].type'"), HasSubstr("Whitespace")));

  json decoder = minimal();
  decoder["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "WordPiece"}}}}};
  EXPECT_THAT(load_error(decoder.dump()), AllOf(HasSubstr("'decoder.decoders[0].type'"), HasSubstr("WordPiece")));

  json processor = minimal();
  processor["post_processor"] = {{"type", "BertProcessing"}};
  EXPECT_THAT(load_error(processor.dump()), AllOf(HasSubstr("'post_processor.type'"), HasSubstr("BertProcessing")));
}

TEST(TokenizerLoadErrors, BadValuesNameTheField) {
  json regex = minimal();
  regex["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_THAT(load_error(regex.dump()), AllOf(HasSubstr("'pre_tokenizer.pattern.Regex'"), HasSubstr("(unclosed")));

  json behavior = minimal();
  behavior["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}};
  EXPECT_THAT(load_error(behavior.dump()), AllOf(HasSubstr("'pre_tokenizer.behavior'"), HasSubstr("Sideways")));

  json merge = minimal();
  merge["model"]["merges"] = {"a b", "a zz"};
  EXPECT_THAT(load_error(merge.dump()), AllOf(HasSubstr("'model.merges[1]'"), HasSubstr("zz")));

  json malformed_merge = minimal();
  malformed_merge["model"]["merges"] = {"a b c"};
  EXPECT_THAT(load_error(malformed_merge.dump()), HasSubstr("'model.merges[0]'"));

  json missing_vocab = minimal();
  missing_vocab["model"].erase("vocab");
  EXPECT_THAT(load_error(missing_vocab.dump()), AllOf(HasSubstr("'model.vocab'"), HasSubstr("missing")));

  json replacement = minimal();
  replacement["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "ab"}};
  EXPECT_THAT(load_error(replacement.dump()), HasSubstr("'pre_tokenizer.replacement'"));

  json dropout = minimal();
  dropout["model"]["dropout"] = 0.1;
  EXPECT_THAT(load_error(dropout.dump()), HasSubstr("'model.dropout'"));

  json added = minimal();
  added["added_tokens"] = {{{"id", "x"}, {"content", "<s>"}}};
  EXPECT_THAT(load_error(added.dump()), HasSubstr("'added_tokens[0].id'"));

  EXPECT_THAT(load_error("[1, 2]"), HasSubstr("expected a JSON object"));
  EXPECT_THAT(load_error("{\"vocab\": {}}"), HasSubstr("neither 'model'"));
}

TEST(TokenizerLoadErrors, ByteTokenizerFile) {
  EXPECT_THAT(load_error(R"({"specrouter_tokenizer": "bytes", "special_tokens": ["<s>"], "bos": "<s>"})"),
              AllOf(HasSubstr("'bos'"), HasSubstr("unknown key")));
  EXPECT_THAT(load_error(R"({"specrouter_tokenizer": "bytes", "special_tokens": ["<s>"], "eos_token": "</s>"})"),
              HasSubstr("'</s>' is not one of special_tokens"));
  EXPECT_THAT(load_error(R"({"specrouter_tokenizer": "words"})"), HasSubstr("'specrouter_tokenizer'"));
}

TEST(TokenizerLoadErrors, TokenizerConfigGivesBosAndEos) {
  test::TempDir dir;
  json document = minimal();
  document["added_tokens"] = {test::added_token(300, "<|start|>"), test::added_token(301, "<|stop|>"),
                              test::added_token(302, "</s>")};
  dir.write("tokenizer.json", document.dump());
  // Without tokenizer_config.json: no template, so BOS unknown; EOS by its conventional name.
  EXPECT_EQ(load_tokenizer(dir.path())->bos_id(), std::nullopt);
  EXPECT_EQ(load_tokenizer(dir.path())->eos_id(), 302);

  dir.write("tokenizer_config.json",
            R"({"bos_token": "<|start|>", "eos_token": {"content": "<|stop|>", "special": true}})");
  const auto configured = load_tokenizer(dir.path() / "tokenizer.json");
  EXPECT_EQ(configured->bos_id(), 300);
  EXPECT_EQ(configured->eos_id(), 301);

  dir.write("tokenizer_config.json", R"({"bos_token": null, "eos_token": "<|missing|>"})");
  try {
    load_tokenizer(dir.path());
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("tokenizer_config.json"), HasSubstr("'eos_token'"), HasSubstr("<|missing|>")));
  }
}

}  // namespace
}  // namespace specrouter
