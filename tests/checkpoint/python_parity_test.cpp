// Parity with the Python libraries the checkpoints come from: files written by
// `safetensors` and `transformers` read bit-identically and rewrite byte for byte; files
// written here load in `safetensors` with identical values and equal its own output.
// Skips when the project's Python is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/checkpoint/checkpoint_writer.h"
#include "specrouter/checkpoint/safetensors_file.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;
using testing::ScratchDir;
namespace fs = std::filesystem;

// One tensor of a TSV manifest (see scripts/oracles/safetensors_oracle.py), with its bytes.
struct ManifestEntry {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;
};

std::vector<ManifestEntry> read_manifest(const fs::path& stem) {
  const std::vector<std::byte> blob = testing::read_bytes(stem.string() + ".bin");
  std::istringstream tsv(testing::read_text(stem.string() + ".tsv"));
  std::vector<ManifestEntry> entries;
  std::string line;
  while (std::getline(tsv, line)) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    EXPECT_EQ(fields.size(), 5u) << line;
    ManifestEntry entry{fields[0], fields[1], {}, {}};
    std::istringstream dims(fields[2]);
    for (std::string dim; std::getline(dims, dim, ',');) entry.shape.push_back(std::stoll(dim));
    const std::size_t offset = std::stoull(fields[3]);
    const std::size_t nbytes = std::stoull(fields[4]);
    entry.bytes.assign(blob.begin() + static_cast<std::ptrdiff_t>(offset),
                       blob.begin() + static_cast<std::ptrdiff_t>(offset + nbytes));
    entries.push_back(std::move(entry));
  }
  return entries;
}

void write_manifest(const fs::path& stem, const std::vector<testing::OwnedTensor>& tensors,
                    const SafetensorsMetadata& metadata) {
  std::string tsv;
  std::vector<std::byte> blob;
  for (const testing::OwnedTensor& tensor : tensors) {
    std::string shape;
    for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
      shape += (d ? "," : "") + std::to_string(tensor.shape[d]);
    }
    tsv += tensor.name + "\t" + std::string(dtype_name(tensor.dtype)) + "\t" + shape + "\t" +
           std::to_string(blob.size()) + "\t" + std::to_string(tensor.bytes.size()) + "\n";
    blob.insert(blob.end(), tensor.bytes.begin(), tensor.bytes.end());
  }
  testing::write_text(stem.string() + ".tsv", tsv);
  testing::write_bytes(stem.string() + ".bin", blob);
  std::string meta;
  for (const auto& [key, value] : metadata) meta += key + "\t" + value + "\n";
  testing::write_text(stem.string() + ".meta.tsv", meta);
}

class PythonParity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(SPECROUTER_PYTHON)) {
      GTEST_SKIP() << "Python interpreter " << SPECROUTER_PYTHON << " not found";
    }
  }

  // Runs the oracle script; fails the test (with the script's output) unless it exits 0.
  std::string run_oracle(const std::string& command, const fs::path& folder) {
    const fs::path log = folder / (command + ".log");
    const std::string line = "'" + std::string(SPECROUTER_PYTHON) + "' '" +
                             SPECROUTER_CHECKPOINT_ORACLE + "' " + command + " '" +
                             folder.string() + "' > '" + log.string() + "' 2>&1";
    const int status = std::system(line.c_str());
    const std::string output = testing::read_text(log);
    EXPECT_EQ(status, 0) << line << "\n" << output;
    return output;
  }

  ScratchDir dir_;
};

void expect_matches_manifest(const TensorView& view, const ManifestEntry& entry) {
  EXPECT_EQ(dtype_name(view.dtype), entry.dtype) << entry.name;
  EXPECT_EQ(view.shape, entry.shape) << entry.name;
  EXPECT_TRUE(testing::same_bytes(view.bytes(), entry.bytes)) << entry.name;
}

std::vector<TensorToWrite> views_to_write(const std::vector<TensorView>& views) {
  std::vector<TensorToWrite> out;
  for (const TensorView& view : views) out.push_back(TensorToWrite::from_view(view));
  return out;
}

