#pragma once
// The kit's models: a pool of three small random-weight transformers sharing one
// vocabulary, a random target and noisy copies of it as cheaper models, so drafts are
// accepted often but not always. Created by the kit on first use (nothing is
// downloaded), once per process, and never freed (tensors outliving libtorch's own
// static state at exit is what would crash).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "specrouter/conformance/component.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/state/state_manager.h"

namespace specrouter::conformance::detail {

/// Pool indices of every kit pool.
inline constexpr int kSmall = 0, kMedium = 1, kTarget = 2;

/// Three models in one StateManager, as a ModelPool named "small", "medium", "target".
struct ModelWorld {
  std::vector<std::unique_ptr<TransformerModel>> models;  ///< pool order, target last
  StateManager state;                                      ///< every model's KV cache
  std::optional<ModelPool> pool;                           ///< the models by name
  TestModels description;                                  ///< what parameters may refer to

  /// The target.
  TransformerModel& target() { return *models.back(); }

  /// `config`'s target with random weights (`seed`), the small and medium models its
  /// copies with Gaussian noise of `small_noise` and `medium_noise` times each tensor's
  /// standard deviation; `blocks` KV blocks of 4 positions per model.
  ModelWorld(const ModelConfig& config, double small_noise, double medium_noise, std::uint64_t seed,
             std::int64_t blocks, bool debug_checks);
};

/// The greedy checks' pool: vocabulary 97, two layers, double precision; the state
/// manager's debug checks on.
ModelWorld& greedy_world();

/// The sampled checks' pool: vocabulary 8, so that the exact distribution of two tokens
/// has 64 cells; room for 2,000 sequences at once.
ModelWorld& sampling_world();

/// Computes libtorch's operators on one thread while alive: the models are tiny, and
/// threads spin-waiting for each other on a busy machine cost more than they compute.
class SingleThreadedCompute {
 public:
  SingleThreadedCompute();
  ~SingleThreadedCompute();
  SingleThreadedCompute(const SingleThreadedCompute&) = delete;
  SingleThreadedCompute& operator=(const SingleThreadedCompute&) = delete;

 private:
  int previous_threads_;
};

}  // namespace specrouter::conformance::detail
