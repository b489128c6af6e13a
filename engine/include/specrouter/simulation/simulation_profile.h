#pragma once

/// @file
/// @brief What a simulated pool is made of: each model's forward-pass cost and how often
/// it agrees with the target, and the events of a scenario (drift, request classes,
/// slowdowns). Read from a YAML profile file (docs/design/simulator.md has the format).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {

/// One model of a simulated pool.
struct SimulatedModelSpec {
  std::string name;  ///< pool name
  ForwardCost cost;  ///< the time of a forward pass
  /// Probability that the model's most probable next token is the target's, at any
  /// position (1 for the target). See SimulatedModel for what it implies between two
  /// drafts.
  double agreement = 1.0;
};

/// From simulated time `at_seconds` on, every model's agreement is `agreement` (drift).
struct AgreementChange {
  double at_seconds = 0;           ///< when the change takes effect
  std::vector<double> agreement;   ///< one per model, pool order
};

/// Model `model` runs `factor` times slower during `[from_seconds, to_seconds)`.
struct Slowdown {
  int model = 0;             ///< pool index
  double factor = 1;         ///< multiplies the model's forward time (> 0)
  double from_seconds = 0;   ///< start of the window, simulated time
  double to_seconds = 0;     ///< end of the window (exclusive)
};

/// A simulated pool and scenario.
struct SimulationProfile {
  std::string name;                        ///< what it models, e.g. "llama3-70b on 2x H100"
  std::string source;                      ///< where the numbers come from
  std::int64_t vocab_size = 64;            ///< width of the simulated distributions
  std::int64_t max_context = 8192;         ///< every model's context
  std::vector<SimulatedModelSpec> models;  ///< cheapest first, target last
  /// Agreement per request class (one entry per model), overriding the models' own for
  /// sequences of that class.
  std::map<std::string, std::vector<double>> classes;
  std::vector<AgreementChange> changes;    ///< drift, in time order
  std::vector<Slowdown> slowdowns;         ///< machine load events

  /// Throws UsageError naming `origin` and the field when something is out of range:
  /// fewer than one model, a target agreement that is not 1, an agreement outside [0, 1],
  /// an agreement list of the wrong length, a negative cost, a bad slowdown.
  void validate(const std::string& origin) const;
};

/// Reads a profile file. Throws ConfigError naming the file and key for a missing file,
/// malformed YAML, a missing or mistyped key, or a value out of range.
SimulationProfile load_simulation_profile(const std::filesystem::path& path);

}  // namespace specrouter
