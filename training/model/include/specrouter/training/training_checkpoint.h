#pragma once

/// @file
/// @brief Training checkpoints: what an interrupted run needs to continue exactly as if
/// it had not stopped, written atomically.
///
/// Layout under `<output_dir>/checkpoints/`:
///   - `step-NNNNNNNN/weights.safetensors`: the parameters, by Hugging Face name
///   - `step-NNNNNNNN/optimizer.safetensors`: AdamW's moments
///   - `step-NNNNNNNN/state.json`: step, optimiser step count, window-sampler state, the
///     config fingerprint, the last losses
///   - `latest`: the name of the newest complete checkpoint folder
///
/// A checkpoint folder is written under a hidden temporary name and renamed when
/// complete; `latest` is then replaced atomically, and older folders removed. A run
/// killed at any moment leaves `latest` naming a complete checkpoint (or no `latest`).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

namespace specrouter::training {

/// The scalar part of a training checkpoint.
struct TrainingState {
  std::int64_t step = 0;              ///< optimiser steps completed
  std::int64_t optimizer_steps = 0;   ///< AdamW's own count (equals `step`)
  std::string sampler_state;          ///< WindowSampler::state()
  std::string fingerprint;            ///< TrainConfig::fingerprint of the run that wrote it
  double train_loss = 0.0;            ///< loss of the last step
};

/// A whole training checkpoint, in memory.
struct TrainingCheckpoint {
  TrainingState state;                           ///< step, sampler, fingerprint
  std::map<std::string, at::Tensor> weights;     ///< parameters by Hugging Face name (CPU)
  std::map<std::string, at::Tensor> optimizer;   ///< AdamW::state_tensors() (CPU)
};

/// Writes `checkpoint` as the newest checkpoint of `output_dir` (see the file comment);
/// returns its folder. Throws CheckpointError naming the file on an I/O failure.
std::filesystem::path save_training_checkpoint(const std::filesystem::path& output_dir,
                                               const TrainingCheckpoint& checkpoint);

/// The state (step, fingerprint, ...) of the newest checkpoint of `output_dir` without
/// loading its tensors, or std::nullopt when there is none. Throws CheckpointError like
/// load_latest_training_checkpoint.
std::optional<TrainingState> latest_training_state(const std::filesystem::path& output_dir);

/// The newest complete checkpoint of `output_dir`, or std::nullopt when there is none.
/// Throws CheckpointError naming the file when `latest` names a missing or corrupt one.
std::optional<TrainingCheckpoint> load_latest_training_checkpoint(const std::filesystem::path& output_dir);

/// Loads every tensor of a safetensors file as CPU tensors (copies), by name.
std::map<std::string, at::Tensor> load_safetensors_tensors(const std::filesystem::path& file);

/// Writes CPU float32/float64/int64 tensors as a safetensors file, atomically.
void save_safetensors_tensors(const std::filesystem::path& file, const std::map<std::string, at::Tensor>& tensors);

}  // namespace specrouter::training
