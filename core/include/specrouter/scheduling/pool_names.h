#pragma once

/// @file
/// @brief Pool models by name, for schedulers configured with model names (a static
/// chain, bandit arms): lookup, lists for messages, and a named chain resolved and
/// checked against the pool.

#include <span>
#include <string>
#include <vector>

#include "specrouter/scheduler.h"

namespace specrouter {

/// Pool index of the model named `name`, or -1.
int find_pool_model(std::span<const PoolMember> pool, const std::string& name);

/// "small, medium, target": the pool's names in order, for messages.
std::string pool_names(std::span<const PoolMember> pool);

/// Pool indices of the chain `names` (cheapest first): every name a pool model, in pool
/// order, each once, the last the target. An empty list is plain decoding, `{target}`.
/// Throws ConfigError, starting with `owner` ("scheduler 'static'"), naming the entry
/// and listing the pool, otherwise (and for an empty pool).
std::vector<int> resolve_chain(std::span<const PoolMember> pool, const std::vector<std::string>& names,
                               const std::string& owner);

/// resolve_chain() for schedulers that always draft: an empty list is the cheapest model
/// below the target, `{0, target}`, refused with ConfigError when the pool holds only the
/// target.
std::vector<int> resolve_drafting_chain(std::span<const PoolMember> pool, const std::vector<std::string>& names,
                                        const std::string& owner);

}  // namespace specrouter