// Files and a sharded folder written here, with their manifest, for the oracle to check.
void write_cpp_files(const fs::path& dir) {
  std::vector<testing::OwnedTensor> tensors;
  std::uint32_t seed = 100;
  for (const Dtype dtype : kAllDtypes) {
    tensors.push_back(testing::random_tensor("w." + std::string(dtype_name(dtype)), dtype, {2, 3}, seed++));
  }
  tensors.push_back(testing::random_tensor("scalar", Dtype::kF32, {}, seed++));
  tensors.push_back(testing::random_tensor("empty", Dtype::kBF16, {0, 4}, seed++));
  tensors.push_back(testing::random_tensor("emb.é", Dtype::kBF16, {16, 4}, seed++));
  // Finite floats only: random bits may spell NaNs, which compare unequal in Python.
  for (testing::OwnedTensor& tensor : tensors) {
    if (is_float_dtype(tensor.dtype) || tensor.dtype == Dtype::kF8E4M3 || tensor.dtype == Dtype::kF8E5M2) {
      std::vector<float> values(tensor.bytes.size() / element_size(tensor.dtype));
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f - 1.0f;
      if (is_float_dtype(tensor.dtype)) tensor.bytes = from_float32(values, tensor.dtype);
      else std::fill(tensor.bytes.begin(), tensor.bytes.end(), std::byte{0x38});
    }
  }
  const SafetensorsMetadata metadata = {{"format", "pt"}};
  write_safetensors(dir / "cpp.safetensors", testing::to_write(tensors), metadata);
  CheckpointWriteOptions options;
  options.max_shard_bytes = 64;
  write_checkpoint_folder(dir / "cpp_folder", testing::to_write(tensors), "{}", options);
  write_manifest(dir / "cpp", tensors, metadata);
}

// Files written by `safetensors.torch.save_file` read bit-identically and rewrite to the
// same bytes.
void check_python_written_files(const fs::path& dir) {
  for (const std::string stem : {"dtypes", "nometa"}) {
    SCOPED_TRACE(stem);
    const fs::path path = dir / (stem + ".safetensors");
    const SafetensorsFile file = SafetensorsFile::open(path);
    const std::vector<ManifestEntry> manifest = read_manifest(dir / stem);
    ASSERT_EQ(file.names().size(), manifest.size());
    for (const ManifestEntry& entry : manifest) expect_matches_manifest(file.tensor(entry.name), entry);
    EXPECT_EQ(file.has_metadata(), stem == "dtypes");
    if (stem == "dtypes") EXPECT_EQ(file.metadata(), (SafetensorsMetadata{{"format", "pt"}}));

    const std::optional<SafetensorsMetadata> metadata =
        file.has_metadata() ? std::optional(file.metadata()) : std::nullopt;
    write_safetensors(dir / "rewritten.safetensors", views_to_write(file.tensors()), metadata);
    EXPECT_TRUE(testing::same_bytes(testing::read_bytes(dir / "rewritten.safetensors"),
                                    testing::read_bytes(path)))
        << "the rewrite differs from the library's file";
  }
}

