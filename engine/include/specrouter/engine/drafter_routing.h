#pragma once
// The bottom drafter (prompt lookup, n-gram LM, a model drafter) as a member of the pool
// that schedulers route: index 0 of their view, below the pool models, which move up by
// one. A routed plan whose chain starts at 0 runs the drafter below its first pool model
// with the plan's first draft length; one that does not leaves the drafter out of the
// step. docs/design/robust_routing.md.

#include <span>
#include <string>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/scheduler.h"

namespace specrouter::engine {

/// Translates between the schedulers' routed view of the pool and the executor's.
class DrafterRouting {
 public:
  /// `drafter`: the bottom drafter's name in the routed view; `pool`: the executor's pool
  /// models, target last. Throws ConfigError when the name is one of the pool's.
  DrafterRouting(std::string drafter, std::span<const PoolMember> pool);

  /// The schedulers' view: the drafter (a member with no model), then the pool.
  std::span<const PoolMember> view() const { return view_; }
  /// The names of view(), for estimates.
  std::vector<std::string> names() const;

  /// The executor's plan of `routed` (a plan over view()): the drafter proposes
  /// `routed.draft_lengths[0]` tokens when the chain starts at it, none otherwise.
  Plan to_executor(const Plan& routed) const;

  /// `step`, run with `to_executor(routed)`, as estimates over view() see it: the
  /// drafter's calls are model 0's, pool models move up by one, and the drafter's
  /// proposals become the record of a level of their own. A round in which the drafter
  /// proposed fewer tokens than asked (prompt lookup without a match) and all were
  /// accepted counts as ending in a rejection, since the tokens it could not propose were
  /// not accepted: acceptance is then "proposed and kept", what the chain cost model's
  /// tokens per round need.
  StepResult to_routed(const StepResult& step, const Plan& routed) const;

 private:
  std::vector<PoolMember> view_;
};

}  // namespace specrouter::engine
