#pragma once

/// @file
/// @brief Writing a Hugging Face checkpoint folder, single-file or sharded, as
/// transformers' `save_pretrained` does.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "specrouter/checkpoint/safetensors_writer.h"

namespace specrouter {

/// transformers' default `max_shard_size` ("50GB", decimal units).
inline constexpr std::uint64_t kDefaultMaxShardBytes = 50'000'000'000;

/// How write_checkpoint_folder() writes the folder.
struct CheckpointWriteOptions {
  /// Largest shard in bytes of tensor data; a tensor larger than this gets a shard of
  /// its own. Must be positive.
  std::uint64_t max_shard_bytes = kDefaultMaxShardBytes;
  /// `__metadata__` of every weight file; transformers writes `{"format": "pt"}`.
  std::optional<SafetensorsMetadata> weights_metadata = SafetensorsMetadata{{"format", "pt"}};
  /// Text of generation_config.json, or std::nullopt to write none.
  std::optional<std::string> generation_config_json_text;
  /// A tokenizer.json file to copy into the folder (at most one of this and the next).
  std::optional<std::filesystem::path> tokenizer_json_path;
  /// Text of tokenizer.json.
  std::optional<std::string> tokenizer_json_text;
};

/// How tensors are split into weight files: `files[i]` holds the tensors whose indices
/// (into the caller's list) are `tensors_per_file[i]`, in the caller's order.
struct ShardPlan {
  std::vector<std::string> files;                         ///< file names, in order
  std::vector<std::vector<std::size_t>> tensors_per_file;  ///< tensor indices per file
  std::uint64_t total_size = 0;                           ///< sum of all tensor byte sizes

  /// True when there is more than one file (so an index is written).
  bool is_sharded() const { return files.size() > 1; }
};

/// Splits tensors into shards exactly as huggingface_hub's `split_state_dict_into_shards`
/// (used by `save_pretrained`): walk the tensors in the given order; a tensor larger
/// than `max_shard_bytes` gets a shard of its own; otherwise start a new shard when
/// adding it would exceed the limit. One shard is named `model.safetensors`; more are
/// `model-00001-of-0000N.safetensors`. An empty list gives one empty `model.safetensors`.
/// Throws CheckpointError when `max_shard_bytes` is 0.
ShardPlan plan_shards(std::span<const TensorToWrite> tensors, std::uint64_t max_shard_bytes);

/// Writes a checkpoint folder that transformers loads and whose files are byte for byte
/// those `save_pretrained(max_shard_size=...)` writes for the same tensors in the same
/// order: the weight files, `model.safetensors.index.json` when sharded (`json.dumps(
/// indent=2, sort_keys=True)` with `total_parameters` and `total_size`), and
/// `config.json` as given.
///
/// Creates `dir` if needed. Every file is written atomically; the index is written after
/// its shards. Weight files of an earlier save that the new one does not use
/// (`model.safetensors`, the index, `model-XXXXX-of-YYYYY.safetensors`) are removed
/// afterwards, so the folder never looks like both kinds. Throws CheckpointError naming
/// the file or tensor for invalid tensors, config text that is not a JSON object, both
/// tokenizer options set, or an I/O failure. Returns the weight files written.
std::vector<std::filesystem::path> write_checkpoint_folder(
    const std::filesystem::path& dir, std::span<const TensorToWrite> tensors,
    const std::string& config_json_text, const CheckpointWriteOptions& options = {});

}  // namespace specrouter
