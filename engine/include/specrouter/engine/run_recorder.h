#pragma once
// Recording a run into its HDF5 results file (docs/results-schema.md): steps with their
// levels and model calls, the scheduler's estimates, requests with their tokens, events,
// and the summary leaderboards read; the run's totals are a RunStatistics it keeps.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "specrouter/engine/decoding_loop.h"
#include "specrouter/engine/run_events.h"
#include "specrouter/engine/run_statistics.h"
#include "specrouter/config/compose.h"
#include "specrouter/results/results_writer.h"

namespace specrouter::engine {

/// The metadata of a run of `config`: the composed YAML, overrides, git commit of the
/// source tree, host, CPU, library versions and `start_time`.
RunMetadata run_metadata(const ComposedConfig& config, const std::filesystem::path& source_dir,
                         const std::string& start_time);

/// Writes one run's results file as the run goes; finish() renames it into place.
class RunRecorder {
 public:
  /// Creates `<path>.partial` with `metadata`. `names`: the pool names (target last);
  /// `drafter`: the bottom drafter's plugin name, "" for none.
  RunRecorder(const std::filesystem::path& path, const RunMetadata& metadata, std::vector<std::string> names,
              std::string drafter);

  /// Records a step: its row, its level and model-call rows, and the estimate.
  void record(const StepOutcome& step);
  /// Records a finished or refused request and its tokens.
  void record(const ServedRequest& request);
  /// Records a fired event.
  void record(const FiredEvent& event);

  /// The statistics of what has been recorded so far.
  const RunStatistics& statistics() const { return statistics_; }

  /// Writes the acceptance per draft position of every drafting model and `summary`, and
  /// renames the file into place.
  void finish(const Summary& summary);
  /// The final path.
  const std::filesystem::path& path() const { return writer_.path(); }

 private:
  ResultsWriter writer_;
  RunStatistics statistics_;
};

}  // namespace specrouter::engine
