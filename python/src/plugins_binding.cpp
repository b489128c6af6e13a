// Listing the registered components with their declared parameters, and loading more
// plugin folders.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "shared_registries.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

nb::dict param_dict(const ParamSpec& spec) {
  nb::dict out;
  out["name"] = spec.name;
  out["type"] = to_string(spec.type);
  out["required"] = spec.required();
  out["default"] = spec.default_value ? nb::cast(*spec.default_value) : nb::none();
  out["doc"] = spec.doc;
  return out;
}

nb::dict component_dict(const ComponentInfo& info) {
  nb::dict out;
  out["kind"] = info.kind;
  out["name"] = info.name;
  out["description"] = info.description;
  nb::list params;
  for (const ParamSpec& spec : info.params) params.append(param_dict(spec));
  out["params"] = params;
  out["library"] = info.library;
  out["source_file"] = info.source_file;
  return out;
}

nb::dict report_dict(const PluginLoadReport& report) {
  nb::dict out;
  out["loaded"] = report.loaded;
  out["errors"] = report.errors;
  return out;
}

}  // namespace

void bind_plugins(nb::module_& m) {
  m.def(
      "plugins",
      [] {
        nb::list out;
        for (const ComponentInfo* info : shared_registries().all()) out.append(component_dict(*info));
        return out;
      },
      "Every registered component (kind, name, description, params, library), sorted by kind then name.");
  m.def(
      "load_plugins", [](const std::vector<std::filesystem::path>& folders) { return report_dict(load_plugin_folders(folders)); },
      nb::arg("folders"), "Loads every plugin library in `folders`; returns {'loaded': [...], 'errors': [...]}.");
  m.def(
      "plugin_load_report", [] { return report_dict(plugin_load_report()); },
      "Every plugin library loaded so far and every refusal.");
}

}  // namespace specrouter::python
