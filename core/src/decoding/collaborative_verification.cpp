// The reference collaboration scheme, multi-level collaborative verification: a level
// produces the tokens asked of it by rounds of speculative decoding with the level below
// as its drafter; the target runs one round. Written against the public StepOperations
// only, as any plugin's scheme is; it lives in the core because every StepExecutor built
// without naming a scheme runs it (docs/design/collaboration.md says why), and
// plugins/collaborations/collaborative_verification/ registers it under its name.
//
// docs/design/step_executor.md has the algorithm and why it is lossless. The order of the
// calls below (and so of every random number drawn) is the executor's since version 1;
// changing it changes every sampled output.

#include <algorithm>
#include <map>

#include "specrouter/collaboration.h"
#include "specrouter/decoding/model_pool.h"

namespace specrouter {
namespace {

class CollaborativeVerification final : public Collaboration {
 public:
  void run_step(StepOperations& step, std::span<LevelTask* const> targets) override {
    // The target's round verifies a draft as long as the plan asks, cut where a chain
    // model's context would overflow.
    for (LevelTask* task : targets) {
      const std::int64_t room = std::min<std::int64_t>(draft_length_below(step, *task), step.room(task->item));
      task->wanted = static_cast<int>(std::max<std::int64_t>(room, 0)) + 1;
    }
    round(step, step.pool().size() - 1, targets);
  }

 private:
  // Rounds of pool model `model` until every task has its `wanted` tokens.
  void produce(StepOperations& step, int model, std::vector<LevelTask>& tasks) {
    std::vector<LevelTask*> active;
    for (;;) {
      active.clear();
      for (LevelTask& task : tasks) {
        if (task.produced() < task.wanted) active.push_back(&task);
      }
      if (active.empty()) return;
      round(step, model, active);
    }
  }

  // One round of pool model `model`: drafts from below, as many as the plan says but
  // never more than the level still needs minus one (a round yields up to d + 1 tokens,
  // so no round overshoots), then the level verifies them.
  void round(StepOperations& step, int model, std::span<LevelTask* const> tasks) {
    std::vector<int> counts;
    for (LevelTask* task : tasks) {
      counts.push_back(std::min(draft_length_below(step, *task), task->wanted - task->produced() - 1));
    }
    const std::vector<Proposal> proposals = propose_below(step, tasks, counts);
    step.verify(model, tasks, proposals);
  }

  // Per task, `counts[t]` tokens from the level below it: the pool model below produces
  // them (grouped by model, so each round below is one batched pass), or the bottom
  // drafter proposes them; none for a count of 0.
  std::vector<Proposal> propose_below(StepOperations& step, std::span<LevelTask* const> tasks,
                                      std::span<const int> counts) {
    std::vector<Proposal> proposals(tasks.size());
    std::map<int, std::vector<std::size_t>> by_model;
    std::vector<std::size_t> by_drafter;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      if (counts[t] <= 0) continue;
      if (tasks[t]->level == 0) {
        by_drafter.push_back(t);
      } else {
        by_model[chain_of(step, *tasks[t])[static_cast<std::size_t>(tasks[t]->level - 1)]].push_back(t);
      }
    }
    for (const auto& [model, members] : by_model) {
      std::vector<LevelTask> below(members.size());
      for (std::size_t i = 0; i < members.size(); ++i) {
        const LevelTask& above = *tasks[members[i]];
        below[i] = {.item = above.item, .level = above.level - 1, .context = above.context,
                    .start = above.context.size(), .wanted = counts[members[i]], .rows = {}};
      }
      produce(step, model, below);
      for (std::size_t i = 0; i < members.size(); ++i) {
        Proposal& proposal = proposals[members[i]];
        proposal.tokens.assign(below[i].context.begin() + static_cast<std::ptrdiff_t>(below[i].start),
                               below[i].context.end());
        proposal.rows = std::move(below[i].rows);
      }
    }
    if (!by_drafter.empty()) {
      std::vector<LevelTask*> drafter_tasks;
      std::vector<int> drafter_counts;
      for (std::size_t t : by_drafter) {
        drafter_tasks.push_back(tasks[t]);
        drafter_counts.push_back(counts[t]);
      }
      std::vector<Proposal> drafted = step.draft(drafter_tasks, drafter_counts);
      for (std::size_t i = 0; i < by_drafter.size(); ++i) proposals[by_drafter[i]] = std::move(drafted[i]);
    }
    return proposals;
  }

  static const std::vector<int>& chain_of(const StepOperations& step, const LevelTask& task) {
    return step.plan(task.item).chain;
  }

  // Most tokens the level below `task` proposes per round: the plan's draft length, or
  // below the chain's first model the bottom drafter's (0 without one).
  static int draft_length_below(const StepOperations& step, const LevelTask& task) {
    if (task.level > 0) return step.plan(task.item).draft_lengths[static_cast<std::size_t>(task.level - 1)];
    return step.drafter_length(task.item);
  }
};

}  // namespace

std::unique_ptr<Collaboration> make_collaborative_verification() {
  return std::make_unique<CollaborativeVerification>();
}

}  // namespace specrouter
