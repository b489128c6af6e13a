// The learning half of the bandit scheduler: per-arm reward statistics that forget
// (discounting or a sliding window) and the two policies that choose an arm from them,
// UCB and Gaussian Thompson sampling. Knows nothing of plans; arms are indices.
// The algorithm and its parameters are explained in docs/design/bandit_scheduler.md.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <utility>
#include <vector>

namespace specrouter::bandit {

// How old rewards lose weight.
enum class Forgetting {
  kNone,      // every reward counts forever (UCB1, stationary Thompson sampling)
  kDiscount,  // each step multiplies all weights by `discount` (discounted UCB)
  kWindow,    // only the last `window` rewards count (sliding-window UCB)
};

// Weighted sums of one arm's rewards: count = sum of weights, then the weighted sums of
// rewards and squared rewards.
struct ArmStatistics {
  double count = 0;
  double reward_sum = 0;
  double squared_sum = 0;

  double mean() const { return reward_sum / count; }
  // The weighted population variance, clamped at 0 against rounding.
  double variance() const;
};

// The statistics of every arm, updated one reward at a time.
class ArmHistory {
 public:
  // `discount` is read for kDiscount (in (0, 1)), `window` for kWindow (>= 1).
  ArmHistory(int arms, Forgetting forgetting, double discount, int window);

  // Records `reward` for `arm`, forgetting first: discounting multiplies every arm's
  // weights by `discount`, the window drops the oldest reward once full.
  void add(int arm, double reward);

  int arms() const { return static_cast<int>(statistics_.size()); }
  const ArmStatistics& arm(int arm) const { return statistics_[static_cast<std::size_t>(arm)]; }
  // Sum of every arm's count: the (discounted, windowed) number of rewards.
  double total_count() const;

 private:
  Forgetting forgetting_;
  double discount_;
  int window_;
  std::vector<ArmStatistics> statistics_;            // [arms]
  std::deque<std::pair<int, double>> window_rewards_;  // (arm, reward), oldest first; kWindow only
};

// Which rule turns statistics into a choice.
enum class Policy { kUcb, kThompson };

// What the policies need besides the statistics.
struct PolicySettings {
  Policy policy = Policy::kUcb;
  double exploration = 0.05; // UCB: c in mean + c sqrt(ln n / n_i), rewards normalised
  double min_std = 0.05;     // Thompson: floor on an arm's normalised reward std
};

// The arm to run next. An arm without weight (never tried, or out of the window, or
// discounted to nothing) is chosen first, the lowest index first. Otherwise rewards are
// divided by `reward_scale` (> 0) and
//  - UCB takes the largest mean_i + c sqrt(ln n / n_i), n = total_count();
//  - Thompson draws theta_i ~ N(mean_i, max(var_i, min_std^2) / n_i) for every arm, with
//    two uniforms of `rng` per arm (Box-Muller), and takes the largest.
// Ties go to the lowest index.
int choose_arm(const ArmHistory& history, double reward_scale, const PolicySettings& settings,
               std::mt19937_64& rng);

}  // namespace specrouter::bandit
