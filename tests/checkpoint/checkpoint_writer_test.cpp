// Writing checkpoint folders: the huggingface_hub sharding rule, the exact index text,
// round trips, side files, and the cleanup of an earlier save.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/checkpoint/checkpoint_writer.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OwnedTensor;
using testing::random_tensor;
using testing::ScratchDir;

std::vector<OwnedTensor> sized_tensors(const std::vector<std::int64_t>& byte_sizes) {
  std::vector<OwnedTensor> tensors;
  for (std::size_t i = 0; i < byte_sizes.size(); ++i) {
    tensors.push_back(random_tensor("t" + std::to_string(i), Dtype::kU8, {byte_sizes[i]},
                                    static_cast<std::uint32_t>(i)));
  }
  return tensors;
}

std::vector<std::string> folder_listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ShardPlan, FollowsHuggingFaceHubsGreedyRule) {
  // The example of huggingface_hub's docstring: [6, 6, 2, 6, 2, 2] under 10 gives
  // [6], [6, 2], [6, 2, 2].
  const auto tensors = sized_tensors({6, 6, 2, 6, 2, 2});
  const ShardPlan plan = plan_shards(testing::to_write(tensors), 10);
  EXPECT_THAT(plan.tensors_per_file,
              ElementsAre(ElementsAre(0), ElementsAre(1, 2), ElementsAre(3, 4, 5)));
  EXPECT_THAT(plan.files, ElementsAre("model-00001-of-00003.safetensors",
                                      "model-00002-of-00003.safetensors",
                                      "model-00003-of-00003.safetensors"));
  EXPECT_EQ(plan.total_size, 24u);
  EXPECT_TRUE(plan.is_sharded());
}

TEST(ShardPlan, OversizedTensorsGetTheirOwnShardAheadOfTheOpenOne) {
  // As in huggingface_hub, an oversized tensor is closed into its own shard at once,
  // while the shard being filled stays open and comes after it.
  const auto tensors = sized_tensors({3, 12, 3});
  const ShardPlan plan = plan_shards(testing::to_write(tensors), 10);
  EXPECT_THAT(plan.tensors_per_file, ElementsAre(ElementsAre(1), ElementsAre(0, 2)));
}

TEST(ShardPlan, OneShardIsTheSingleFile) {
  const auto tensors = sized_tensors({3, 3});
  EXPECT_THAT(plan_shards(testing::to_write(tensors), 6).files, ElementsAre("model.safetensors"));
  EXPECT_THAT(plan_shards({}, 6).files, ElementsAre("model.safetensors"));
  EXPECT_THROW(plan_shards(testing::to_write(tensors), 0), CheckpointError);
}

TEST(CheckpointWriter, WritesTheIndexAsTransformersDoes) {
  ScratchDir dir;
  std::vector<OwnedTensor> tensors = {random_tensor("b.weight", Dtype::kF32, {2, 2}, 1),
                                      random_tensor("a.weight", Dtype::kBF16, {3}, 2),
                                      random_tensor("é\xf0\x9d\x92\xb3", Dtype::kU8, {20}, 3)};
  CheckpointWriteOptions options;
  options.max_shard_bytes = 16;
  const auto written = write_checkpoint_folder(dir.path(), testing::to_write(tensors),
                                               "{\"model_type\": \"llama\"}", options);
  EXPECT_EQ(written.size(), 3u);
  EXPECT_EQ(testing::read_text(dir / kShardIndexFile),
            "{\n"
            "  \"metadata\": {\n"
            "    \"total_parameters\": 27,\n"
            "    \"total_size\": 42\n"
            "  },\n"
            "  \"weight_map\": {\n"
            "    \"a.weight\": \"model-00003-of-00003.safetensors\",\n"
            "    \"b.weight\": \"model-00001-of-00003.safetensors\",\n"
            "    \"\\u00e9\\ud835\\udcb3\": \"model-00002-of-00003.safetensors\"\n"
            "  }\n"
            "}\n");
  // Each shard carries transformers' metadata.
  const SafetensorsFile shard = SafetensorsFile::open(dir / "model-00001-of-00003.safetensors");
  EXPECT_EQ(shard.metadata(), (SafetensorsMetadata{{"format", "pt"}}));
  EXPECT_EQ(testing::read_text(dir / kConfigFile), "{\"model_type\": \"llama\"}");
}

TEST(CheckpointWriter, ShardedAndSingleRoundTripsAreBitIdentical) {
  ScratchDir dir;
  std::vector<OwnedTensor> tensors;
  for (int layer = 0; layer < 4; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    tensors.push_back(random_tensor(prefix + "mlp.up_proj.weight", Dtype::kBF16, {24, 8}, layer * 3));
    tensors.push_back(random_tensor(prefix + "mlp.down_proj.weight", Dtype::kF16, {8, 24}, layer * 3 + 1));
    tensors.push_back(random_tensor(prefix + "input_layernorm.weight", Dtype::kF32, {8}, layer * 3 + 2));
  }
  for (const std::uint64_t max_shard_bytes : {std::uint64_t{1000}, kDefaultMaxShardBytes}) {
    const std::filesystem::path out = dir / ("out_" + std::to_string(max_shard_bytes));
    CheckpointWriteOptions options;
    options.max_shard_bytes = max_shard_bytes;
    write_checkpoint_folder(out, testing::to_write(tensors), "{}", options);
    const CheckpointFolder folder = CheckpointFolder::open(out);
    EXPECT_EQ(folder.is_sharded(), max_shard_bytes == 1000);
    ASSERT_EQ(folder.names().size(), tensors.size());
    std::vector<TensorToWrite> read_back;
    for (const OwnedTensor& tensor : tensors) {
      const TensorView& view = folder.tensor(tensor.name);
      EXPECT_EQ(view.dtype, tensor.dtype);
      EXPECT_EQ(view.shape, tensor.shape);
      EXPECT_TRUE(testing::same_bytes(view.bytes(), tensor.bytes));
      read_back.push_back(TensorToWrite::from_view(view));
    }
    // Writing what was read gives the same files, byte for byte.
    const std::filesystem::path again = dir / ("again_" + std::to_string(max_shard_bytes));
    write_checkpoint_folder(again, read_back, "{}", options);
    ASSERT_EQ(folder_listing(out), folder_listing(again));
    for (const std::string& name : folder_listing(out)) {
      EXPECT_TRUE(testing::same_bytes(testing::read_bytes(out / name), testing::read_bytes(again / name)))
          << name;
    }
  }
}

