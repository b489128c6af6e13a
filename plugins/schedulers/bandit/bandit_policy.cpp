#include "bandit_policy.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "specrouter/sampling/sampling.h"

namespace specrouter::bandit {

double ArmStatistics::variance() const {
  const double m = mean();
  return std::max(squared_sum / count - m * m, 0.0);
}

ArmHistory::ArmHistory(int arms, Forgetting forgetting, double discount, int window)
    : forgetting_(forgetting), discount_(discount), window_(window), statistics_(static_cast<std::size_t>(arms)) {}

void ArmHistory::add(int arm, double reward) {
  if (forgetting_ == Forgetting::kDiscount) {
    for (ArmStatistics& statistics : statistics_) {
      statistics.count *= discount_;
      statistics.reward_sum *= discount_;
      statistics.squared_sum *= discount_;
    }
  } else if (forgetting_ == Forgetting::kWindow) {
    if (static_cast<int>(window_rewards_.size()) == window_) {
      const auto [old_arm, old_reward] = window_rewards_.front();
      window_rewards_.pop_front();
      ArmStatistics& statistics = statistics_[static_cast<std::size_t>(old_arm)];
      statistics.count -= 1;
      if (statistics.count == 0) {
        statistics = {};  // exactly empty: no rounding residue left to read as a mean
      } else {
        statistics.reward_sum -= old_reward;
        statistics.squared_sum -= old_reward * old_reward;
      }
    }
    window_rewards_.emplace_back(arm, reward);
  }
  ArmStatistics& statistics = statistics_[static_cast<std::size_t>(arm)];
  statistics.count += 1;
  statistics.reward_sum += reward;
  statistics.squared_sum += reward * reward;
}

double ArmHistory::total_count() const {
  double total = 0;
  for (const ArmStatistics& statistics : statistics_) total += statistics.count;
  return total;
}

namespace {

// A standard normal number from two uniforms (Box-Muller), the same on every platform,
// unlike std::normal_distribution.
double next_standard_normal(std::mt19937_64& rng) {
  const double u1 = next_uniform(rng);
  const double u2 = next_uniform(rng);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

int choose_arm(const ArmHistory& history, double reward_scale, const PolicySettings& settings,
               std::mt19937_64& rng) {
  // Weights below this are what discounting leaves of an arm tried long ago: treat the
  // arm as untried rather than divide by (nearly) zero.
  constexpr double kNoWeight = 1e-12;
  for (int arm = 0; arm < history.arms(); ++arm) {
    if (history.arm(arm).count < kNoWeight) return arm;
  }
  const double log_total = std::log(std::max(history.total_count(), 1.0));
  int best = 0;
  double best_score = -INFINITY;
  for (int arm = 0; arm < history.arms(); ++arm) {
    const ArmStatistics& statistics = history.arm(arm);
    const double mean = statistics.mean() / reward_scale;
    double score = mean;
    if (settings.policy == Policy::kUcb) {
      score += settings.exploration * std::sqrt(log_total / statistics.count);
    } else {
      const double variance =
          std::max(statistics.variance() / (reward_scale * reward_scale), settings.min_std * settings.min_std);
      score += next_standard_normal(rng) * std::sqrt(variance / statistics.count);
    }
    if (score > best_score) {
      best_score = score;
      best = arm;
    }
  }
  return best;
}

}  // namespace specrouter::bandit
