// Writing and reading safetensors files: exact layout, bit-identical round trips,
// atomic replacement, and the writer's own checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/checkpoint/safetensors_writer.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;
using testing::OwnedTensor;
using testing::random_tensor;
using testing::ScratchDir;

std::string file_header(const std::vector<std::byte>& file) {
  std::uint64_t length = 0;
  std::memcpy(&length, file.data(), 8);
  return std::string(reinterpret_cast<const char*>(file.data()) + 8, length);
}

std::vector<OwnedTensor> every_dtype_tensors() {
  std::vector<OwnedTensor> tensors;
  std::uint32_t seed = 1;
  for (const Dtype dtype : kAllDtypes) {
    tensors.push_back(random_tensor("t." + std::string(dtype_name(dtype)), dtype, {3, 5}, seed++));
  }
  tensors.push_back(random_tensor("scalar", Dtype::kF32, {}, seed++));
  tensors.push_back(random_tensor("empty", Dtype::kBF16, {0}, seed++));
  tensors.push_back(random_tensor("empty.middle", Dtype::kI64, {3, 0, 2}, seed++));
  tensors.push_back(random_tensor("model.layers.0.weight", Dtype::kBF16, {7, 9}, seed++));
  return tensors;
}

// The byte layout the format defines, spelled out by hand.
TEST(SafetensorsWriter, WritesTheDocumentedLayoutByteForByte) {
  ScratchDir dir;
  const float values[] = {0, 1, 2, 3, 4, 5};
  const TensorToWrite tensor{"attn0", Dtype::kF32, {1, 1, 2, 3}, std::as_bytes(std::span(values))};
  write_safetensors(dir / "a.safetensors", std::span(&tensor, 1));

  const std::string json = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  const std::string padded = json + std::string((8 - json.size() % 8) % 8, ' ');
  ASSERT_EQ(padded.size() % 8, 0u);
  std::vector<std::byte> expected = testing::raw_safetensors(padded, 0);
  const auto* raw = reinterpret_cast<const std::byte*>(values);
  expected.insert(expected.end(), raw, raw + sizeof values);
  EXPECT_TRUE(testing::same_bytes(testing::read_bytes(dir / "a.safetensors"), expected));
}

TEST(SafetensorsWriter, EmptyFilesMatchTheLibrary) {
  // The library writes `{}` padded to 8 bytes, and `__metadata__` even when empty.
  EXPECT_EQ(safetensors_header_json({}, std::nullopt), "{}      ");
  EXPECT_EQ(safetensors_header_json({}, SafetensorsMetadata{}), "{\"__metadata__\":{}}     ");
  EXPECT_EQ(safetensors_header_json({}, SafetensorsMetadata{{"framework", "pt"}}),
            "{\"__metadata__\":{\"framework\":\"pt\"}}     ");
}

TEST(SafetensorsWriter, LaysTensorsOutByDescendingDtypeThenName) {
  const std::vector<OwnedTensor> tensors = {
      random_tensor("b", Dtype::kF16, {2}, 1), random_tensor("a", Dtype::kF16, {2}, 2),
      random_tensor("z", Dtype::kU8, {3}, 3),  random_tensor("m", Dtype::kF64, {1}, 4),
      random_tensor("c", Dtype::kBF16, {1}, 5), random_tensor("i", Dtype::kI64, {1}, 6)};
  const std::vector<TensorToWrite> entries = testing::to_write(tensors);
  EXPECT_EQ(safetensors_header_json(entries, std::nullopt),
            R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
            R"("m":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},)"
            R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[16,18]},)"
            R"("a":{"dtype":"F16","shape":[2],"data_offsets":[18,22]},)"
            R"("b":{"dtype":"F16","shape":[2],"data_offsets":[22,26]},)"
            R"("z":{"dtype":"U8","shape":[3],"data_offsets":[26,29]}})");
}

TEST(SafetensorsWriter, EscapesNamesAsSerdeJson) {
  const std::byte none[1] = {};
  const TensorToWrite tensor{"q\"\\\n\x01/é\x7f", Dtype::kU8, {1}, none};
  const std::string json =
      "{\"q\\\"\\\\\\n\\u0001/é\x7f\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
  EXPECT_EQ(safetensors_header_json(std::span(&tensor, 1), std::nullopt),
            json + std::string((8 - json.size() % 8) % 8, ' '));
}

