#pragma once

/// @file
/// @brief AdamW with decoupled weight decay, the warm-up + cosine learning-rate
/// schedule, and gradient clipping by global norm.
///
/// Written out rather than taken from torch::optim so that its whole state is a list of
/// named tensors plus a step count: a training checkpoint stores it in a safetensors
/// file and restores it exactly.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace specrouter::training {

/// Hyper-parameters of AdamW and its schedule (the `optim` section of a train config).
struct OptimizerConfig {
  double lr = 3e-3;            ///< peak learning rate, reached at the end of warm-up
  double min_lr = 3e-4;        ///< learning rate at the last step of the cosine decay
  std::int64_t warmup_steps = 50;  ///< linear warm-up from lr/warmup_steps to lr
  double weight_decay = 0.1;   ///< decoupled decay of matrices (not of norm weights)
  double beta1 = 0.9;          ///< first-moment decay
  double beta2 = 0.95;         ///< second-moment decay
  double eps = 1e-8;           ///< added to the root of the second moment
  double grad_clip = 1.0;      ///< largest global gradient norm; 0 disables clipping
};

/// The learning rate of step `step` (0-based) out of `total_steps`: linear warm-up over
/// the first `warmup_steps` steps, then cosine decay from `lr` to `min_lr` at the last step.
double learning_rate(const OptimizerConfig& config, std::int64_t step, std::int64_t total_steps);

/// Scales every gradient so that their global L2 norm is at most `max_norm` (when it is
/// positive) and returns the norm before scaling.
double clip_gradients(const std::vector<at::Tensor>& parameters, double max_norm);

/// AdamW (Loshchilov & Hutter) over a fixed list of parameters.
class AdamW {
 public:
  /// Moments start at zero; `decays[i]` says whether parameter i takes weight decay.
  AdamW(std::vector<at::Tensor> parameters, std::vector<bool> decays, OptimizerConfig config);

  /// Applies one update with learning rate `lr` from the parameters' `.grad()`, then
  /// clears the gradients. Parameters without a gradient are left alone.
  void step(double lr);

  /// Updates taken so far.
  std::int64_t steps_taken() const { return steps_taken_; }

  /// The moments as named tensors (`exp_avg.<i>`, `exp_avg_sq.<i>`), CPU copies.
  std::map<std::string, at::Tensor> state_tensors() const;
  /// Restores moments saved by state_tensors() and the step count; throws
  /// CheckpointError naming `source` and the tensor when one is missing or mis-shaped.
  void load_state(const std::map<std::string, at::Tensor>& tensors, std::int64_t steps_taken,
                  const std::string& source);

 private:
  std::vector<at::Tensor> parameters_;
  std::vector<bool> decays_;
  OptimizerConfig config_;
  std::vector<at::Tensor> exp_avg_;
  std::vector<at::Tensor> exp_avg_sq_;
  std::int64_t steps_taken_ = 0;
};

}  // namespace specrouter::training
