#pragma once

/// @file
/// @brief Reading a run's results file: the read side of docs/results-schema.md, for
/// leaderboards and other tools that compare runs.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/results/records.h"

namespace specrouter {

/// Value of the root attribute `format` of every results file.
inline constexpr const char* kResultsFormatName = "specrouter-results";
/// The `format_version` this reader understands; files of another version are refused
/// by check_format().
inline constexpr std::int64_t kReadableResultsFormatVersion = 1;

/// One results file, opened read-only.
///
/// Every failure throws Error naming the file and the HDF5 object (`results file
/// 'a/results.h5': dataset '/steps/plan': not found`). Calls are serialised with the
/// writer's (Debian's libhdf5 is not thread-safe).
class ResultsReader {
 public:
  /// Opens `path` read-only; throws Error naming it when it is missing or not HDF5.
  explicit ResultsReader(std::filesystem::path path);
  ~ResultsReader();                                    ///< closes the file
  ResultsReader(ResultsReader&&) noexcept;             ///< moves the open file
  ResultsReader& operator=(ResultsReader&&) noexcept;  ///< moves the open file
  ResultsReader(const ResultsReader&) = delete;
  ResultsReader& operator=(const ResultsReader&) = delete;

  /// The file's path.
  const std::filesystem::path& path() const;

  /// The root attribute `format` ("" when absent).
  std::string format() const;
  /// The root attribute `format_version` (-1 when absent).
  std::int64_t format_version() const;
  /// Throws Error naming the file unless `format` is kResultsFormatName and
  /// `format_version` is kReadableResultsFormatVersion.
  void check_format() const;

  /// True when the file has a `/summary` group (a finished run's file always has one).
  bool has_summary() const;
  /// Every attribute of `/summary`; throws Error naming the file when the group is absent
  /// or an attribute is neither an integer, a real number nor a string.
  Summary summary() const;

  /// A string attribute of `/metadata` (e.g. `config_yaml`, `host`); throws when absent.
  std::string metadata(const std::string& name) const;

  /// True when the table group `/<table>` exists.
  bool has_table(const std::string& table) const;
  /// Every table of the file (root groups other than `/metadata` and `/summary`), sorted
  /// by name: what a reader that wants them all (the Python package) iterates over.
  std::vector<std::string> tables() const;

  /// The columns (datasets) of `/<table>`, sorted by name; throws when it is absent.
  std::vector<std::string> columns(const std::string& table) const;

  /// Rows of `/<table>`: the length of its first column (0 for a table without columns).
  std::int64_t rows(const std::string& table) const;
  /// Column `/<table>/<column>` as integers; throws when absent or not an integer column.
  std::vector<std::int64_t> int64_column(const std::string& table, const std::string& column) const;
  /// Column `/<table>/<column>` as reals; throws when absent or not a numeric column.
  std::vector<double> float64_column(const std::string& table, const std::string& column) const;
  /// Column `/<table>/<column>` as strings; throws when absent or not a string column.
  std::vector<std::string> string_column(const std::string& table, const std::string& column) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Every finished results file (`results.h5`) under `folder`, recursively, sorted by
/// path. Partial files (`*.h5.partial`) are never returned. Throws Error naming the
/// folder when it does not exist.
std::vector<std::filesystem::path> find_results_files(const std::filesystem::path& folder);

}  // namespace specrouter
