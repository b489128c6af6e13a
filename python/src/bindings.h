#pragma once
// One bind_* function per concern of the module specrouter._core (module.cpp calls them).

#include <nanobind/nanobind.h>

namespace specrouter::python {

void bind_errors(nanobind::module_& m);       // errors.cpp: C++ errors as Python exceptions
void bind_plugins(nanobind::module_& m);      // plugins_binding.cpp: listing and loading plugins
void bind_scheduler(nanobind::module_& m);    // python_scheduler.cpp: Plan, contexts, Python schedulers
void bind_drafter(nanobind::module_& m);      // python_drafter.cpp: drafters written in Python
void bind_verifier(nanobind::module_& m);     // python_verifier.cpp: verifiers written in Python
void bind_pool(nanobind::module_& m);         // pool_binding.cpp: load_pool, generate, speculate, logits
void bind_experiment(nanobind::module_& m);   // experiment_binding.cpp: run_experiment, leaderboard
void bind_results(nanobind::module_& m);      // results_binding.cpp: results.h5 tables

}  // namespace specrouter::python
