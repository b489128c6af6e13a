#pragma once
// The model pool of an experiment: loading it from the config's `pool` section.

#include <filesystem>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "specrouter/engine/model_kernels.h"
#include "specrouter/config/compose.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/scheduler.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::engine {

/// A checkpoint folder to load into a pool, under a name.
struct PoolSource {
  std::string name;             ///< pool name, unique in the pool
  std::filesystem::path folder;  ///< checkpoint folder (config.json and weights)
  ModelOptions options;         ///< dtype, device, kernels
  /// Where the folder was given, for errors: a config key ("pool.models[1].path in
  /// configs/pool/zoo.yaml") or a command-line flag ("--model models/small").
  std::string origin;
};

/// The loaded pool: it owns the models, and `members` is the pool's view of them.
struct LoadedPool {
  std::vector<std::unique_ptr<TransformerModel>> models;  ///< owned, in pool order; the last is the target
  /// The view of `models` (PoolMember::kv unset until register_kv_caches()).
  std::vector<PoolMember> members;
  std::filesystem::path target_folder;    ///< the target's checkpoint folder
  std::unique_ptr<Tokenizer> tokenizer;  ///< from the target's folder; null when not loaded
  std::vector<TokenId> eos_token_ids;    ///< where generation stops (the target's)

  /// The target model.
  TransformerModel& target() const { return *models.back(); }
};

/// Registers a KV cache for every model of `members` in `state` (in order, under its
/// name), each with room for all of `prompts` at once: every prompt plus
/// `max_new_tokens` plus `draft_slack` speculative positions, capped by that model's
/// context, plus one block per sequence for copy-on-write. Returns `members` with their
/// KV ids set: the step executor's pool (ModelPool).
std::vector<PoolMember> register_kv_caches(StateManager& state, std::span<const PoolMember> members,
                                           const std::vector<std::vector<TokenId>>& prompts,
                                           std::int64_t max_new_tokens, std::int64_t draft_slack,
                                           const ModelKernels& kernels);

/// Loads `sources` in order (the last is the target), the one path by which both front
/// ends load a pool. Every folder's config.json is read and the vocabularies compared
/// before any weights are loaded; names must be unique. Throws ConfigError naming the
/// source's origin (no such folder, a duplicate name, vocabularies that differ) and
/// CheckpointError for a bad checkpoint. Does not load a tokenizer.
LoadedPool load_pool_folders(std::span<const PoolSource> sources, std::ostream& log);

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
