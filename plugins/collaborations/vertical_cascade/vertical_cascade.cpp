// The vertical cascade: the levels below the target only draft. The bottom drafter (if
// any) proposes its tokens, each pool level of the chain then extends the draft of the
// level below with tokens it samples itself (running over that draft first, so it
// continues it), and only the target verifies, once, the whole draft. After the vertical
// cascade of CS-Drafting (Chen et al., 2023, "Cascade Speculative Drafting"), where a
// smaller drafter helps a larger one; here, rather than the smaller model's tokens being
// checked by the larger, the larger model drafts further in the direction the smaller one
// started, and the target judges every token against the distribution it was drawn from.
//
// Lengths: the plan's draft_lengths[i] is the number of tokens level i adds (the
// drafter adds its drafter_length), all fixed before any token is drawn and cut, bottom
// first, to the room the chain's models have left. The target verifies up to
// drafter_length + sum(draft_lengths) tokens in one pass.
//
// Lossless: every draft token is drawn from the row passed up with it (the drafter's
// reported rows, or one-hot for a deterministic drafter; a level's own sampling
// distribution after the draft before it), and how many tokens each level adds was fixed
// before any was drawn (a drafter's own early stop decides before drawing, drafter.h).
// The speculative sampling lemma (docs/design/step_executor.md) then makes the target's
// commits follow the target's distribution; greedy, they are its argmax tokens, i.e.
// target-only greedy decoding. docs/design/collaboration.md has the argument and costs.
//
// Trees: a tree from the bottom drafter goes straight to the target when the chain is the
// target alone; a level cannot extend a tree (which branch?), so a tree below a longer
// chain is refused with a ConfigError.
//
// Costs per step: the drafter's call; per level adding d tokens, d forward passes (the
// first over its catch-up tokens and the whole draft below, then one token each); one
// target pass over the whole draft. Statistics: a level below the target reports
// rounds = produced = the tokens it added (each round is a plain-decoding round of an
// empty draft), drafted = accepted = 0; the target reports the verification of the whole
// draft.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/collaboration.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/sampling/sampling.h"

namespace {

using specrouter::LevelTask;
using specrouter::Proposal;
using specrouter::StepOperations;

// One sequence's draft as it grows up the chain: tokens, and per part (the drafter's,
// then each level's) the rows they were drawn from, which a part may lack (one-hot).
struct GrowingDraft {
  std::vector<specrouter::TokenId> tokens;
  std::vector<std::int32_t> parents;  // a drafter's tree, for a chain of the target alone
  struct Part {
    std::size_t tokens = 0;
    std::vector<float> rows;  // empty: drawn deterministically
  };
  std::vector<Part> parts;

  void append(std::span<const specrouter::TokenId> more, std::vector<float> rows) {
    tokens.insert(tokens.end(), more.begin(), more.end());
    parts.push_back({more.size(), std::move(rows)});
  }

  // The proposal to the target. Sampling needs a row for every token: a part drawn
  // deterministically gets one-hot rows, which is what it was drawn from. Greedy
  // verification reads no rows; they serve only the similarity statistics, which compare
  // real distributions, so a draft with a deterministic part passes none.
  Proposal to_proposal(std::int64_t vocab, bool greedy) && {
    Proposal proposal{std::move(tokens), {}, std::move(parents)};
    const bool every_part_has_rows =
        std::all_of(parts.begin(), parts.end(), [](const Part& part) { return part.tokens == 0 || !part.rows.empty(); });
    if (greedy && !every_part_has_rows) return proposal;
    if (std::all_of(parts.begin(), parts.end(), [](const Part& part) { return part.rows.empty(); })) return proposal;
    std::size_t first = 0;
    for (Part& part : parts) {
      if (part.rows.empty()) {
        part.rows.assign(part.tokens * static_cast<std::size_t>(vocab), 0.0f);
        for (std::size_t j = 0; j < part.tokens; ++j) {
          part.rows[j * static_cast<std::size_t>(vocab) + static_cast<std::size_t>(proposal.tokens[first + j])] = 1.0f;
        }
      }
      proposal.rows.insert(proposal.rows.end(), part.rows.begin(), part.rows.end());
      first += part.tokens;
    }
    return proposal;
  }
};

class VerticalCascade final : public specrouter::Collaboration {
 public:
  explicit VerticalCascade(const specrouter::Params& params) : owner_(params.owner()) {}

