#pragma once

/// @file
/// @brief PoolMember: one model of a pool, the one view of it that the step executor,
/// the schedulers, the collaboration schemes and the engine share.

#include <string>

#include "specrouter/types.h"

namespace specrouter {

class Model;  // specrouter/model/model.h

/// One model of a pool: its name, the model, and its KV cache.
///
/// A pool is a list of members ordered by cost, the last being the target; plans
/// (Plan::chain) index it. The view does not own the model. Who holds it decides what is
/// filled in: the step executor's pool (ModelPool) has every field; a scheduler's view
/// may hold members that are not models (the bottom drafter when the engine routes it,
/// the made-up pools of scheduler tests), whose `model` is null.
struct PoolMember {
  std::string name;        ///< pool name from the config ("small", "target"), unique in the pool
  Model* model = nullptr;  ///< the model; not owned, outlives the pool; null for a member that is not a model
  KvModelId kv = 0;        ///< its KV cache in the StateManager the models run on (set once registered)
};

}  // namespace specrouter
