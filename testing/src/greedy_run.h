#pragma once
// The greedy losslessness check shared by the drafter and verifier checks: one drafter
// and verifier pairing, one chain, decoded greedily as a ragged batch and one sequence
// at a time, against what the target alone decodes.

#include <memory>
#include <string>

#include "specrouter/collaboration.h"
#include "specrouter/drafter.h"
#include "specrouter/scheduler.h"
#include "specrouter/verifier.h"

namespace specrouter::conformance::detail {

/// One greedy case.
struct GreedyCase {
  std::string label;                 ///< names the case in failure messages
  std::shared_ptr<Verifier> verifier;  ///< at every level
  std::shared_ptr<Drafter> drafter;  ///< below the chain; may be null
  int drafter_length = 3;            ///< tokens asked of the drafter per round
  Plan plan;                         ///< a chain of the greedy world's pool
  /// How the chain's levels collaborate; null: the reference scheme, whose per-level
  /// statistics are then checked too (expect_step_statistics_add_up()).
  std::shared_ptr<Collaboration> collaboration;
};

/// The chain of `levels` (1 to 3) pool models of a kit pool, with draft lengths 3 (two
/// levels) and 2, 3 (three levels).
Plan chain_of_levels(int levels);

/// Decodes the case's prompts greedily (a ragged batch of three, then two of them
/// alone), checking after every step that every model's K/V is a prefix of the committed
/// tokens and that the step's statistics add up, and expects the target-only tokens.
/// Returns the tokens the drafter proposed in all (0 without one).
std::int64_t expect_greedy_case_lossless(const GreedyCase& greedy_case);

}  // namespace specrouter::conformance::detail