  void run_step(StepOperations& step, std::span<LevelTask* const> targets) override {
    // adds[t]: tokens the drafter, then each level below the target, add for targets[t].
    std::vector<std::vector<int>> adds(targets.size());
    for (std::size_t t = 0; t < targets.size(); ++t) adds[t] = tokens_to_add(step, targets[t]->item);
    std::vector<GrowingDraft> drafts(targets.size());
    draft_at_the_bottom(step, targets, adds, drafts);

    std::size_t levels_below_target = 0;
    for (const LevelTask* target : targets) {
      levels_below_target = std::max(levels_below_target, step.plan(target->item).chain.size() - 1);
    }
    for (std::size_t level = 0; level < levels_below_target; ++level) extend_at_level(step, targets, adds, level, drafts);

    const bool greedy = step.sampling().greedy();
    std::vector<Proposal> proposals;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      targets[t]->wanted = static_cast<int>(drafts[t].tokens.size()) + 1;
      proposals.push_back(std::move(drafts[t]).to_proposal(step.pool().vocab_size(), greedy));
    }
    step.verify(step.pool().size() - 1, targets, proposals);
  }

 private:
  // The drafter's length, then each level's draft length, cut bottom first to the room
  // every chain model has left: all decided before any token is drawn.
  static std::vector<int> tokens_to_add(const StepOperations& step, std::size_t item) {
    const specrouter::Plan& plan = step.plan(item);
    std::int64_t room = step.room(item);
    std::vector<int> adds;
    const auto take = [&](int wanted) {
      const int granted = static_cast<int>(std::min<std::int64_t>(wanted, room));
      room -= granted;
      adds.push_back(granted);
    };
    take(step.drafter_length(item));
    for (int length : plan.draft_lengths) take(length);
    return adds;
  }

  void draft_at_the_bottom(StepOperations& step, std::span<LevelTask* const> targets,
                           const std::vector<std::vector<int>>& adds, std::vector<GrowingDraft>& drafts) const {
    std::vector<LevelTask> tasks;
    std::vector<std::size_t> which;
    std::vector<int> counts;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (adds[t][0] <= 0) continue;
      const LevelTask& target = *targets[t];
      tasks.push_back({.item = target.item, .level = 0, .context = target.context, .start = target.context.size(),
                       .wanted = adds[t][0], .rows = {}});
      which.push_back(t);
      counts.push_back(adds[t][0]);
    }
    if (tasks.empty()) return;
    std::vector<LevelTask*> pointers;
    for (LevelTask& task : tasks) pointers.push_back(&task);
    std::vector<Proposal> proposed = step.draft(pointers, counts);
    for (std::size_t i = 0; i < which.size(); ++i) {
      Proposal& proposal = proposed[i];
      GrowingDraft& draft = drafts[which[i]];
      if (!proposal.parents.empty()) {
        if (step.plan(tasks[i].item).chain.size() > 1) {
          throw specrouter::ConfigError(owner_ + ": the drafter proposed a tree, which the levels below the target "
                                        "cannot extend; use a chain drafter, a plan of the target alone, or "
                                        "collaboration 'collaborative_verification'");
        }
        draft.parents = std::move(proposal.parents);
      }
      draft.append(proposal.tokens, std::move(proposal.rows));
    }
  }

  // Every sequence whose chain has `level` below the target extends its draft there:
  // rounds of plain decoding (verification of an empty proposal) after the draft so far,
  // one batched pass per round per pool model.
  static void extend_at_level(StepOperations& step, std::span<LevelTask* const> targets,
                              const std::vector<std::vector<int>>& adds, std::size_t level,
                              std::vector<GrowingDraft>& drafts) {
    std::map<int, std::vector<std::size_t>> by_model;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const std::vector<int>& chain = step.plan(targets[t]->item).chain;
      if (level + 1 < chain.size() && adds[t][level + 1] > 0) by_model[chain[level]].push_back(t);
    }
    for (const auto& [model, members] : by_model) {
      std::vector<LevelTask> tasks(members.size());
      for (std::size_t i = 0; i < members.size(); ++i) {
        const LevelTask& target = *targets[members[i]];
        LevelTask& task = tasks[i];
        task.item = target.item;
        task.level = static_cast<int>(level);
        task.context = target.context;
        task.context.insert(task.context.end(), drafts[members[i]].tokens.begin(), drafts[members[i]].tokens.end());
        task.start = task.context.size();
        task.wanted = adds[members[i]][level + 1];
      }
      std::vector<LevelTask*> active;
      for (;;) {
        active.clear();
        for (LevelTask& task : tasks) {
          if (task.produced() < task.wanted) active.push_back(&task);
        }
        if (active.empty()) break;
        step.verify(model, active, std::vector<Proposal>(active.size()));
      }
      for (std::size_t i = 0; i < members.size(); ++i) {
        const LevelTask& task = tasks[i];
        drafts[members[i]].append(std::span(task.context).subspan(task.start), std::move(tasks[i].rows));
      }
    }
  }

  std::string owner_;  // "collaboration 'vertical_cascade'", for messages
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Collaboration>(
      {"vertical_cascade",
       "levels below the target only draft, each extending the draft of the one below; the target verifies it all",
       {}},
      [](const specrouter::Params& params) { return std::make_unique<VerticalCascade>(params); });
}
