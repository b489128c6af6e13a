#pragma once
// Schedulers written in Python: an adapter that is a C++ Scheduler and calls a Python
// object's plan() and observe(), holding the GIL only during those calls.

#include <memory>
#include <string>
#include <vector>

namespace specrouter {
class PerformanceEstimates;  // specrouter/scheduling/performance_estimates.h
}

namespace specrouter::python {

/// The C++ context's estimates, shared by every copy of one ContextView and cleared when
/// plan() returns: they live only during the call, so a view kept by Python answers
/// "no longer valid" instead of reading freed memory.
struct EstimatesHandle {
  const PerformanceEstimates* estimates = nullptr;
};

/// What a Python scheduler's plan() receives: a copy of the SchedulingContext it may keep
/// (the C++ context's pool span lives only during the call); its estimates can be read
/// (forward_seconds, acceptance_rate, predict_seconds_per_token) during plan() only.
struct ContextView {
  std::vector<std::string> pool;  ///< pool names, cheapest first, target last; Plan.chain indexes it
  int batch_size = 1;             ///< sequences in the step
  double context_length = 0;      ///< mean committed tokens per sequence
  bool has_estimates = false;     ///< whether the engine measured costs and acceptances yet
  std::shared_ptr<EstimatesHandle> estimates;  ///< valid during plan(); null pointer inside after
};

}  // namespace specrouter::python
