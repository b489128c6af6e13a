#pragma once
// What every component written in Python shares: its declared parameters from a Python
// list, its validated parameters as keyword arguments, and registration into the shared
// registries with a factory that calls the Python class under the GIL.

#include <nanobind/nanobind.h>

#include <functional>
#include <memory>
#include <string>

#include "shared_registries.h"
#include "specrouter/error.h"

namespace specrouter::python {

/// Declared parameters from [(name, type, default or None when required, doc)].
std::vector<ParamSpec> param_specs(const nanobind::list& params);

/// Validated parameter values as keyword arguments (call with the GIL held).
nanobind::dict keyword_arguments(const Params& values);

/// Registers `factory` (a Python callable: factory(**params) -> the Python object) under
/// `name` in the registry of `Interface`; `adapt` wraps the object it returns in the C++
/// interface. The registry outlives the interpreter (shared_registries()), so the entry
/// keeps a reference to `factory` it never releases.
template <class Interface>
void register_python_component(const std::string& name, const std::string& description, const nanobind::list& params,
                               nanobind::object factory, const std::string& source_file,
                               std::function<std::unique_ptr<Interface>(nanobind::object)> adapt) {
  namespace nb = nanobind;
  typename Registry<Interface>::Entry entry;
  entry.info.kind = ComponentKind<Interface>::name;
  entry.info.name = name;
  entry.info.description = description;
  entry.info.source_file = source_file;
  entry.info.library = "python";
  entry.info.params = param_specs(params);
  PyObject* factory_ref = factory.release().ptr();
  entry.factory = [factory_ref, name, adapt = std::move(adapt)](const Params& values) -> std::unique_ptr<Interface> {
    nb::gil_scoped_acquire gil;
    try {
      nb::dict kwargs = keyword_arguments(values);
      return adapt(nb::borrow(factory_ref)(**kwargs));
    } catch (nb::python_error& e) {
      throw Error(std::string("Python ") + ComponentKind<Interface>::name + " '" + name + "': constructing it raised " +
                  e.what());
    }
  };
  ComponentKind<Interface>::of(shared_registries()).add(std::move(entry));
}

/// Releases a Python object under the GIL, or leaks it when the interpreter is gone.
void release_python_object(nanobind::object& object);

}  // namespace specrouter::python
