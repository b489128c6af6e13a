#pragma once

/// @file
/// @brief A model backend with no neural network, for scheduler research at scales the
/// machine cannot run: forward passes cost simulated time from a profile, and the
/// models' next-token choices agree with the target at the profile's rates.

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "specrouter/model/model.h"
#include "specrouter/simulation/simulation_profile.h"

namespace specrouter {

/// The simulated clock and scenario every SimulatedModel of a pool shares.
///
/// Time advances only by forward passes (and advance()); give `clock()` to the step
/// executor (StepExecutorOptions::clock) so its ModelCall times are simulated seconds.
class SimulatedWorld {
 public:
  /// The scenario of `profile` (validated), starting at time 0.
  explicit SimulatedWorld(SimulationProfile profile);

  /// The profile.
  const SimulationProfile& profile() const { return profile_; }
  /// Simulated seconds since the start.
  double now() const { return now_; }
  /// Moves the clock forward by `seconds` (>= 0).
  void advance(double seconds);
  /// A clock function reading now(), for StepExecutorOptions::clock. The world must
  /// outlive it.
  std::function<double()> clock() const;

  /// Puts `sequence` in request class `name` (a key of the profile's classes). Throws
  /// UsageError for an unknown class.
  void set_class(SequenceId sequence, const std::string& name);
  /// Puts every sequence without a class of its own in request class `name` (empty: none).
  /// Throws UsageError for an unknown class.
  void set_default_class(const std::string& name);
  /// Model `model`'s agreement with the target for `sequence` now: its class's (or the
  /// default class's), else the latest drift change's, else the model's own.
  double agreement(int model, SequenceId sequence) const;
  /// What model `model`'s forward time is multiplied by now (slowdowns).
  double cost_factor(int model) const;

 private:
  SimulationProfile profile_;
  double now_ = 0;
  std::map<SequenceId, std::string> classes_;
  std::string default_class_;
};

/// A Model whose forward pass computes no network.
///
/// The next-token distribution after a path is defined by a hash of the path's last
/// tokens and position: a *truth* token (the target's choice), a shared *wrong* token and
/// a uniform u. Model m's most probable token is the truth when u < agreement(m), else the
/// wrong one; its logits are a peak of height `peak` there and 0 elsewhere. So the target
/// (agreement 1) decodes the truth, a draft of agreement a is accepted by the target
/// greedily with probability a at every position, independently (the cost model's
/// assumption), and two drafts of agreements a and b agree with probability 1 - |a - b|
/// (they share u). The pass appends the new tokens through the StateManager like a real
/// model (catch-up checks, trees, rollbacks all apply; the K/V written is meaningless)
/// and advances the world's clock by the profile's cost of the pass times the current
/// slowdown factor.
class SimulatedModel final : public Model {
 public:
  /// Model `index` of `world`'s profile. `world` must outlive the model.
  SimulatedModel(SimulatedWorld& world, int index, double peak = 6.0);

  std::int64_t vocab_size() const override;
  std::int64_t max_context() const override;
  KvCacheSpec kv_cache_spec(const std::string& name, std::int64_t block_size = 16) const override;
  ForwardOutput forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                        const ForwardOptions& options = {}) override;

  /// The simulated seconds of a pass over `tokens[i]` new tokens after `cached[i]`
  /// cached positions for each sequence i, before slowdowns.
  double pass_seconds(std::span<const std::int64_t> tokens, std::span<const std::int64_t> cached) const;

 private:
  SimulatedWorld& world_;
  int index_;
  double peak_;
};

}  // namespace specrouter
