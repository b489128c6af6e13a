#pragma once

/// @file
/// @brief One training run: from a TrainConfig to a Hugging Face checkpoint folder,
/// resuming from the run's last training checkpoint when there is one.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <ostream>
#include <vector>

#include "specrouter/training/train_config.h"

namespace specrouter::training {

/// One held-out evaluation.
struct Evaluation {
  std::int64_t step = 0;      ///< optimiser steps completed when it ran
  double heldout_loss = 0.0;  ///< mean next-token cross-entropy (nats per token)
  /// Mean KL(teacher || student) at temperature 1 on the same windows; NaN without a teacher.
  double kl_to_teacher = std::numeric_limits<double>::quiet_NaN();
};

/// What train() did.
struct TrainingResult {
  std::int64_t resumed_from = 0;  ///< the checkpoint step this run continued from (0: a fresh start)
  std::int64_t steps_done = 0;    ///< optimiser steps completed in total
  bool finished = false;          ///< all steps done and the model folder written
  double train_loss = 0.0;        ///< loss of the last step
  double tokens_per_second = 0.0;  ///< training throughput of this run's own steps
  std::int64_t parameters = 0;    ///< parameters of the model
  std::vector<Evaluation> evaluations;  ///< in step order (the first one before any step of a fresh run)
  std::filesystem::path model_dir;      ///< `<output_dir>/model`: config.json, model.safetensors, ...
};

/// Hooks for tests and tools.
struct TrainingHooks {
  /// Called after every completed step (and its checkpoint, if one was due); returning
  /// true stops the run there, as an interruption would.
  std::function<bool(std::int64_t step)> stop_after;
  /// Whether `log` is a terminal (draw a bar) or not (plain lines).
  bool interactive = false;
};

/// Trains the model `config` describes and writes `<output_dir>/model` (config.json,
/// model.safetensors, generation_config.json and a copy of the tokenizer.json).
///
/// When `<output_dir>/checkpoints` holds a checkpoint, the run continues from it: the
/// weights, optimiser moments, step and window-sampler state are restored, so the final
/// weights equal those of an uninterrupted run (bit for bit with the same thread count on
/// the CPU). A checkpoint written under different settings (TrainConfig::fingerprint)
/// is refused with a ConfigError naming the first differing key. Progress, evaluations
/// and checkpoints are reported on `log`. Deterministic for a given config (seed,
/// threads) on the CPU.
TrainingResult train(const TrainConfig& config, std::ostream& log, const TrainingHooks& hooks = {});

}  // namespace specrouter::training
