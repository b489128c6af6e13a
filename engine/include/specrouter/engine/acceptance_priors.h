#pragma once
// The acceptance beliefs a run plans with, read from its config: the pool's measured
// agreement of each ordered pair as the prior (`pool.acceptance_prior`), how much it
// weighs and how fast evidence is forgotten (`scheduling.prior_strength`,
// `scheduling.forgetting`). docs/design/robust_routing.md says why.

#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/scheduling/acceptance_beliefs.h"

namespace specrouter::engine {

/// The beliefs of a run over the pool models `names` (pool order, target last):
///
///     pool.acceptance_prior: {draft>target: 0.65, mid>target: 0.71}   # prior means
///     scheduling.acceptance_prior: {ngram>*: 0.3}   # more; `x>*`: x below any model
///     scheduling.prior_strength: 16    # pseudo-tokens behind each prior; 0 = beliefs off
///     scheduling.default_prior: 0.5    # pairs the pool does not list
///     scheduling.forgetting: 0.998     # evidence kept per step
///
/// Entries naming a pair override `x>*` entries of the same map, and the scheduling map
/// overrides the pool's. Throws ConfigError naming the key for a pair that is not
/// `cheaper>dearer` (or `cheaper>*`) of `names`, a mean outside (0, 1), or an invalid strength or factor.
AcceptanceBeliefOptions read_acceptance_beliefs(const ComposedConfig& config, const std::vector<std::string>& names);

}  // namespace specrouter::engine
