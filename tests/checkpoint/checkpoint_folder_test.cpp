// Opening Hugging Face checkpoint folders: single-file and sharded weights, index/shard
// consistency, side files, special token ids, and checks against expected shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/checkpoint/checkpoint_writer.h"
#include "specrouter/checkpoint/tensor_check.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::OwnedTensor;
using testing::random_tensor;
using testing::ScratchDir;

std::vector<OwnedTensor> small_model() {
  return {random_tensor("model.embed_tokens.weight", Dtype::kBF16, {16, 8}, 1),
          random_tensor("model.layers.0.self_attn.q_proj.weight", Dtype::kBF16, {8, 8}, 2),
          random_tensor("model.layers.0.self_attn.k_proj.weight", Dtype::kBF16, {4, 8}, 3),
          random_tensor("model.layers.0.input_layernorm.weight", Dtype::kF32, {8}, 4),
          random_tensor("model.norm.weight", Dtype::kF32, {8}, 5),
          random_tensor("lm_head.weight", Dtype::kBF16, {16, 8}, 6)};
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const CheckpointError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "expected a CheckpointError";
  return {};
}

std::string open_error(const std::filesystem::path& dir) {
  return error_of([&] { CheckpointFolder::open(dir); });
}

void write_shard(const std::filesystem::path& path, const std::vector<OwnedTensor>& tensors) {
  write_safetensors(path, testing::to_write(tensors));
}

void write_index(const std::filesystem::path& dir,
                 const std::vector<std::pair<std::string, std::string>>& weight_map) {
  std::string json = "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {";
  for (std::size_t i = 0; i < weight_map.size(); ++i) {
    json += (i ? ", \"" : "\"") + weight_map[i].first + "\": \"" + weight_map[i].second + "\"";
  }
  testing::write_text(dir / kShardIndexFile, json + "}}");
}

TEST(CheckpointFolder, OpensASingleFileCheckpoint) {
  ScratchDir dir;
  const std::vector<OwnedTensor> tensors = small_model();
  write_shard(dir / kSingleWeightsFile, tensors);
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());
  EXPECT_FALSE(folder.is_sharded());
  EXPECT_EQ(folder.weight_files(), std::vector<std::filesystem::path>{dir / kSingleWeightsFile});
  EXPECT_EQ(folder.names().size(), tensors.size());
  std::uint64_t total = 0;
  for (const OwnedTensor& tensor : tensors) {
    ASSERT_TRUE(folder.has(tensor.name));
    EXPECT_TRUE(testing::same_bytes(folder.tensor(tensor.name).bytes(), tensor.bytes));
    total += tensor.bytes.size();
  }
  EXPECT_EQ(folder.total_bytes(), total);
  EXPECT_FALSE(folder.has("model.layers.1.mlp.up_proj.weight"));

  // A copy stays valid after the original is gone.
  std::optional<CheckpointFolder> copy;
  {
    const CheckpointFolder original = CheckpointFolder::open(dir.path());
    copy = original;
  }
  EXPECT_TRUE(testing::same_bytes(copy->tensor(tensors[0].name).bytes(), tensors[0].bytes));
}

TEST(CheckpointFolder, OpensAShardedCheckpoint) {
  ScratchDir dir;
  const std::vector<OwnedTensor> tensors = small_model();
  CheckpointWriteOptions options;
  options.max_shard_bytes = 300;
  write_checkpoint_folder(dir.path(), testing::to_write(tensors), "{}", options);
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());
  EXPECT_TRUE(folder.is_sharded());
  EXPECT_GT(folder.weight_files().size(), 2u);
  EXPECT_EQ(folder.index_total_size(), folder.total_bytes());
  for (const OwnedTensor& tensor : tensors) {
    const TensorView& view = folder.tensor(tensor.name);
    EXPECT_TRUE(testing::same_bytes(view.bytes(), tensor.bytes)) << tensor.name;
    EXPECT_THAT(view.file.filename().string(), HasSubstr("-of-"));
  }
}

TEST(CheckpointFolder, PrefersTheSingleFileWhenBothExist) {
  ScratchDir dir;
  write_shard(dir / kSingleWeightsFile, {random_tensor("single", Dtype::kF32, {1}, 1)});
  write_index(dir.path(), {{"sharded", "model-00001-of-00001.safetensors"}});
  EXPECT_TRUE(CheckpointFolder::open(dir.path()).has("single"));
}

