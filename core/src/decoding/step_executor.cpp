#include "specrouter/decoding/step_executor.h"

#include <set>
#include <string>

#include "specrouter/collaboration.h"
#include "specrouter/error.h"
#include "specrouter/model/model.h"
#include "specrouter/scheduling/chain_cost.h"
#include "step_run.h"

namespace specrouter {

StepExecutor::StepExecutor(ModelPool pool, StateManager& state, std::shared_ptr<Verifier> verifier,
                           std::shared_ptr<Drafter> drafter, StepExecutorOptions options)
    : pool_(std::move(pool)),
      state_(state),
      verifier_(std::move(verifier)),
      drafter_(std::move(drafter)),
      options_(options) {
  if (verifier_ == nullptr) throw UsageError("StepExecutor: no verifier given");
  if (options_.collaboration == nullptr) options_.collaboration = make_collaborative_verification();
  for (const PoolMember& member : pool_.members()) {
    if (member.kv < 0 || member.kv >= state_.num_models()) {
      throw UsageError("StepExecutor: pool model '" + member.name + "' has KV id " + std::to_string(member.kv) +
                       ", but the StateManager holds " + std::to_string(state_.num_models()) + " models");
    }
  }
  if (options_.drafter_length < 1) {
    throw UsageError("StepExecutor: drafter_length is " + std::to_string(options_.drafter_length) + "; it must be >= 1");
  }
}

StepResult StepExecutor::step(std::span<const SequencePlan> batch) {
  std::set<SequenceId> seen;
  const Model& target = *pool_.target().model;
  for (const SequencePlan& entry : batch) {
    const std::string which = "StepExecutor::step: sequence " + std::to_string(entry.sequence);
    if (!state_.contains(entry.sequence)) throw UsageError(which + " does not exist");
    if (!seen.insert(entry.sequence).second) throw UsageError(which + " appears twice in the batch");
    try {
      check_plan(entry.plan, pool_.size());
    } catch (const UsageError& error) {
      throw UsageError(which + ": " + error.what());
    }
    for (std::size_t level = 0; level < entry.plan.draft_lengths.size(); ++level) {
      const PoolMember& verifying = pool_.at(entry.plan.chain[level + 1]);
      if (entry.plan.draft_lengths[level] >= verifying.model->max_context()) {
        throw UsageError(which + ": draft length " + std::to_string(entry.plan.draft_lengths[level]) + " for '" +
                         verifying.name + "' does not fit its context of " +
                         std::to_string(verifying.model->max_context()) + " positions");
      }
    }
    if (entry.rng == nullptr && !options_.sampling.greedy()) throw UsageError(which + " has no rng, and sampling needs one");
    const std::int64_t committed = state_.committed_length(entry.sequence);
    if (committed > target.max_context()) {
      throw CapacityError(which + " holds " + std::to_string(committed) + " tokens, more than the context of " +
                          std::to_string(target.max_context()) + " of the target '" + pool_.target().name + "'");
    }
  }
  if (batch.empty()) return {};
  return detail::StepRun(pool_, state_, *verifier_, drafter_.get(), options_, batch).run(*options_.collaboration);
}

}  // namespace specrouter
