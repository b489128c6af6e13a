#pragma once

/// @file
/// @brief A Hugging Face checkpoint folder: its weights (single file or sharded), its
/// side files, and the special token ids its configs declare.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/types.h"

namespace specrouter {

/// @name Files of a Hugging Face checkpoint folder
///@{

/// The weights of an unsharded checkpoint.
inline constexpr const char* kSingleWeightsFile = "model.safetensors";
/// The index of a sharded checkpoint: `weight_map` (tensor -> shard file) and `metadata`.
inline constexpr const char* kShardIndexFile = "model.safetensors.index.json";
/// The model configuration.
inline constexpr const char* kConfigFile = "config.json";
/// Generation defaults, among them the end-of-sequence ids.
inline constexpr const char* kGenerationConfigFile = "generation_config.json";
/// The `tokenizers` library's serialized tokenizer.
inline constexpr const char* kTokenizerFile = "tokenizer.json";
///@}

/// The special token ids a checkpoint declares.
struct SpecialTokenIds {
  /// Every end-of-sequence id (Llama 3 instruct models have several); empty when neither
  /// config declares one.
  std::vector<TokenId> eos_token_ids;
  /// The beginning-of-sequence id, if declared.
  std::optional<TokenId> bos_token_id;
  /// The file the eos ids came from (kGenerationConfigFile or kConfigFile), or empty.
  std::string eos_source;
  /// The file the bos id came from, or empty.
  std::string bos_source;
};

/// The weights and side files of a Hugging Face checkpoint folder, all shards mapped.
///
/// open() looks for `model.safetensors` first and then `model.safetensors.index.json`
/// (the order transformers uses), opens every file eagerly and checks that the index and
/// the shards agree exactly, so any inconsistency is reported before a model is built.
/// Views stay valid while this object lives (or while their `keep_alive` is held).
class CheckpointFolder {
 public:
  /// Opens `dir`; throws CheckpointError naming the folder and what is wrong: the folder
  /// or both weight files missing, a corrupt file, a missing shard, or an index that
  /// disagrees with the shards (a tensor absent from its shard, a tensor in a shard but
  /// not in the index, a tensor stored in two shards).
  static CheckpointFolder open(const std::filesystem::path& dir);

  /// The folder as given to open().
  const std::filesystem::path& dir() const { return dir_; }
  /// True for a sharded checkpoint (read through kShardIndexFile).
  bool is_sharded() const { return sharded_; }
  /// The weight files: the single file, or the shards sorted by name.
  std::vector<std::filesystem::path> weight_files() const;
  /// `metadata.total_size` of the index, when present and a non-negative integer. It is
  /// informational (transformers never checks it), so it is not validated.
  std::optional<std::uint64_t> index_total_size() const { return index_total_size_; }

  /// Every tensor name, sorted (byte-wise).
  const std::vector<std::string>& names() const { return names_; }
  /// True when some weight file holds a tensor called `name`.
  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// The tensor called `name`, or nullptr.
  const TensorView* find(std::string_view name) const;
  /// The tensor called `name`; throws CheckpointError naming the folder, the tensor and
  /// the nearest existing names.
  const TensorView& tensor(std::string_view name) const;
  /// Sum of the byte sizes of all tensors.
  std::uint64_t total_bytes() const;

  /// True when the folder holds a regular file `filename` (e.g. kTokenizerFile).
  bool has_file(std::string_view filename) const;
  /// Path of `filename` in the folder; throws CheckpointError when it does not exist.
  std::filesystem::path file_path(std::string_view filename) const;
  /// Whole contents of `filename`; throws CheckpointError when it is missing or unreadable.
  std::string read_text(std::string_view filename) const;

  /// The special token ids: `eos_token_id` (an integer or a list) from
  /// generation_config.json, falling back to config.json; `bos_token_id` likewise.
  /// A `null` value counts as absent. Throws CheckpointError naming the file and key for
  /// invalid JSON or a value that is not a non-negative 32-bit integer (or a list of them).
  SpecialTokenIds special_token_ids() const;

 private:
  CheckpointFolder() = default;
  void index_tensors();

  std::filesystem::path dir_;
  bool sharded_ = false;
  std::optional<std::uint64_t> index_total_size_;
  std::vector<SafetensorsFile> files_;
  // name -> (index into files_, index into that file's tensors()); indices rather than
  // pointers keep copies of the folder valid.
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> tensors_;
  std::vector<std::string> names_;
};

}  // namespace specrouter
