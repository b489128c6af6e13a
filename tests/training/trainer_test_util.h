#pragma once
// Shared by the trainer tests: generated text, a byte-level tokenizer file, and train
// configs composed from configs/train exactly as `specrouter train` composes them.
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "specrouter/training/train_config.h"
#include "specrouter/training/trainable_llama.h"

namespace specrouter::training::test {

/// An empty scratch folder under the build tree, unique to `name`.
std::filesystem::path scratch_dir(const std::string& name);

/// Repetitive English-like text: sentences from a small grammar, drawn with `seed`.
std::string grammar_text(std::size_t sentences, std::uint64_t seed);

/// A folder with train.txt, heldout.txt (grammar text of two seeds) and a byte-level
/// tokenizer.json; created once per process.
struct TinyData {
  std::filesystem::path train;      ///< training text
  std::filesystem::path heldout;    ///< held-out text
  std::filesystem::path tokenizer;  ///< byte tokenizer.json
};
const TinyData& tiny_data();

/// The train config of configs/train composed with the tiny data and `overrides`
/// (applied last), writing to `output_dir`.
ComposedConfig compose_train(const std::filesystem::path& output_dir, const std::vector<std::string>& overrides);

/// parse_train_config(compose_train(...)).
TrainConfig tiny_train_config(const std::filesystem::path& output_dir, const std::vector<std::string>& overrides);

/// The model of a checkpoint folder as a TrainableLlama (no gradients).
TrainableLlama load_trainable(const std::filesystem::path& model_dir, c10::ScalarType dtype);

/// Held-out windows of the tiny data as one [count, window] batch of inputs.
at::Tensor heldout_inputs(std::int64_t window, std::int64_t count);

}  // namespace specrouter::training::test
