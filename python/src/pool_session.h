#pragma once
// A loaded pool and what Python asks of it: plain generation with the target,
// speculative generation with a chain, and the logits of a model. Plain C++ (no Python
// types), so the binding layer only converts arguments and results.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components.h"
#include "specrouter/engine/model_kernels.h"
#include "specrouter/engine/pool.h"
#include "specrouter/model/generate.h"

namespace specrouter::python {

/// What speculate() runs: the chain, its verifier and collaboration, an optional bottom
/// drafter and an optional scheduler choosing the plan step by step.
struct SpeculateRequest {
  std::vector<std::string> chain;    ///< pool names, cheapest first, target last; empty: the whole pool
  std::vector<int> draft_lengths;    ///< one per level below the target; empty: 4 each
  std::string verifier = "token";
  ParamValues verifier_params;
  std::string collaboration = "collaborative_verification";
  ParamValues collaboration_params;
  std::string drafter;               ///< bottom drafter plugin; empty: none
  ParamValues drafter_params;
  int drafter_length = 4;            ///< tokens the drafter proposes per round
  std::string scheduler;             ///< scheduler plugin choosing each step's plan; empty: the fixed chain
  ParamValues scheduler_params;
  GenerationOptions generation;      ///< max_new_tokens, sampling, seed, eos ids
};

/// What speculate() returns.
struct SpeculateOutput {
  std::vector<GenerationResult> results;  ///< per prompt
  std::string statistics_json;            ///< SpeculationStats::to_json()
};

/// A pool loaded from checkpoint folders, with the kernels of configs/kernels/cpu.yaml.
class PoolSession {
 public:
  /// Loads `sources` (the last is the target) through load_pool_folders(), and the
  /// target's tokenizer when its folder has tokenizer.json.
  PoolSession(std::vector<engine::PoolSource> sources, const engine::KernelChoices& kernels);

  /// Pool names in pool order.
  std::vector<std::string> names() const;
  /// The target's tokenizer, or null.
  const Tokenizer* tokenizer() const { return pool_.tokenizer.get(); }
  /// The target's end-of-sequence ids.
  const std::vector<TokenId>& eos_token_ids() const { return pool_.eos_token_ids; }
  /// The loaded pool.
  const engine::LoadedPool& pool() const { return pool_; }

  /// Plain decoding with the target alone (the core's generate()).
  std::vector<GenerationResult> generate(const std::vector<std::vector<TokenId>>& prompts,
                                         const GenerationOptions& options);

  /// Speculative decoding through engine::speculative_generate().
  SpeculateOutput speculate(const std::vector<std::vector<TokenId>>& prompts, const SpeculateRequest& request);

  /// The logits of every position of `tokens` under model `name` (empty: the target):
  /// [len(tokens), vocab] on the CPU, float32 (float64 for a float64 model).
  at::Tensor logits(const std::string& name, const std::vector<TokenId>& tokens);

 private:
  int index_of(const std::string& name) const;

  engine::LoadedPool pool_;
  engine::ModelKernels kernels_;
};

}  // namespace specrouter::python
