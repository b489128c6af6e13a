#pragma once
// Results files as `specrouter run` writes them (a /summary with the leaderboard's
// attributes and a few table rows), written with ResultsWriter, for the leaderboard and
// plot tests.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "specrouter/results/records.h"

namespace specrouter::testing {

/// What one run reports in its summary.
struct SampleRun {
  std::string method;
  std::string workload;
  std::string pool = "tiny";
  std::string target = "target";
  bool baseline = false;
  double tokens_per_second = 0;
  double tau = 1;
  std::int64_t seed = 0;
  std::map<std::string, double> acceptance;  ///< model -> accepted/drafted
  /// Plans and their step counts, most used first; their steps go to /steps in turn.
  std::vector<std::pair<std::string, std::int64_t>> plans = {{"target", 4}};
  std::vector<specrouter::EventRecord> events;  ///< rows of /events
  std::string scheduler;                        ///< the summary's `scheduler`; empty: not written
};

/// Writes `<folder>/results.h5` for `run` (creating the folder): its summary, one /steps
/// row per step of its plans (0.1 s apart), their levels, and one /estimates row per step.
void write_sample_run(const std::filesystem::path& folder, const SampleRun& run);

/// Rewrites the root attribute `format_version` of a results file.
void set_format_version(const std::filesystem::path& file, std::int64_t version);

/// Removes `path` and everything under it. Not std::filesystem::remove_all, which in a
/// binary linking the torch wheel may resolve to libtorch's broken copy.
void remove_tree(const std::filesystem::path& path);

/// Runs `command` through the shell; returns its exit status, its stdout+stderr in `output`.
int run_shell(const std::string& command, std::string& output);

/// `text` quoted for the shell.
std::string shell_quote(const std::string& text);

}  // namespace specrouter::testing
