#include "python_components.h"

#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

namespace nb = nanobind;

namespace specrouter::python {
namespace {

ParamType param_type(const std::string& text) {
  for (ParamType type : {ParamType::kBool, ParamType::kInt, ParamType::kFloat, ParamType::kString, ParamType::kIntList,
                         ParamType::kFloatList, ParamType::kStringList}) {
    if (text == to_string(type)) return type;
  }
  throw UsageError("unknown parameter type '" + text +
                   "' (bool, int, float, string, list[int], list[float], list[string])");
}

// A Python value as the declared type (an empty list has no type of its own).
ParamValue typed_value(ParamType type, nb::handle value) {
  switch (type) {
    case ParamType::kBool: return nb::cast<bool>(value);
    case ParamType::kInt: return nb::cast<std::int64_t>(value);
    case ParamType::kFloat: return nb::cast<double>(value);
    case ParamType::kString: return nb::cast<std::string>(value);
    case ParamType::kIntList: return nb::cast<std::vector<std::int64_t>>(value);
    case ParamType::kFloatList: return nb::cast<std::vector<double>>(value);
    case ParamType::kStringList: return nb::cast<std::vector<std::string>>(value);
  }
  throw UsageError("unknown parameter type");
}

}  // namespace

std::vector<ParamSpec> param_specs(const nb::list& params) {
  std::vector<ParamSpec> specs;
  for (nb::handle item : params) {
    auto [name, type, default_value, doc] = nb::cast<std::tuple<std::string, std::string, nb::object, std::string>>(item);
    ParamSpec spec{name, param_type(type), std::nullopt, doc};
    if (!default_value.is_none()) spec.default_value = typed_value(spec.type, default_value);
    specs.push_back(std::move(spec));
  }
  return specs;
}

nb::dict keyword_arguments(const Params& values) {
  nb::dict kwargs;
  for (const auto& [key, value] : values.values()) kwargs[key.c_str()] = nb::cast(value);
  return kwargs;
}

void release_python_object(nb::object& object) {
  if (!Py_IsInitialized()) {
    object.release();  // the interpreter is gone: nothing left to release it to
    return;
  }
  nb::gil_scoped_acquire gil;
  object.reset();
}

}  // namespace specrouter::python
