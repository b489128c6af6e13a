// The plain-decoding guard: it probes plain decoding once speculation has been measured,
// keeps to plain decoding where plain measures faster (re-probing speculation), keeps the
// predicted plan where speculation measures faster (re-probing plain), per batch size.

#include <gtest/gtest.h>

#include <vector>

#include "specrouter/error.h"
#include "specrouter/scheduling/plain_decoding_guard.h"

namespace {

using specrouter::Plan;
using specrouter::PlainDecodingGuard;
using specrouter::StepOutcome;

const Plan kSpeculative{{0, 2}, {4}};
constexpr int kTarget = 2;

// Runs `steps` steps at `batch_size`: the guard filters kSpeculative, and each step's
// outcome takes `plain_ms` or `speculative_ms` per committed token. Returns the number
// of plain steps.
int run(PlainDecodingGuard& guard, int steps, int batch_size, double plain_ms, double speculative_ms) {
  int plain = 0;
  for (int i = 0; i < steps; ++i) {
    const Plan plan = guard.filter(kSpeculative, batch_size, kTarget);
    const bool is_plain = plan.chain.size() == 1;
    plain += is_plain;
    if (is_plain) EXPECT_EQ(plan.chain, std::vector<int>{kTarget});
    const std::int64_t tokens = is_plain ? batch_size : 3 * batch_size;
    const double seconds = tokens * (is_plain ? plain_ms : speculative_ms) * 1e-3;
    guard.observe(StepOutcome{.plan = plan, .batch_size = batch_size, .context_length = 0, .committed_tokens = tokens, .target_passes = 1, .seconds = seconds});
  }
  return plain;
}

TEST(PlainDecodingGuardTest, DecodesPlainlyWhereItMeasuresFasterAndStillProbes) {
  PlainDecodingGuard guard({.probe_interval = 32});
  // Batch 16: plain 0.5 ms per token, speculation 0.7 ms. After one speculative step and
  // one plain probe the guard keeps to plain, re-probing speculation every 32 steps.
  const int plain = run(guard, 320, 16, 0.5, 0.7);
  EXPECT_GE(plain, 300);
  EXPECT_LT(plain, 320) << "speculation is re-probed";
  EXPECT_NEAR(guard.measured(16, true), 0.5e-3, 1e-9);
  EXPECT_NEAR(guard.measured(16, false), 0.7e-3, 1e-9);
}

TEST(PlainDecodingGuardTest, KeepsThePredictedPlanWhereSpeculationMeasuresFaster) {
  PlainDecodingGuard guard({.probe_interval = 32});
  // Batch 4: speculation 1.8 ms per token, plain 3 ms: plain only as a probe, once per 32.
  const int plain = run(guard, 320, 4, 3.0, 1.8);
  EXPECT_GE(plain, 8);
  EXPECT_LE(plain, 11);
  // Batch sizes are measured apart, by power-of-two bucket: 5 shares 4's, 16 has none.
  EXPECT_NEAR(guard.measured(5, true), 3e-3, 1e-9);
  EXPECT_LT(guard.measured(16, true), 0);
  // Below min_batch_size (4) the guard leaves every plan to the predictions.
  EXPECT_EQ(run(guard, 100, 1, 0.1, 5.0), 0);
  EXPECT_LT(guard.measured(1, true), 0);
}

TEST(PlainDecodingGuardTest, LeavesPlainPlansAloneAndRefusesBadOptions) {
  PlainDecodingGuard guard;
  const Plan plain{{kTarget}, {}};
  EXPECT_EQ(guard.filter(plain, 4, kTarget).chain, plain.chain);
  EXPECT_THROW(PlainDecodingGuard({.smoothing = 0}), specrouter::UsageError);
  EXPECT_THROW(PlainDecodingGuard({.probe_interval = 1}), specrouter::UsageError);
  EXPECT_THROW(PlainDecodingGuard({.margin = 1}), specrouter::UsageError);
  EXPECT_THROW(PlainDecodingGuard({.min_batch_size = 0}), specrouter::UsageError);
}

}  // namespace