TEST(CheckpointFolder, ReportsAMissingOrEmptyFolder) {
  ScratchDir dir;
  EXPECT_THAT(open_error(dir / "nope"), HasSubstr("checkpoint folder '" + (dir / "nope").string() +
                                                  "' does not exist"));
  testing::write_text(dir / "file", "x");
  EXPECT_THAT(open_error(dir / "file"), HasSubstr("is not a folder"));
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("'" + dir.path().string() +
                        "' holds neither model.safetensors nor model.safetensors.index.json"));
}

TEST(CheckpointFolder, ReportsAMissingShard) {
  ScratchDir dir;
  write_shard(dir / "model-00001-of-00002.safetensors", {random_tensor("a", Dtype::kF32, {1}, 1)});
  write_index(dir.path(), {{"a", "model-00001-of-00002.safetensors"},
                           {"b", "model-00002-of-00002.safetensors"}});
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("maps tensor 'b' to shard 'model-00002-of-00002.safetensors', which does "
                        "not exist"));
}

TEST(CheckpointFolder, ReportsATensorListedButAbsentFromItsShard) {
  ScratchDir dir;
  write_shard(dir / "s1.safetensors", {random_tensor("a", Dtype::kF32, {1}, 1)});
  write_shard(dir / "s2.safetensors", {random_tensor("b", Dtype::kF32, {1}, 2)});
  write_index(dir.path(), {{"a", "s1.safetensors"}, {"b", "s2.safetensors"}, {"ghost", "s2.safetensors"}});
  const std::string message = open_error(dir.path());
  EXPECT_THAT(message, HasSubstr(dir.path().string()));
  EXPECT_THAT(message, HasSubstr("lists tensor 'ghost' in shard 's2.safetensors', which does not hold it"));

  write_index(dir.path(), {{"a", "s2.safetensors"}, {"b", "s2.safetensors"}, {"x", "s1.safetensors"}});
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("lists tensor 'a' in shard 's2.safetensors', which does not hold it (it is "
                        "in shard 's1.safetensors')"));
}

TEST(CheckpointFolder, ReportsATensorInAShardButNotInTheIndex) {
  ScratchDir dir;
  write_shard(dir / "s1.safetensors", {random_tensor("a", Dtype::kF32, {1}, 1),
                                       random_tensor("extra", Dtype::kF32, {1}, 2)});
  write_index(dir.path(), {{"a", "s1.safetensors"}});
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("tensor 'extra' in shard 's1.safetensors' is not listed in "
                        "'model.safetensors.index.json'"));
}

TEST(CheckpointFolder, ReportsTheSameTensorInTwoShards) {
  ScratchDir dir;
  write_shard(dir / "s1.safetensors", {random_tensor("w", Dtype::kF32, {1}, 1)});
  write_shard(dir / "s2.safetensors", {random_tensor("w", Dtype::kF32, {1}, 2),
                                       random_tensor("v", Dtype::kF32, {1}, 3)});
  write_index(dir.path(), {{"w", "s1.safetensors"}, {"v", "s2.safetensors"}});
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("tensor 'w' is stored in both shard 's1.safetensors' and shard 's2.safetensors'"));
}

TEST(CheckpointFolder, ReportsAMalformedIndex) {
  ScratchDir dir;
  testing::write_text(dir / kShardIndexFile, "{\"weight_map\": ");
  EXPECT_THAT(open_error(dir.path()), HasSubstr("model.safetensors.index.json': not valid JSON"));
  testing::write_text(dir / kShardIndexFile, "{\"metadata\": {}}");
  EXPECT_THAT(open_error(dir.path()), HasSubstr("no \"weight_map\" object"));
  testing::write_text(dir / kShardIndexFile, "{\"weight_map\": {\"a\": 3}}");
  EXPECT_THAT(open_error(dir.path()), HasSubstr("weight_map entry for tensor 'a' is not a string"));
  testing::write_text(dir / kShardIndexFile, "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("puts tensor 'a' in '../x.safetensors', which is not a file name in the folder"));
  testing::write_text(dir / kShardIndexFile, "{\"weight_map\": {\"a\": \"s\", \"a\": \"t\"}}");
  EXPECT_THAT(open_error(dir.path()), HasSubstr("key 'a' appears twice"));
}

TEST(CheckpointFolder, ReportsACorruptShardByItsPath) {
  ScratchDir dir;
  testing::write_text(dir / "s1.safetensors", "short");
  write_index(dir.path(), {{"a", "s1.safetensors"}});
  EXPECT_THAT(open_error(dir.path()),
              HasSubstr("safetensors file '" + (dir / "s1.safetensors").string() +
                        "': file is 5 bytes"));
}

TEST(CheckpointFolder, MissingTensorNamesTheFolderAndNearestNames) {
  ScratchDir dir;
  write_shard(dir / kSingleWeightsFile, small_model());
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());
  const std::string message =
      error_of([&] { folder.tensor("model.layers.0.self_attn.v_proj.weight"); });
  EXPECT_THAT(message, HasSubstr("checkpoint folder '" + dir.path().string() +
                                 "': no tensor 'model.layers.0.self_attn.v_proj.weight'"));
  EXPECT_THAT(message, HasSubstr("nearest: 'model.layers.0.self_attn.k_proj.weight', "
                                 "'model.layers.0.self_attn.q_proj.weight'"));
  EXPECT_THAT(error_of([&] { folder.tensor("zzz"); }), Not(HasSubstr("nearest")));
}

