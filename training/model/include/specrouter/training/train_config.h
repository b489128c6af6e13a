#pragma once

/// @file
/// @brief The `train` experiment's settings, read from a composed config
/// (configs/train/config.yaml) and checked value by value.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/model/model_config.h"
#include "specrouter/training/adamw.h"

namespace specrouter::training {

/// Where the text comes from and how it is cut (the `data` section).
struct DataConfig {
  std::vector<std::filesystem::path> train;    ///< training text files (UTF-8)
  std::vector<std::filesystem::path> heldout;  ///< held-out text files; empty: no evaluation
  std::filesystem::path tokenizer;   ///< a tokenizer.json (or a folder holding one) the runtime loads
  std::int64_t window = 128;         ///< tokens per training window
  std::int64_t batch_size = 16;      ///< windows per step
  std::int64_t eval_windows = 16;    ///< held-out windows per evaluation
};

/// Knowledge distillation from a teacher checkpoint (the `distill` section).
struct DistillConfig {
  /// Teacher checkpoint folder (same vocabulary); unset: plain next-token training.
  std::optional<std::filesystem::path> teacher;
  double temperature = 2.0;  ///< softens both distributions in the KL term
  /// Weight of the KL term: loss = (1 - alpha) * CE + alpha * T^2 * KL(teacher || student).
  double alpha = 0.5;
};

/// Everything one training run needs.
struct TrainConfig {
  std::string name;                 ///< `model.name`: names the run in messages
  ModelConfig model;                ///< the architecture written to config.json
  DataConfig data;                  ///< text, tokenizer, windows
  OptimizerConfig optim;            ///< AdamW and its schedule
  DistillConfig distill;            ///< optional teacher
  std::int64_t steps = 1000;        ///< optimiser steps in total
  std::uint64_t seed = 0;           ///< initial weights and window order
  int threads = 2;                  ///< CPU threads (0: all)
  std::string device = "cpu";       ///< "cpu" or "cuda" (needs a CUDA libtorch)
  std::string dtype = "float32";    ///< "float32" or "float64" (exactness tests)
  double init_std = 0.02;           ///< standard deviation of initial matrices
  std::filesystem::path output_dir;  ///< holds checkpoints/ and model/
  std::int64_t checkpoint_every = 100;  ///< steps between training checkpoints (0: only at the end)
  std::int64_t eval_every = 100;        ///< steps between held-out evaluations (0: only at the end)
  std::int64_t log_every = 10;          ///< steps between progress lines when stdout is not a terminal
  /// The settings that decide the result, as canonical text: a checkpoint made under
  /// another fingerprint is not resumed.
  std::string fingerprint;
};

/// Reads and checks a composed train config. `vocab_size: auto` takes the tokenizer's
/// size; `bos_token_id`/`eos_token_id` come from the tokenizer. Relative paths are kept
/// as given (relative to the working directory). Throws ConfigError naming the key (with
/// the file and line or override that set it) for a missing or unknown key, a value of
/// the wrong type or out of range, a model shape the runtime or the trainer refuses, or
/// a tokenizer that cannot be loaded.
TrainConfig parse_train_config(const ComposedConfig& config);

}  // namespace specrouter::training
