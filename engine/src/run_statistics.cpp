// The one fold of a run's steps and requests (run_statistics.h).
#include "specrouter/engine/run_statistics.h"

#include <algorithm>
#include <limits>

namespace specrouter::engine {
namespace {

template <class T>
void add_at(std::vector<T>& sum, const std::vector<int>& counts) {
  if (sum.size() < counts.size()) sum.resize(counts.size(), 0);
  for (std::size_t i = 0; i < counts.size(); ++i) sum[i] += counts[i];
}

}  // namespace

std::string plan_text(const Plan& plan, const std::vector<std::string>& names, const std::string& drafter) {
  std::string text;
  if (plan.drafter_length > 0 && !drafter.empty()) text = drafter + ":" + std::to_string(plan.drafter_length) + ">";
  for (std::size_t i = 0; i < plan.chain.size(); ++i) {
    text += names.at(static_cast<std::size_t>(plan.chain[i]));
    if (i + 1 < plan.chain.size()) text += ":" + std::to_string(plan.draft_lengths.at(i)) + ">";
  }
  return text;
}

RunStatistics::RunStatistics(std::vector<std::string> names, std::string drafter)
    : names_(std::move(names)),
      drafter_(std::move(drafter)),
      levels_(names_.size()),
      forward_seconds_(names_.size(), 0.0),
      forward_calls_(names_.size(), 0) {
  for (std::size_t i = 0; i < levels_.size(); ++i) levels_[i].pool_index = static_cast<int>(i);
}

void RunStatistics::add_step(const StepOutcome& step) {
  if (step.result == nullptr) throw UsageError("RunStatistics::add_step: the step record has no executor result");
  const StepResult& result = *step.result;
  const Plan& plan = step.executor_plan;
  ++steps_;
  step_seconds_ += step.seconds;
  const int target = static_cast<int>(names_.size()) - 1;
  for (const ModelCall& call : result.calls) {
    if (call.pool_index == kDrafterCall) {
      drafter_seconds_ += call.seconds;
      ++drafter_calls_;
      continue;
    }
    forward_seconds_.at(static_cast<std::size_t>(call.pool_index)) += call.seconds;
    ++forward_calls_.at(static_cast<std::size_t>(call.pool_index));
    if (call.pool_index == target) ++target_passes_;
  }
  for (const SequenceStepResult& sequence : result.sequences) {
    ++sequence_steps_;
    committed_ += static_cast<std::int64_t>(sequence.committed.size());
    for (std::size_t i = 0; i < sequence.levels.size(); ++i) {
      const LevelStats& stats = sequence.levels[i];
      LevelTotals& total = levels_.at(static_cast<std::size_t>(stats.pool_index));
      total.rounds += stats.rounds;
      total.drafted += stats.drafted;
      total.accepted += stats.accepted;
      total.recovered += stats.recovered;
      total.bonus += stats.bonus;
      total.produced += stats.produced;
      add_at(total.drafted_at, stats.drafted_at);
      add_at(total.accepted_at, stats.accepted_at);
      total.tv_distance_sum += stats.tv_distance_sum;
      total.tv_positions += stats.tv_positions;
      // Credited to what proposed the draft: the level below, or the bottom drafter.
      const std::string& drafting =
          i == 0 ? drafter_ : names_.at(static_cast<std::size_t>(sequence.levels[i - 1].pool_index));
      if (drafting.empty()) continue;
      DraftingTotals& proposer = drafting_[drafting];
      proposer.drafted += stats.drafted;
      proposer.accepted += stats.accepted;
      if (proposer.at.size() < stats.drafted_at.size()) proposer.at.resize(stats.drafted_at.size());
      for (std::size_t k = 0; k < stats.drafted_at.size(); ++k) {
        proposer.at[k].first += stats.drafted_at[k];
        if (k < stats.accepted_at.size()) proposer.at[k].second += stats.accepted_at[k];
      }
    }
  }
  const std::string text = plan_text(plan, names_, drafter_);
  if (plan_steps_[text]++ == 0) plan_order_.push_back(text);
}

void RunStatistics::add_request(const ServedRequest& request) {
  if (request.refused) {
    ++refused_;
    return;
  }
  ++requests_;
  new_tokens_ += static_cast<std::int64_t>(request.tokens.size());
}

double RunStatistics::committed_per_sequence_step() const {
  return sequence_steps_ > 0 ? static_cast<double>(committed_) / static_cast<double>(sequence_steps_) : 0.0;
}

double RunStatistics::new_tokens_per_sequence_step() const {
  return sequence_steps_ > 0 ? static_cast<double>(new_tokens_) / static_cast<double>(sequence_steps_)
                             : std::numeric_limits<double>::quiet_NaN();
}

std::string RunStatistics::plans() const {
  std::vector<std::string> order = plan_order_;
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return plan_steps_.at(a) > plan_steps_.at(b); });
  std::string text;
  for (const std::string& plan : order) text += (text.empty() ? "" : "; ") + plan + " " + std::to_string(plan_steps_.at(plan));
  return text;
}

}  // namespace specrouter::engine