TEST(CheckpointFolder, GivesAccessToSideFiles) {
  ScratchDir dir;
  write_shard(dir / kSingleWeightsFile, small_model());
  testing::write_text(dir / kConfigFile, "{\"model_type\": \"llama\"}");
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());
  EXPECT_TRUE(folder.has_file(kConfigFile));
  EXPECT_EQ(folder.file_path(kConfigFile), dir / kConfigFile);
  EXPECT_EQ(folder.read_text(kConfigFile), "{\"model_type\": \"llama\"}");
  EXPECT_FALSE(folder.has_file(kTokenizerFile));
  EXPECT_THAT(error_of([&] { folder.file_path(kTokenizerFile); }),
              HasSubstr("'" + dir.path().string() + "' has no 'tokenizer.json'"));
  EXPECT_THAT(error_of([&] { folder.read_text(kGenerationConfigFile); }),
              HasSubstr("has no 'generation_config.json'"));
}

class SpecialTokens : public ::testing::Test {
 protected:
  void SetUp() override { write_shard(dir_ / kSingleWeightsFile, small_model()); }
  SpecialTokenIds read() const { return CheckpointFolder::open(dir_.path()).special_token_ids(); }
  std::string read_error() const {
    return error_of([&] { CheckpointFolder::open(dir_.path()).special_token_ids(); });
  }
  ScratchDir dir_;
};

TEST_F(SpecialTokens, GenerationConfigWinsAndListsAreKept) {
  testing::write_text(dir_ / kConfigFile, R"({"eos_token_id": 2, "bos_token_id": 1})");
  testing::write_text(dir_ / kGenerationConfigFile,
                      R"({"eos_token_id": [128001, 128008, 128009], "bos_token_id": 128000})");
  const SpecialTokenIds ids = read();
  EXPECT_EQ(ids.eos_token_ids, (std::vector<TokenId>{128001, 128008, 128009}));
  EXPECT_EQ(ids.bos_token_id, 128000);
  EXPECT_EQ(ids.eos_source, kGenerationConfigFile);
  EXPECT_EQ(ids.bos_source, kGenerationConfigFile);
}

TEST_F(SpecialTokens, FallsBackToConfigWhenAbsentOrNull) {
  testing::write_text(dir_ / kConfigFile, R"({"eos_token_id": 2, "bos_token_id": 1})");
  testing::write_text(dir_ / kGenerationConfigFile, R"({"eos_token_id": null, "do_sample": true})");
  const SpecialTokenIds ids = read();
  EXPECT_EQ(ids.eos_token_ids, std::vector<TokenId>{2});
  EXPECT_EQ(ids.bos_token_id, 1);
  EXPECT_EQ(ids.eos_source, kConfigFile);

  std::filesystem::remove(dir_ / kGenerationConfigFile);
  EXPECT_EQ(read().eos_token_ids, std::vector<TokenId>{2});
}

TEST_F(SpecialTokens, EmptyWhenNoConfigDeclaresThem) {
  const SpecialTokenIds ids = read();
  EXPECT_TRUE(ids.eos_token_ids.empty());
  EXPECT_FALSE(ids.bos_token_id.has_value());
  EXPECT_EQ(ids.eos_source, "");
}

