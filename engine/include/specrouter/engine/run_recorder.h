#pragma once
// Recording a run into its HDF5 results file (docs/results-schema.md): steps with their
// levels and model calls, the scheduler's estimates, requests with their tokens, events,
// and the summary leaderboards read.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "specrouter/engine/decoding_loop.h"
#include "specrouter/engine/run_events.h"
#include "specrouter/config/compose.h"
#include "specrouter/results/results_writer.h"

namespace specrouter::engine {

/// `plan` with pool names: "draft:4>target" (model and draft length per level, bottom
/// first; the target has no length), led by "ngram:3>" when the plan sets the bottom
/// drafter's length (`drafter`, its name; Plan::drafter_length > 0).
std::string plan_text(const Plan& plan, const std::vector<std::string>& names, const std::string& drafter = "");

/// The metadata of a run of `config`: the composed YAML, overrides, git commit of the
/// source tree, host, CPU, library versions and `start_time`.
RunMetadata run_metadata(const ComposedConfig& config, const std::filesystem::path& source_dir,
                         const std::string& start_time);

/// Totals over a run, as the summary and the console report them.
struct RunTotals {
  std::int64_t new_tokens = 0;        ///< generated tokens of finished requests (cut at EOS / limits)
  std::int64_t steps = 0;             ///< steps run
  std::int64_t sequence_steps = 0;    ///< sum of the steps' batch sizes
  std::int64_t requests = 0;          ///< finished (not refused)
  std::int64_t refused_requests = 0;  ///< refused
  /// Per drafting model (pool name, or the bottom drafter's plugin name): drafted, accepted.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> drafted_accepted;
  /// Plan text -> steps, and the order of first use.
  std::map<std::string, std::int64_t> plan_steps;
  std::vector<std::string> plan_order;

  /// Committed tokens per sequence-step.
  double tau() const;
  /// "draft:4>target 120; target 5": most used first (ties: first used first).
  std::string plans() const;
};

/// Writes one run's results file as the run goes; finish() renames it into place.
class RunRecorder {
 public:
  /// Creates `<path>.partial` with `metadata`. `names`: the pool names (target last);
  /// `drafter`: the bottom drafter's plugin name, "" for none.
  RunRecorder(const std::filesystem::path& path, const RunMetadata& metadata, std::vector<std::string> names,
              std::string drafter);

  /// Records a step: its row, its level and model-call rows, and the estimate.
  void record(const ServedStep& step);
  /// Records a finished or refused request and its tokens.
  void record(const ServedRequest& request);
  /// Records a fired event.
  void record(const FiredEvent& event);

  /// What has been recorded so far.
  const RunTotals& totals() const { return totals_; }

  /// Writes the acceptance per draft position gathered over the run and `summary`, and
  /// renames the file into place.
  void finish(const Summary& summary);
  /// The final path.
  const std::filesystem::path& path() const { return writer_.path(); }

 private:
  ResultsWriter writer_;
  std::vector<std::string> names_;
  std::string drafter_;
  RunTotals totals_;
  /// Drafting model -> per draft position, (rounds that reached it, rounds accepted there).
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> positions_;
};

}  // namespace specrouter::engine
