#include "specrouter/scheduling/plain_decoding_guard.h"

#include <string>

#include "specrouter/error.h"

namespace specrouter {

PlainDecodingGuard::PlainDecodingGuard(PlainDecodingGuardOptions options) : options_(options) {
  if (!(options_.smoothing > 0 && options_.smoothing <= 1)) {
    throw UsageError("PlainDecodingGuard: smoothing is " + std::to_string(options_.smoothing) + ", must be in (0, 1]");
  }
  if (options_.probe_interval < 2) {
    throw UsageError("PlainDecodingGuard: probe_interval is " + std::to_string(options_.probe_interval) +
                     ", must be >= 2");
  }
  if (!(options_.margin >= 0 && options_.margin < 1)) {
    throw UsageError("PlainDecodingGuard: margin is " + std::to_string(options_.margin) + ", must be in [0, 1)");
  }
  if (options_.min_batch_size < 1) {
    throw UsageError("PlainDecodingGuard: min_batch_size is " + std::to_string(options_.min_batch_size) +
                     ", must be >= 1");
  }
}

int PlainDecodingGuard::bucket(int batch_size) {
  int power = 1;
  while (power * 2 <= batch_size) power *= 2;
  return power;
}

Plan PlainDecodingGuard::filter(const Plan& predicted, int batch_size, int target) {
  const std::int64_t step = steps_++;
  const Plan plain{{target}, {}};
  if (predicted.chain.size() <= 1) return predicted;  // plain already: nothing to guard
  if (batch_size < options_.min_batch_size) return predicted;
  BatchRecord& record = records_[bucket(batch_size)];
  const auto stale = [&](const Side& side) {
    return side.seconds_per_token < 0 || step - side.last_step >= options_.probe_interval;
  };
  // Measure plain decoding where it has not been measured lately.
  if (stale(record.plain) && record.speculative.seconds_per_token >= 0) return plain;
  const bool plain_faster = record.plain.seconds_per_token >= 0 && record.speculative.seconds_per_token >= 0 &&
                            record.plain.seconds_per_token < (1 - options_.margin) * record.speculative.seconds_per_token;
  // Plain measured faster: keep to it, re-probing speculation when its measure is stale.
  if (plain_faster && !stale(record.speculative)) return plain;
  return predicted;
}

void PlainDecodingGuard::observe(const StepOutcome& outcome) {
  if (outcome.committed_tokens <= 0 || !(outcome.seconds > 0) || outcome.batch_size < options_.min_batch_size) return;
  BatchRecord& record = records_[bucket(outcome.batch_size)];
  Side& side = outcome.plan.chain.size() <= 1 ? record.plain : record.speculative;
  const double value = outcome.seconds / static_cast<double>(outcome.committed_tokens);
  side.seconds_per_token =
      side.seconds_per_token < 0 ? value : side.seconds_per_token + options_.smoothing * (value - side.seconds_per_token);
  side.last_step = steps_ - 1;
}

double PlainDecodingGuard::measured(int batch_size, bool plain) const {
  const auto it = records_.find(bucket(batch_size));
  if (it == records_.end()) return -1;
  return plain ? it->second.plain.seconds_per_token : it->second.speculative.seconds_per_token;
}

}  // namespace specrouter
