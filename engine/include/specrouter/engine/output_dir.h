#pragma once

/// @file
/// @brief The output folder of a run: where it is, and creating it with the composed
/// config and the overrides saved inside.
///
/// A single run writes to `run.output_dir` (default
/// `results/${now:%Y-%m-%d}/${now:%H-%M-%S}`); job `n` of a multirun writes to
/// `<run.sweep_dir>/<n>` (default sweep folder
/// `results/multirun/${now:%Y-%m-%d}/${now:%H-%M-%S}`). Relative folders are taken
/// from `OutputDirOptions::base_dir`, never from a changed working directory: the
/// process never calls chdir.

#include <cstddef>
#include <filesystem>
#include <optional>

#include "specrouter/config/compose.h"

namespace specrouter {

/// Default of `run.output_dir`.
inline constexpr const char* kDefaultOutputDir = "results/${now:%Y-%m-%d}/${now:%H-%M-%S}";
/// Default of `run.sweep_dir`.
inline constexpr const char* kDefaultSweepDir = "results/multirun/${now:%Y-%m-%d}/${now:%H-%M-%S}";

/// Where a run's folder goes.
struct OutputDirOptions {
  /// Relative output folders are resolved against this folder; empty: the current one.
  std::filesystem::path base_dir;
  /// The job number of a multirun job; unset for a single run.
  std::optional<std::size_t> job_number;
};

/// The folder a run writes to (nothing is created).
std::filesystem::path output_dir_of(const ComposedConfig& config, const OutputDirOptions& options);

/// Creates the run's folder and writes `.specrouter/config.yaml` (the composed, resolved
/// config) and `.specrouter/overrides.yaml` (the overrides, a YAML list) in it; returns
/// the folder. An existing folder is reused and the two files replaced. Throws
/// ConfigError when the folder cannot be created or written.
std::filesystem::path prepare_output_dir(const ComposedConfig& config, const OutputDirOptions& options);

}  // namespace specrouter
