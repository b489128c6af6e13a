#pragma once
/// @file
/// @brief The statistics of a run: one fold of the decoding loop's steps and requests,
/// which every sink reads. The results file's summary (run_recorder.h), the console
/// report of `run`, and `speculate`'s table and YAML/JSON file (speculation_report.h)
/// all take their totals from a RunStatistics.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/engine/decoding_loop.h"

namespace specrouter::engine {

/// `plan` with pool names: "draft:4>target" (model and draft length per level, bottom
/// first; the target has no length), led by "ngram:3>" when the plan sets the bottom
/// drafter's length (`drafter`, its name; Plan::drafter_length > 0).
std::string plan_text(const Plan& plan, const std::vector<std::string>& names, const std::string& drafter = "");

/// One pool model's totals as a level, summed over every step and sequence in which it
/// verified what the level below (or the bottom drafter) proposed.
struct LevelTotals {
  int pool_index = 0;                     ///< the level's model
  std::int64_t rounds = 0;                ///< verification passes (per sequence)
  std::int64_t drafted = 0;               ///< tokens proposed to it
  std::int64_t accepted = 0;              ///< of those, kept
  std::int64_t recovered = 0;             ///< rounds ending in a token from the residual
  std::int64_t bonus = 0;                 ///< rounds whose draft was accepted to the end
  std::int64_t produced = 0;              ///< tokens passed up (committed, at the target)
  std::vector<std::int64_t> drafted_at;   ///< per draft position: rounds whose draft reached it
  std::vector<std::int64_t> accepted_at;  ///< per draft position: rounds that accepted there
  double tv_distance_sum = 0;             ///< sum of TV distances over compared positions
  std::int64_t tv_positions = 0;          ///< compared positions
};

/// What one drafting model (a pool model, or the bottom drafter by its plugin name)
/// proposed to the level above it, whichever that was.
struct DraftingTotals {
  std::int64_t drafted = 0;   ///< tokens it proposed
  std::int64_t accepted = 0;  ///< of those, kept by the level above
  /// Per draft position: (rounds whose draft reached it, rounds accepted there).
  std::vector<std::pair<std::int64_t, std::int64_t>> at;
};

/// The fold of a run's steps and requests.
class RunStatistics {
 public:
  /// `names`: the pool names (target last); `drafter`: the bottom drafter's plugin name,
  /// "" for none.
  RunStatistics(std::vector<std::string> names, std::string drafter);

  /// Adds a step of the loop: its executor plan, duration and the executor's result
  /// (StepOutcome::result must be set). Throws UsageError when it is not.
  void add_step(const StepOutcome& step);
  /// Adds a finished or refused request.
  void add_request(const ServedRequest& request);

  const std::vector<std::string>& names() const { return names_; }  ///< pool names
  const std::string& drafter() const { return drafter_; }           ///< bottom drafter, "" for none

  std::int64_t steps() const { return steps_; }                    ///< batched steps
  std::int64_t sequence_steps() const { return sequence_steps_; }  ///< sum of the steps' batch sizes
  std::int64_t committed_tokens() const { return committed_; }     ///< before cutting at EOS and limits
  std::int64_t target_passes() const { return target_passes_; }    ///< forward passes of the target
  double step_seconds() const { return step_seconds_; }            ///< the steps' time, summed
  std::int64_t new_tokens() const { return new_tokens_; }          ///< of finished requests, cut at EOS and limits
  std::int64_t requests() const { return requests_; }              ///< finished (not refused)
  std::int64_t refused_requests() const { return refused_; }       ///< refused

  /// Committed tokens per sequence step (a sequence's part of a step): >= 1.
  double committed_per_sequence_step() const;
  /// New tokens (cut) per sequence step: the summary's `tau`; NaN before any step.
  double new_tokens_per_sequence_step() const;

  /// The totals of pool model `pool_index` as a level (zeros when it never verified).
  const LevelTotals& level(int pool_index) const { return levels_.at(static_cast<std::size_t>(pool_index)); }
  /// Per pool index: forward time and calls.
  const std::vector<double>& forward_seconds() const { return forward_seconds_; }
  const std::vector<std::int64_t>& forward_calls() const { return forward_calls_; }  ///< per pool index
  double drafter_seconds() const { return drafter_seconds_; }                        ///< the bottom drafter's calls' time
  std::int64_t drafter_calls() const { return drafter_calls_; }                      ///< its calls

  /// Per drafting model (pool name or the drafter's plugin name).
  const std::map<std::string, DraftingTotals>& drafting() const { return drafting_; }

  /// Plan text (plan_text()) -> steps.
  const std::map<std::string, std::int64_t>& plan_steps() const { return plan_steps_; }
  /// Plans in order of first use.
  const std::vector<std::string>& plan_order() const { return plan_order_; }
  /// "draft:4>target 120; target 5": most used first (ties: first used first).
  std::string plans() const;

 private:
  std::vector<std::string> names_;
  std::string drafter_;
  std::vector<LevelTotals> levels_;          // by pool index
  std::vector<double> forward_seconds_;      // by pool index
  std::vector<std::int64_t> forward_calls_;  // by pool index
  double drafter_seconds_ = 0;
  std::int64_t drafter_calls_ = 0;
  std::int64_t steps_ = 0;
  std::int64_t sequence_steps_ = 0;
  std::int64_t committed_ = 0;
  std::int64_t target_passes_ = 0;
  double step_seconds_ = 0;
  std::int64_t new_tokens_ = 0;
  std::int64_t requests_ = 0;
  std::int64_t refused_ = 0;
  std::map<std::string, DraftingTotals> drafting_;
  std::map<std::string, std::int64_t> plan_steps_;
  std::vector<std::string> plan_order_;
};

}  // namespace specrouter::engine
