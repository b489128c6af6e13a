#pragma once
// Schedulers written in Python: an adapter that is a C++ Scheduler and calls a Python
// object's plan() and observe(), holding the GIL only during those calls.

#include <string>
#include <vector>

namespace specrouter::python {

/// What a Python scheduler's plan() receives: a copy of the SchedulingContext it may keep
/// (the C++ context's pool span and estimates live only during the call).
struct ContextView {
  std::vector<std::string> pool;  ///< pool names, cheapest first, target last; Plan.chain indexes it
  int batch_size = 1;             ///< sequences in the step
  double context_length = 0;      ///< mean committed tokens per sequence
  bool has_estimates = false;     ///< whether the engine measured costs and acceptances yet
};

}  // namespace specrouter::python
