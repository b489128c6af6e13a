#pragma once
/// @file
/// @brief Invariants of every step, for a test to check after each one: the state
/// manager's K/V agrees with the committed tokens, and the per-level statistics add up.

#include <span>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/state/state_manager.h"

namespace specrouter::conformance {

/// Every model's view of every sequence of `state` is a prefix of that sequence's
/// committed tokens (gtest failures otherwise).
void expect_views_are_committed_prefixes(const StateManager& state);

/// Per level of each sequence: accepted <= drafted, produced = accepted + rounds,
/// recovered + bonus = rounds, what a level produces is exactly what the level above
/// received, at most the draft length per round, one round at the target, committed =
/// the target's produced, nothing drafted to the bottom without a drafter, per-position
/// counts that add up, TV distances in [0, 1] per compared position.
void expect_step_statistics_add_up(const StepResult& step, std::span<const SequencePlan> batch, bool has_drafter);

}  // namespace specrouter::conformance
