#pragma once
// The sampled losslessness check shared by the drafter and verifier checks: many seeded
// sequences from one prompt, each decoded until it has two committed tokens, and a
// chi-square test of the pairs against the target's exact two-token distribution.
// Also the deliberately broken verifier that the same test must reject.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/collaboration.h"
#include "specrouter/drafter.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/scheduler.h"
#include "specrouter/verifier.h"

namespace specrouter::conformance::detail {

/// The bar every sampled case passes and every broken control fails: with fixed seeds the
/// outcome is deterministic, and a correct executor passes at p-value > 1e-4.
inline constexpr double kSignificance = 1e-4;

/// One sampled case.
struct SamplingCase {
  std::string label;                   ///< names the case in failure messages
  SamplingParams sampling;             ///< at every level
  std::shared_ptr<Verifier> verifier;  ///< at every level
  std::shared_ptr<Drafter> drafter;    ///< below the chain; may be null
  int drafter_length = 3;              ///< tokens asked of the drafter per round
  Plan plan;                           ///< a chain of the sampling world's pool
  std::shared_ptr<Collaboration> collaboration;  ///< how the levels collaborate; null: the reference
};

/// What a sampled case committed and how its drafts fared.
struct SamplingOutcome {
  double p_value = 0;  ///< chi-square goodness of fit to the target's distribution
  std::array<std::int64_t, 3> drafted{}, accepted{};  ///< by chain level, bottom first

  /// "p-value 0.31; level 0 accepted 812/2400 ...", for failure messages.
  std::string describe() const;
};

/// Runs 24,000 seeded trials of the case and tests the committed pairs.
SamplingOutcome run_sampling_case(const SamplingCase& sampling_case);

/// `inner` made deliberately wrong: on a rejection, the next token is drawn from the
/// verifying model's distribution p itself instead of the residual max(0, p - q), so
/// tokens the draft favoured come out too often.
std::shared_ptr<Verifier> residual_skipping(std::shared_ptr<Verifier> inner);

}  // namespace specrouter::conformance::detail
