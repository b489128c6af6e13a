// The core's error classes as Python exceptions, so that a bad config, an unknown plugin
// or a missing folder raises with the C++ message instead of ending the interpreter.
#include <nanobind/nanobind.h>

#include "bindings.h"
#include "specrouter/error.h"

namespace nb = nanobind;

namespace specrouter::python {

void bind_errors(nb::module_& m) {
  // nanobind tries the most recently registered translator first: the base class first,
  // then the derived ones, so each error meets its own class before its base.
  nb::exception<Error> base(m, "SpecRouterError", PyExc_RuntimeError);
  nb::exception<ConfigError>(m, "ConfigError", base);
  nb::exception<PluginError>(m, "PluginError", base);
  nb::exception<UnknownComponentError>(m, "UnknownComponentError", base);
  nb::exception<CheckpointError>(m, "CheckpointError", base);
  nb::exception<CapacityError>(m, "CapacityError", base);
  nb::exception<UsageError>(m, "UsageError", base);
  nb::exception<NumericalError>(m, "NumericalError", base);
}

}  // namespace specrouter::python
