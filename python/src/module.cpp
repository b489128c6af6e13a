// specrouter._core: the engine as a Python extension. The Python package
// (python/specrouter/) is the public face; this module is its implementation.
#include "bindings.h"

NB_MODULE(_core, m) {
  m.doc() = "SpecRouter's C++ engine (use the `specrouter` package, not this module directly)";
  // Schedulers registered from Python stay registered for the life of the process, so
  // their classes (and what their methods' globals reach) are never released: by design,
  // not a reference-counting bug, so nanobind's exit-time leak report would only mislead.
  nanobind::set_leak_warnings(false);
  specrouter::python::bind_errors(m);
  specrouter::python::bind_plugins(m);
  specrouter::python::bind_scheduler(m);
  specrouter::python::bind_drafter(m);
  specrouter::python::bind_verifier(m);
  specrouter::python::bind_pool(m);
  specrouter::python::bind_experiment(m);
  specrouter::python::bind_results(m);
}
