#pragma once

/// @file
/// @brief Tokenized training text and the windows a training step reads from it.

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/types.h"

namespace specrouter::training {

/// Encodes each text file with `tokenizer` (no special tokens added by encoding) and
/// concatenates them, the tokenizer's EOS (when it has one) after each file, so no
/// window sees two files joined without a boundary marker. Throws ConfigError naming
/// the file when it cannot be read or is empty.
std::vector<TokenId> tokenize_files(const std::vector<std::filesystem::path>& files, const Tokenizer& tokenizer);

/// A batch of windows: `inputs` and `targets` int64 `[batch, window]`, targets shifted by
/// one token (the next-token labels).
struct WindowBatch {
  at::Tensor inputs;   ///< tokens [start, start + window)
  at::Tensor targets;  ///< tokens [start + 1, start + window + 1)
};

/// Draws training windows at uniformly random starts from a seeded generator whose
/// state can be saved and restored, so an interrupted run resumes the same sequence of
/// batches.
class WindowSampler {
 public:
  /// Throws ConfigError when `tokens` holds fewer than window + 1 tokens (`source` names
  /// the data in the message).
  WindowSampler(const std::vector<TokenId>* tokens, std::int64_t window, std::uint64_t seed, const std::string& source);

  /// The next `batch` random windows (CPU tensors).
  WindowBatch next(std::int64_t batch);

  /// The generator state as text (std::mt19937_64's stream format).
  std::string state() const;
  /// Restores a state from state(); throws CheckpointError naming `source` when malformed.
  void set_state(const std::string& state, const std::string& source);

 private:
  const std::vector<TokenId>* tokens_;
  std::int64_t window_;
  std::mt19937_64 generator_;
};

/// `count` evenly spaced windows over `tokens` (the same ones every time), for held-out
/// evaluation; fewer when the text is short (at least one). Throws ConfigError when
/// `tokens` holds fewer than window + 1 tokens.
WindowBatch evaluation_windows(const std::vector<TokenId>& tokens, std::int64_t window, std::int64_t count,
                               const std::string& source);

}  // namespace specrouter::training