TEST(SafetensorsRoundTrip, EveryDtypeReadsBackBitIdentical) {
  ScratchDir dir;
  const std::vector<OwnedTensor> tensors = every_dtype_tensors();
  const SafetensorsMetadata metadata = {{"format", "pt"}, {"note", "line\nbreak \"quoted\""}};
  write_safetensors(dir / "all.safetensors", testing::to_write(tensors), metadata);

  const SafetensorsFile file = SafetensorsFile::open(dir / "all.safetensors");
  EXPECT_EQ(file.metadata(), metadata);
  EXPECT_TRUE(file.has_metadata());
  ASSERT_EQ(file.names().size(), tensors.size());
  EXPECT_TRUE(std::is_sorted(file.names().begin(), file.names().end()));
  for (const OwnedTensor& expected : tensors) {
    const TensorView& view = file.tensor(expected.name);
    EXPECT_EQ(view.name, expected.name);
    EXPECT_EQ(view.dtype, expected.dtype) << expected.name;
    EXPECT_EQ(view.shape, expected.shape) << expected.name;
    EXPECT_EQ(view.file, dir / "all.safetensors");
    EXPECT_TRUE(view.is_aligned()) << expected.name;
    EXPECT_NE(view.data, nullptr);
    EXPECT_TRUE(testing::same_bytes(view.bytes(), expected.bytes)) << expected.name;
  }

  // Writing the views back gives the same file, and the same header as the writer's.
  std::vector<TensorToWrite> again;
  for (const TensorView& view : file.tensors()) again.push_back(TensorToWrite::from_view(view));
  write_safetensors(dir / "again.safetensors", again, file.metadata());
  const std::vector<std::byte> original = testing::read_bytes(dir / "all.safetensors");
  EXPECT_TRUE(testing::same_bytes(original, testing::read_bytes(dir / "again.safetensors")));
  EXPECT_EQ(file_header(original), safetensors_header_json(again, file.metadata()));
  EXPECT_EQ(file.header_size() + 8 + file.data_size(), original.size());
  EXPECT_EQ(file.file_bytes().size(), original.size());
}

TEST(SafetensorsRoundTrip, ViewsOutliveTheFileObject) {
  ScratchDir dir;
  const OwnedTensor tensor = random_tensor("w", Dtype::kF32, {64}, 9);
  const TensorToWrite entry = tensor.to_write();
  write_safetensors(dir / "w.safetensors", std::span(&entry, 1));
  TensorView kept;
  {
    const SafetensorsFile file = SafetensorsFile::open(dir / "w.safetensors");
    kept = file.tensor("w");
  }
  std::filesystem::remove(dir / "w.safetensors");  // the mapping survives the unlink too
  EXPECT_TRUE(testing::same_bytes(kept.bytes(), tensor.bytes));
}

TEST(SafetensorsRoundTrip, MissingTensorNamesTheFileAndNearestNames) {
  ScratchDir dir;
  const std::vector<OwnedTensor> tensors = {random_tensor("layers.0.attn.q", Dtype::kF32, {1}, 1),
                                            random_tensor("layers.0.attn.k", Dtype::kF32, {1}, 2),
                                            random_tensor("norm", Dtype::kF32, {1}, 3)};
  write_safetensors(dir / "f.safetensors", testing::to_write(tensors));
  const SafetensorsFile file = SafetensorsFile::open(dir / "f.safetensors");
  EXPECT_FALSE(file.has("layers.0.attn.v"));
  try {
    file.tensor("layers.0.attn.v");
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& error) {
    EXPECT_THAT(error.what(), HasSubstr("f.safetensors"));
    EXPECT_THAT(error.what(), HasSubstr("no tensor 'layers.0.attn.v'"));
    EXPECT_THAT(error.what(), HasSubstr("nearest: 'layers.0.attn.k', 'layers.0.attn.q'"));
  }
}

TEST(SafetensorsWriter, ReplacesFilesAtomicallyAndLeavesNothingOnFailure) {
  ScratchDir dir;
  const OwnedTensor first = random_tensor("x", Dtype::kF32, {4}, 1);
  const TensorToWrite first_entry = first.to_write();
  write_safetensors(dir / "x.safetensors", std::span(&first_entry, 1));
  const std::vector<std::byte> before = testing::read_bytes(dir / "x.safetensors");

  const std::byte too_short[3] = {};
  const TensorToWrite bad{"x", Dtype::kF32, {4}, too_short};
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", std::span(&bad, 1)), CheckpointError);
  EXPECT_TRUE(testing::same_bytes(testing::read_bytes(dir / "x.safetensors"), before));

  const OwnedTensor second = random_tensor("y", Dtype::kF16, {4}, 2);
  const TensorToWrite second_entry = second.to_write();
  write_safetensors(dir / "x.safetensors", std::span(&second_entry, 1));
  EXPECT_TRUE(SafetensorsFile::open(dir / "x.safetensors").has("y"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";

  EXPECT_THROW(write_safetensors(dir / "missing_folder" / "x.safetensors", std::span(&second_entry, 1)),
               CheckpointError);
}

TEST(SafetensorsWriter, RejectsInvalidTensorsNamingThem) {
  const std::byte four[4] = {};
  const auto message_of = [](std::vector<TensorToWrite> tensors) {
    try {
      safetensors_header_json(tensors, std::nullopt);
    } catch (const CheckpointError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message_of({{"a", Dtype::kF32, {1}, four}, {"a", Dtype::kF32, {1}, four}}),
              HasSubstr("tensor 'a' is given twice"));
  EXPECT_THAT(message_of({{"__metadata__", Dtype::kF32, {1}, four}}),
              HasSubstr("tensor '__metadata__': the name is reserved"));
  EXPECT_THAT(message_of({{"w", Dtype::kF32, {2}, four}}),
              HasSubstr("tensor 'w': shape [2] of F32 needs 8 bytes but 4 were given"));
  EXPECT_THAT(message_of({{"n", Dtype::kU8, {-4}, four}}),
              HasSubstr("tensor 'n': shape [-4] has a negative dimension"));
  EXPECT_THAT(message_of({{"bad\xff", Dtype::kU8, {4}, four}}), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(message_of({{"huge", Dtype::kF64, {1LL << 40, 1LL << 40}, four}}),
              HasSubstr("needs more than 2^64 bytes"));
}

}  // namespace
}  // namespace specrouter
