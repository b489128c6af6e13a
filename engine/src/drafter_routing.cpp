#include "specrouter/engine/drafter_routing.h"

#include <algorithm>
#include <utility>

#include "specrouter/error.h"

namespace specrouter::engine {

DrafterRouting::DrafterRouting(std::string drafter, std::span<const PoolMember> pool) {
  for (const PoolMember& model : pool) {
    if (model.name == drafter) {
      throw ConfigError("the drafter '" + drafter + "' has the name of a pool model; rename the pool model");
    }
  }
  view_.push_back({std::move(drafter)});
  view_.insert(view_.end(), pool.begin(), pool.end());
}

std::vector<std::string> DrafterRouting::names() const {
  std::vector<std::string> names;
  for (const PoolMember& model : view_) names.push_back(model.name);
  return names;
}

Plan DrafterRouting::to_executor(const Plan& routed) const {
  const bool drafts = routed.chain.front() == 0;
  Plan plan;
  plan.drafter_length = drafts ? routed.draft_lengths.front() : 0;
  for (std::size_t level = drafts ? 1 : 0; level < routed.chain.size(); ++level) {
    plan.chain.push_back(routed.chain[level] - 1);
  }
  plan.draft_lengths.assign(routed.draft_lengths.begin() + (drafts ? 1 : 0), routed.draft_lengths.end());
  return plan;
}

StepResult DrafterRouting::to_routed(const StepResult& step, const Plan& routed) const {
  const bool drafts = routed.chain.front() == 0;
  StepResult out;
  for (ModelCall call : step.calls) {
    call.pool_index = call.pool_index == kDrafterCall ? 0 : call.pool_index + 1;
    out.calls.push_back(call);
  }
  for (const SequenceStepResult& sequence : step.sequences) {
    SequenceStepResult routed_sequence{sequence.sequence, sequence.committed, {}};
    if (drafts) routed_sequence.levels.push_back(LevelStats{});  // the drafter: pool index 0, no record
    for (LevelStats level : sequence.levels) {
      ++level.pool_index;
      routed_sequence.levels.push_back(std::move(level));
    }
    if (drafts && routed_sequence.levels.size() > 1) {
      // The first pool model's record is of the drafter's proposals. Rounds that kept all
      // `asked` tokens reached position asked - 1 and accepted there; every other round
      // ended short of the asked length: a rejection for the geometric model.
      LevelStats& first = routed_sequence.levels[1];
      const std::size_t asked = static_cast<std::size_t>(routed.draft_lengths.front());
      const int full_rounds = first.accepted_at.size() >= asked && asked > 0 ? first.accepted_at[asked - 1] : 0;
      first.recovered = std::max(0, first.rounds - full_rounds);
      first.bonus = first.rounds - first.recovered;
    }
    out.sequences.push_back(std::move(routed_sequence));
  }
  return out;
}

}  // namespace specrouter::engine
