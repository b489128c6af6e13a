#pragma once

/// @file
/// @brief A guard that checks predictions against measured steps: per batch size it
/// measures the time per committed token of plain decoding and of the speculative plans
/// a scheduler chooses, and replaces speculation by plain decoding where plain decoding
/// measures faster (docs/design/robust_routing.md).

#include <cstdint>
#include <map>

#include "specrouter/scheduler.h"

namespace specrouter {

/// Tuning of PlainDecodingGuard.
struct PlainDecodingGuardOptions {
  /// Weight of a new step in the moving averages of seconds per committed token.
  double smoothing = 0.1;
  /// Steps at a batch size after which the side not planned lately (plain or speculative)
  /// is probed once again: the share of steps the guard spends measuring is at most
  /// 1/probe_interval per side.
  int probe_interval = 32;
  /// Plain decoding replaces speculation when its measured time per token is below
  /// (1 - margin) times speculation's: small differences are left to the predictions.
  double margin = 0.03;
  /// Smallest batch the guard acts on. Below it a step's time per token swings with the
  /// prompts that join (a new request's first step feeds its whole prompt), so single
  /// probes mislead: at batch 1 on the zoo the guard measured plain decoding faster after
  /// such steps and gave up 17% of throughput. The predictions are right there anyway.
  int min_batch_size = 4;
};

/// Per batch size (rounded down to a power of two), the measured seconds per committed
/// token of plain decoding and of speculation, and the decision they support.
///
/// A scheduler calls filter() on the plan it predicted best and observe() with every
/// outcome. Predictions can be wrong where the cost model extrapolates (a large batch
/// whose one-token passes the fits rarely see); the guard bounds the damage to what the
/// probes cost.
class PlainDecodingGuard {
 public:
  /// Throws UsageError for smoothing outside (0, 1], a probe interval below 2, a margin
  /// outside [0, 1) or a minimum batch size below 1.
  explicit PlainDecodingGuard(PlainDecodingGuardOptions options = {});

  /// The plan to run at `batch_size` instead of `predicted` (target index `target`):
  /// `predicted` itself, plain decoding `{target}` where it measures faster, or a probe of
  /// the side not measured for probe_interval steps.
  Plan filter(const Plan& predicted, int batch_size, int target);

  /// Learns from a step's outcome (its plan, batch size, committed tokens and seconds).
  void observe(const StepOutcome& outcome);

  /// Measured seconds per committed token at `batch_size` (its power-of-two bucket) of
  /// plain decoding (`plain`) or speculation; negative when not measured yet.
  double measured(int batch_size, bool plain) const;

 private:
  struct Side {
    double seconds_per_token = -1;   // moving average; < 0 = not measured
    std::int64_t last_step = -1;     // step index it last ran
  };
  struct BatchRecord {
    Side plain;
    Side speculative;
  };

  PlainDecodingGuardOptions options_;
  static int bucket(int batch_size);

  std::map<int, BatchRecord> records_;  // by batch-size bucket
  std::int64_t steps_ = 0;              // filter() calls so far
};

}  // namespace specrouter