// torch's float32 -> bfloat16/half rounding and its widening of every 16-bit pattern.
void check_conversions_match_torch(const fs::path& dir) {
  const SafetensorsFile file = SafetensorsFile::open(dir / "conversions.safetensors");
  const std::vector<float> source = to_float32(Dtype::kF32, file.tensor("conv.source").bytes());
  const auto* bf16 = reinterpret_cast<const std::uint16_t*>(file.tensor("conv.bf16").data);
  const auto* f16 = reinterpret_cast<const std::uint16_t*>(file.tensor("conv.f16").data);
  ASSERT_GT(source.size(), 30000u);
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (std::isnan(source[i])) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(bf16[i])) && std::isnan(f16_to_f32(f16[i])));
      continue;
    }
    ASSERT_EQ(f32_to_bf16(source[i]), bf16[i]) << "bf16 of " << source[i] << " (index " << i << ")";
    ASSERT_EQ(f32_to_f16(source[i]), f16[i]) << "f16 of " << source[i] << " (index " << i << ")";
  }
  const auto* bits = reinterpret_cast<const std::uint16_t*>(file.tensor("all_f16.bits").data);
  const std::vector<float> half_widened = to_float32(Dtype::kF32, file.tensor("all_f16.widened").bytes());
  const std::vector<float> bf16_widened = to_float32(Dtype::kF32, file.tensor("all_bf16.widened").bytes());
  ASSERT_EQ(half_widened.size(), 65536u);
  for (std::size_t i = 0; i < 65536; ++i) {
    const float ours_half = f16_to_f32(bits[i]);
    const float ours_bf16 = bf16_to_f32(bits[i]);
    if (std::isnan(half_widened[i])) {
      EXPECT_TRUE(std::isnan(ours_half));
    } else {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(ours_half), std::bit_cast<std::uint32_t>(half_widened[i]))
          << "half bits " << bits[i];
    }
    if (std::isnan(bf16_widened[i])) {
      EXPECT_TRUE(std::isnan(ours_bf16));
    } else {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(ours_bf16), std::bit_cast<std::uint32_t>(bf16_widened[i]));
    }
  }
}

TEST_F(PythonParity, SafetensorsLibraryAgreesBothWays) {
  write_cpp_files(dir_.path());
  // One interpreter start: checks what was written here, then writes its own files.
  const std::string output = run_oracle("safetensors", dir_.path());
  EXPECT_THAT(output, HasSubstr("OK single file loads identically and equals the library's bytes"));
  EXPECT_THAT(output, HasSubstr("OK sharded folder loads identically"));
  ASSERT_FALSE(HasFailure()) << "the oracle failed; its files are incomplete";
  check_python_written_files(dir_.path());
  check_conversions_match_torch(dir_.path());
}

TEST_F(PythonParity, TransformersCheckpointsReadBitIdenticalAndRewriteByteForByte) {
  run_oracle("llama", dir_.path());
  ASSERT_FALSE(HasFailure()) << "the oracle failed";
  const std::vector<ManifestEntry> state_dict = read_manifest(dir_ / "llama");

  for (const std::string saved : {"llama", "llama_single"}) {
    const CheckpointFolder folder = CheckpointFolder::open(dir_ / saved);
    EXPECT_EQ(folder.is_sharded(), saved == "llama");
    ASSERT_EQ(folder.names().size(), state_dict.size());
    for (const ManifestEntry& entry : state_dict) expect_matches_manifest(folder.tensor(entry.name), entry);
    const SpecialTokenIds ids = folder.special_token_ids();
    EXPECT_EQ(ids.eos_token_ids, (std::vector<TokenId>{2, 5}));
    EXPECT_EQ(ids.bos_token_id, 1);
    if (folder.is_sharded()) EXPECT_EQ(folder.index_total_size(), folder.total_bytes());

    // Rewrite in state_dict order (the order save_pretrained shards in), with the same limit.
    std::vector<TensorToWrite> tensors;
    for (const ManifestEntry& entry : state_dict) {
      tensors.push_back(TensorToWrite::from_view(folder.tensor(entry.name)));
    }
    CheckpointWriteOptions options;
    if (saved == "llama") options.max_shard_bytes = 20'000;
    options.generation_config_json_text = folder.read_text(kGenerationConfigFile);
    const fs::path rewritten = dir_ / (saved + "_cpp");
    write_checkpoint_folder(rewritten, tensors, folder.read_text(kConfigFile), options);

    std::vector<std::string> python_files;
    for (const auto& file : fs::directory_iterator(dir_ / saved)) {
      python_files.push_back(file.path().filename().string());
    }
    std::size_t rewritten_count = 0;
    for ([[maybe_unused]] const auto& file : fs::directory_iterator(rewritten)) ++rewritten_count;
    EXPECT_EQ(rewritten_count, python_files.size());
    for (const std::string& name : python_files) {
      EXPECT_TRUE(testing::same_bytes(testing::read_bytes(rewritten / name),
                                      testing::read_bytes(dir_ / saved / name)))
          << saved << "/" << name << " differs from transformers' file";
    }
  }
}

}  // namespace
}  // namespace specrouter
