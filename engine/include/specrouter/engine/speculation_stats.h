#pragma once
// Statistics of a speculative generation run (`specrouter speculate`): steps, target
// passes, tau and tokens per second; per chain level what was drafted, accepted,
// recovered and bonus, acceptance by draft position and the mean total-variation
// distance; forward time per model. Printed as a table or written as YAML / JSON.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/engine/run_statistics.h"

namespace specrouter::engine {

/// What was run, as the report names it.
struct SpeculationSetup {
  std::vector<std::string> pool_names;  ///< pool order; Plan::chain indexes it
  Plan plan;                            ///< the chain and draft lengths every step used
  std::string verifier;                 ///< verifier plugin
  std::string drafter;                  ///< bottom drafter plugin; empty: none
  int drafter_length = 0;               ///< tokens the drafter proposes per round
  SamplingParams sampling;              ///< how every level decodes
  std::uint64_t seed = 0;               ///< sampling seed
  int threads = 0;                      ///< compute threads
  std::size_t batch = 0;                ///< prompts decoded together
};

/// `speculate`'s report: a RunStatistics of its steps (hand add_step() to
/// SpeculativeGenerationOptions::on_step) rendered per chain level as a table or as
/// YAML / JSON.
class SpeculationStats {
 public:
  /// Statistics for `setup`'s plan.
  explicit SpeculationStats(SpeculationSetup setup);

  /// Adds one step of the decoding loop: its levels, its model calls and its time.
  void add_step(const StepOutcome& step);
  /// Records the run's wall time and the new tokens it returned (after cutting at
  /// end-of-sequence and max_new_tokens).
  void finish(double seconds, std::int64_t new_tokens);

  /// The run's statistics.
  const RunStatistics& statistics() const { return statistics_; }
  /// Tokens committed per sequence step (a sequence's part of a step): >= 1.
  double tau() const { return statistics_.committed_per_sequence_step(); }

  /// Everything as a JSON object (written as JSON, or as YAML by write_file()).
  std::string to_json() const;
  /// Writes the statistics to `path`: JSON when it ends in `.json`, YAML otherwise.
  /// Throws Error when it cannot be written.
  void write_file(const std::filesystem::path& path) const;
  /// A readable table (what `speculate` prints on stderr).
  void print(std::ostream& out) const;

 private:
  SpeculationSetup setup_;
  RunStatistics statistics_;
  std::int64_t new_tokens_ = 0;
  double seconds_ = 0;
};

}  // namespace specrouter::engine