TEST_F(SpecialTokens, ReportsInvalidValuesNamingFileAndKey) {
  testing::write_text(dir_ / kGenerationConfigFile, R"({"eos_token_id": "</s>"})");
  EXPECT_THAT(read_error(), HasSubstr("generation_config.json': eos_token_id \"</s>\" is not a "
                                      "non-negative 32-bit integer or a list of them"));
  testing::write_text(dir_ / kGenerationConfigFile, R"({"eos_token_id": [1, -2]})");
  EXPECT_THAT(read_error(), HasSubstr("eos_token_id -2 is not"));
  testing::write_text(dir_ / kGenerationConfigFile, R"({"bos_token_id": [1]})");
  EXPECT_THAT(read_error(), HasSubstr("bos_token_id [1] is not a non-negative 32-bit integer"));
  testing::write_text(dir_ / kGenerationConfigFile, "{}");
  testing::write_text(dir_ / kConfigFile, R"({"eos_token_id": 4294967296})");
  EXPECT_THAT(read_error(), HasSubstr("config.json': eos_token_id 4294967296 is not"));
  testing::write_text(dir_ / kConfigFile, "{oops");
  EXPECT_THAT(read_error(), HasSubstr("config.json': not valid JSON"));
}

TEST(TensorCheck, ReportsMissingUnexpectedAndMismatchedTensors) {
  ScratchDir dir;
  CheckpointWriteOptions options;
  options.max_shard_bytes = 300;
  write_checkpoint_folder(dir.path(), testing::to_write(small_model()), "{}", options);
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());

  ExpectedShapes expected;
  for (const std::string& name : folder.names()) expected[name] = folder.tensor(name).shape;
  EXPECT_TRUE(check_tensors(folder, expected).ok());
  EXPECT_NO_THROW(require_tensors(folder, expected));

  expected.erase("lm_head.weight");
  expected["model.layers.0.mlp.up_proj.weight"] = {32, 8};
  expected["model.norm.weight"] = {16};
  const TensorCheckReport report = check_tensors(folder, expected);
  ASSERT_EQ(report.problems.size(), 3u);
  EXPECT_FALSE(report.ok());
  EXPECT_FALSE(report.ok(/*allow_unexpected=*/true));

  const TensorProblem& missing = report.problems[0];
  EXPECT_EQ(missing.kind, TensorProblem::Kind::kMissing);
  EXPECT_EQ(missing.message(), "'" + dir.path().string() +
                                   "': tensor 'model.layers.0.mlp.up_proj.weight' is missing "
                                   "(expected shape [32, 8])");
  const TensorProblem& unexpected = report.problems[1];
  EXPECT_EQ(unexpected.kind, TensorProblem::Kind::kUnexpected);
  EXPECT_EQ(unexpected.file, folder.tensor("lm_head.weight").file);
  EXPECT_EQ(unexpected.message(), "'" + unexpected.file.string() +
                                      "': tensor 'lm_head.weight' (shape [16, 8]) is not expected "
                                      "by the model");
  const TensorProblem& mismatch = report.problems[2];
  EXPECT_EQ(mismatch.kind, TensorProblem::Kind::kShapeMismatch);
  EXPECT_EQ(mismatch.message(), "'" + folder.tensor("model.norm.weight").file.string() +
                                    "': tensor 'model.norm.weight' has shape [8], expected [16]");

  const std::string message = error_of([&] { require_tensors(folder, expected); });
  EXPECT_THAT(message, HasSubstr("checkpoint folder '" + dir.path().string() +
                                 "' does not match the model: "));
  EXPECT_THAT(message, HasSubstr(missing.message() + "; " + unexpected.message() + "; " +
                                 mismatch.message()));
  const std::string tolerant =
      error_of([&] { require_tensors(folder, expected, /*allow_unexpected=*/true); });
  EXPECT_THAT(tolerant, Not(HasSubstr("lm_head")));
}

TEST(TensorCheck, SummaryListsAtMostTheRequestedNumber) {
  ScratchDir dir;
  write_shard(dir / kSingleWeightsFile, small_model());
  const CheckpointFolder folder = CheckpointFolder::open(dir.path());
  const TensorCheckReport report = check_tensors(folder, {});
  EXPECT_EQ(report.problems.size(), 6u);
  EXPECT_TRUE(report.ok(/*allow_unexpected=*/true));
  EXPECT_THAT(report.summary(false, 2), HasSubstr("; and 4 more"));
}

}  // namespace
}  // namespace specrouter
