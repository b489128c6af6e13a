#pragma once
// The model pool of an experiment: loading it from the config's `pool` section.

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/engine/model_kernels.h"
#include "specrouter/config/compose.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/scheduler.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::engine {

/// One loaded model of the pool.
struct LoadedModel {
  std::string name;                          ///< pool name (`pool.models[i].name`)
  std::filesystem::path path;                ///< checkpoint folder
  std::unique_ptr<TransformerModel> model;   ///< the loaded model
};

/// The loaded pool: models cheapest first, the target last, and the shared tokenizer.
struct LoadedPool {
  std::vector<LoadedModel> members;       ///< in config order; the last is the target
  std::unique_ptr<Tokenizer> tokenizer;  ///< from the target's folder
  std::vector<TokenId> eos_token_ids;    ///< where generation stops (the target's)

  /// The target model.
  TransformerModel& target() const { return *members.back().model; }
  /// Names as schedulers see them.
  std::vector<PoolModel> scheduler_view() const;
};

/// Registers a KV cache for every model of `members` in `state` (in order, under its
/// name), each with room for all of `prompts` at once: every prompt plus
/// `max_new_tokens` plus `draft_slack` speculative positions, capped by that model's
/// context, plus one block per sequence for copy-on-write. Returns the step executor's
/// view of the models (ModelPool members).
std::vector<PoolMember> register_kv_caches(StateManager& state, const std::vector<LoadedModel>& members,
                                           const std::vector<std::vector<TokenId>>& prompts,
                                           std::int64_t max_new_tokens, std::int64_t draft_slack,
                                           const ModelKernels& kernels);

/// Makes every checkpoint folder of `pool.models` exist that the config says how to
/// make: a random-weight checkpoint for an entry with `random_init`, the model zoo
/// (trained once, about 35 minutes on 2 cores) for an entry with `zoo`. Set-up work, done
/// before a run's or a sweep's clock starts; load_pool() calls it too.
void prepare_pool_checkpoints(const ComposedConfig& config, std::ostream& log);

/// Loads every model of `pool.models` (creating a random-weight checkpoint first where
/// an entry has `random_init` and its folder does not exist yet), computing with
/// `kernels`, each on its `device` (`pool.models[i].device`: cpu, the default, or
/// cuda[:N]; a device this machine lacks is a ConfigError naming the model and the key),
/// and the target's tokenizer. Throws ConfigError / CheckpointError naming the entry and the problem,
/// e.g. two models whose vocabularies differ.
LoadedPool load_pool(const ComposedConfig& config, const ModelKernels& kernels, std::ostream& log);

}  // namespace specrouter::engine
