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

/// One chain level's statistics summed over every step and sequence.
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

/// Accumulates StepResults (hand add_step() to SpeculativeGenerationOptions::on_step).
class SpeculationStats {
 public:
  /// Statistics for `setup`'s plan; the clock of the first step starts now.
  explicit SpeculationStats(SpeculationSetup setup);

  /// Adds one step: its levels, its model calls, and the wall time since the previous
  /// step (or construction).
  void add_step(const StepResult& step);
  /// Records the run's wall time and the new tokens it returned (after cutting at
  /// end-of-sequence and max_new_tokens).
  void finish(double seconds, std::int64_t new_tokens);

  /// Batched steps.
  std::int64_t steps() const { return steps_; }
  /// Target forward passes (one per step).
  std::int64_t target_passes() const { return target_passes_; }
  /// Tokens committed per sequence step (a sequence's part of a step): >= 1.
  double tau() const;
  /// The chain's levels, bottom first.
  const std::vector<LevelTotals>& levels() const { return levels_; }

  /// Everything as a JSON object (written as JSON, or as YAML by write_file()).
  std::string to_json() const;
  /// Writes the statistics to `path`: JSON when it ends in `.json`, YAML otherwise.
  /// Throws Error when it cannot be written.
  void write_file(const std::filesystem::path& path) const;
  /// A readable table (what `speculate` prints on stderr).
  void print(std::ostream& out) const;

 private:
  SpeculationSetup setup_;
  std::vector<LevelTotals> levels_;            // chain order
  std::vector<double> forward_seconds_;        // by pool index
  std::vector<std::int64_t> forward_calls_;    // by pool index
  double drafter_seconds_ = 0;
  std::int64_t drafter_calls_ = 0;
  std::int64_t steps_ = 0;
  std::int64_t target_passes_ = 0;
  std::int64_t sequence_steps_ = 0;
  std::int64_t committed_ = 0;
  std::int64_t new_tokens_ = 0;
  double seconds_ = 0;
  double step_seconds_ = 0;  // wall time of the steps (between on_step calls)
  std::chrono::steady_clock::time_point last_mark_;
};

}  // namespace specrouter::engine
