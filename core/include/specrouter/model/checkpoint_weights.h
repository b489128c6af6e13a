#pragma once

/// @file
/// @brief Model weights read from, and written to, a Hugging Face checkpoint folder.

#include <cstdint>
#include <filesystem>
#include <memory>

#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/checkpoint/checkpoint_writer.h"
#include "specrouter/model/weights.h"

namespace specrouter {

/// The tensors of a checkpoint folder (single file or sharded), by Hugging Face name.
///
/// load() wraps the memory-mapped bytes without copying when the stored dtype is the
/// one asked for, the target is the CPU and the data is aligned; the tensor then holds
/// the mapping alive. Otherwise it converts (bfloat16 -> float32, float32 -> float64,
/// ...) or copies to the device. The mapping is read-only: callers must not write.
class CheckpointWeights final : public WeightSource {
 public:
  /// Opens `dir` with CheckpointFolder::open() (throws CheckpointError naming the folder).
  static CheckpointWeights open(const std::filesystem::path& dir);

  std::vector<std::string> names() const override;
  std::vector<std::int64_t> shape(const std::string& name) const override;
  /// The file name of the shard holding `name`.
  std::string location(const std::string& name) const override;
  /// The folder path.
  std::string description() const override;
  at::Tensor load(const std::string& name, c10::ScalarType dtype, c10::Device device) const override;

  /// The underlying folder (special token ids, side files).
  const CheckpointFolder& folder() const { return *folder_; }

 private:
  explicit CheckpointWeights(std::shared_ptr<const CheckpointFolder> folder) : folder_(std::move(folder)) {}
  std::shared_ptr<const CheckpointFolder> folder_;
};

/// Writes `weights` with `config` as a checkpoint folder that transformers and
/// load_model() both load: config.json from model_config_to_json(), the tensors in
/// their stored dtype, sharded when they exceed `max_shard_bytes`.
void write_model_checkpoint(const std::filesystem::path& dir, const ModelConfig& config,
                            const TensorMapWeights& weights, std::uint64_t max_shard_bytes = kDefaultMaxShardBytes);

}  // namespace specrouter