TEST(CheckpointWriter, WritesSideFilesThatTheFolderReadsBack) {
  ScratchDir dir;
  testing::write_text(dir / "source_tokenizer.json", "{\"version\": \"1.0\"}");
  CheckpointWriteOptions options;
  options.generation_config_json_text = R"({"eos_token_id": [7, 9], "bos_token_id": 1})";
  options.tokenizer_json_path = dir / "source_tokenizer.json";
  write_checkpoint_folder(dir / "ckpt", testing::to_write(sized_tensors({4})),
                          R"({"eos_token_id": 2})", options);
  const CheckpointFolder folder = CheckpointFolder::open(dir / "ckpt");
  EXPECT_EQ(folder.read_text(kTokenizerFile), "{\"version\": \"1.0\"}");
  EXPECT_EQ(folder.special_token_ids().eos_token_ids, (std::vector<TokenId>{7, 9}));
  EXPECT_THAT(folder_listing(dir / "ckpt"),
              ElementsAre("config.json", "generation_config.json", "model.safetensors", "tokenizer.json"));

  options.tokenizer_json_path.reset();
  options.tokenizer_json_text = "{\"version\": \"2.0\"}";
  write_checkpoint_folder(dir / "ckpt", testing::to_write(sized_tensors({4})), "{}", options);
  EXPECT_EQ(testing::read_text(dir / "ckpt" / kTokenizerFile), "{\"version\": \"2.0\"}");
}

TEST(CheckpointWriter, RemovesTheWeightFilesOfAnEarlierSave) {
  ScratchDir dir;
  const auto tensors = sized_tensors({6, 6, 6, 6});
  testing::write_text(dir / "README.md", "kept");
  testing::write_text(dir / "model-00007-of-00009.safetensors", "stale");
  CheckpointWriteOptions options;
  options.max_shard_bytes = 6;
  write_checkpoint_folder(dir.path(), testing::to_write(tensors), "{}", options);
  EXPECT_THAT(folder_listing(dir.path()),
              ElementsAre("README.md", "config.json", "model-00001-of-00004.safetensors",
                          "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors",
                          "model-00004-of-00004.safetensors", "model.safetensors.index.json"));
  options.max_shard_bytes = 12;
  write_checkpoint_folder(dir.path(), testing::to_write(tensors), "{}", options);
  EXPECT_THAT(folder_listing(dir.path()),
              ElementsAre("README.md", "config.json", "model-00001-of-00002.safetensors",
                          "model-00002-of-00002.safetensors", "model.safetensors.index.json"));
  options.max_shard_bytes = kDefaultMaxShardBytes;
  write_checkpoint_folder(dir.path(), testing::to_write(tensors), "{}", options);
  EXPECT_THAT(folder_listing(dir.path()), ElementsAre("README.md", "config.json", "model.safetensors"));
  options.max_shard_bytes = 12;
  write_checkpoint_folder(dir.path(), testing::to_write(tensors), "{}", options);
  EXPECT_THAT(folder_listing(dir.path()),
              ElementsAre("README.md", "config.json", "model-00001-of-00002.safetensors",
                          "model-00002-of-00002.safetensors", "model.safetensors.index.json"));
  EXPECT_EQ(CheckpointFolder::open(dir.path()).names().size(), 4u);
}

TEST(CheckpointWriter, RejectsBadInputBeforeWritingAnything) {
  ScratchDir dir;
  const auto tensors = sized_tensors({4, 4});
  const auto message_of = [&](const std::vector<TensorToWrite>& entries, const std::string& config,
                              const CheckpointWriteOptions& options) {
    try {
      write_checkpoint_folder(dir / "out", entries, config, options);
    } catch (const CheckpointError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message_of(testing::to_write(tensors), "[1]", {}),
              HasSubstr("config.json text: not a JSON object"));
  EXPECT_THAT(message_of(testing::to_write(tensors), "{", {}),
              HasSubstr("config.json text: not valid JSON"));
  CheckpointWriteOptions both;
  both.tokenizer_json_path = dir / "t.json";
  both.tokenizer_json_text = "{}";
  EXPECT_THAT(message_of(testing::to_write(tensors), "{}", both), HasSubstr("not both"));
  CheckpointWriteOptions generation;
  generation.generation_config_json_text = "nope";
  EXPECT_THAT(message_of(testing::to_write(tensors), "{}", generation),
              HasSubstr("generation_config.json text: not valid JSON"));
  // A name repeated across what would be two shards is still caught.
  std::vector<TensorToWrite> repeated = testing::to_write(tensors);
  repeated[1].name = repeated[0].name;
  CheckpointWriteOptions small;
  small.max_shard_bytes = 4;
  EXPECT_THAT(message_of(repeated, "{}", small), HasSubstr("tensor 't0' is given twice"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

}  // namespace
}  // namespace specrouter
