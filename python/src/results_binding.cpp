// A run's results file as plain columns ({table: {column: list}}), summary and metadata;
// the package turns them into pandas DataFrames. Read with the engine's ResultsReader, so
// the package needs no h5py.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "specrouter/error.h"
#include "specrouter/results/results_reader.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

// A column in whichever of the three stored types it has.
nb::object read_column(const ResultsReader& reader, const std::string& table, const std::string& column) {
  try {
    return nb::cast(reader.int64_column(table, column));
  } catch (const Error&) {
  }
  try {
    return nb::cast(reader.float64_column(table, column));
  } catch (const Error&) {
  }
  return nb::cast(reader.string_column(table, column));
}

nb::dict read_tables(const std::filesystem::path& path) {
  const ResultsReader reader(path);
  reader.check_format();
  nb::dict tables;
  for (const std::string& table : reader.tables()) {
    nb::dict columns;
    for (const std::string& column : reader.columns(table)) columns[column.c_str()] = read_column(reader, table, column);
    tables[table.c_str()] = columns;
  }
  return tables;
}

nb::dict read_summary(const std::filesystem::path& path) {
  const ResultsReader reader(path);
  nb::dict summary;
  if (!reader.has_summary()) return summary;
  for (const auto& [name, value] : reader.summary()) summary[name.c_str()] = nb::cast(value);
  return summary;
}

}  // namespace

void bind_results(nb::module_& m) {
  m.def("read_tables", &read_tables, nb::arg("path"),
        "Every table of a results file: {table: {column: list}} (docs/results-schema.md).");
  m.def("read_summary", &read_summary, nb::arg("path"), "The /summary attributes of a results file ({} if none).");
  m.def(
      "read_metadata",
      [](const std::filesystem::path& path, const std::string& name) { return ResultsReader(path).metadata(name); },
      nb::arg("path"), nb::arg("name"), "A string attribute of /metadata (config_yaml, host, git_commit, ...).");
  m.def("find_results_files", &find_results_files, nb::arg("folder"),
        "Every finished results.h5 below `folder`, sorted.");
}

}  // namespace specrouter::python
