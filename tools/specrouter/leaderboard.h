#pragma once
// The leaderboard of a results folder: every run's summary, grouped into cells of
// (pool, method, workload), with the speedup over the target-only baseline measured in
// the same folder. Rendering is in leaderboard_render.cpp; docs/leaderboard.md shows
// the tables and says how cells are averaged.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace specrouter::cli {

/// What the leaderboard takes from one results file's `/summary`.
struct RunSummary {
  std::filesystem::path file;
  std::string method;    ///< the row label
  std::string workload;  ///< the column
  std::string pool;
  std::string target;
  bool baseline = false;  ///< plain target-only decoding
  double tokens_per_second = 0;
  double tau = 0;
  std::int64_t seed = 0;
  std::map<std::string, double> acceptance;  ///< model -> accepted/drafted, for models that drafted
  /// Steps per plan ("draft:4>target" -> 120), from the `plans` attribute.
  std::vector<std::pair<std::string, std::int64_t>> plans;
};

/// One cell: the runs of one method on one workload with one pool, averaged.
struct LeaderboardCell {
  int runs = 0;                              ///< results files in the cell (seeds)
  std::vector<std::int64_t> seeds;           ///< their seeds, sorted
  double tokens_per_second = 0;              ///< arithmetic mean over the runs
  double tau = 0;                            ///< arithmetic mean over the runs
  std::map<std::string, double> acceptance;  ///< per model, mean over the runs where it drafted
  /// Steps per plan summed over the runs, most used first.
  std::vector<std::pair<std::string, std::int64_t>> plans;
  /// Mean tokens/s over mean baseline tokens/s of the same pool and workload; unset when
  /// the folder holds no baseline run for them.
  std::optional<double> speedup;
};

/// The table of one pool: rows are methods, columns are workloads.
struct PoolLeaderboard {
  std::string pool;
  std::string target;
  std::vector<std::string> baselines;  ///< method labels of the baseline runs (normally one)
  std::vector<std::string> methods;    ///< rows: baselines first, then by name
  std::vector<std::string> workloads;  ///< columns, by name
  std::vector<std::string> models;     ///< every model with an acceptance, by name
  std::map<std::pair<std::string, std::string>, LeaderboardCell> cells;  ///< (method, workload) -> cell

  /// The cell of `method` on `workload`, or null when no run measured it.
  const LeaderboardCell* find(const std::string& method, const std::string& workload) const;
};

/// A whole results folder.
struct Leaderboard {
  std::vector<PoolLeaderboard> pools;  ///< by pool name
  int files_read = 0;                  ///< results files that contributed
  /// Files left out, each with why ("<file>: format_version 2, this reader reads version 1").
  std::vector<std::string> skipped;
};

/// Reads the summary of one results file. Throws Error naming the file and the
/// attribute when the file cannot be read, has no summary, another format version, or
/// lacks `method` or `workload`.
RunSummary read_run_summary(const std::filesystem::path& file);

/// Parses a `plans` summary attribute: "draft:4>target 120; target 5". Throws Error
/// naming `file` when an entry has no step count.
std::vector<std::pair<std::string, std::int64_t>> parse_plans(const std::string& text,
                                                              const std::filesystem::path& file);

/// Groups runs into cells and computes speedups.
Leaderboard build_leaderboard(const std::vector<RunSummary>& runs);

/// Reads every results.h5 below `folder` (partial files are never read); a file that
/// cannot be used is listed in Leaderboard::skipped, not fatal.
Leaderboard read_leaderboard(const std::filesystem::path& folder);

/// Markdown: per pool, one table per measure (speedup and tokens/s, tau, acceptance,
/// chains chosen), rows = methods, columns = workloads, "—" where nothing was measured.
void render_markdown(const Leaderboard& board, const std::filesystem::path& folder, std::ostream& out);

/// CSV: one row per (pool, method, workload), every combination present in the grid;
/// the measures of a cell nothing measured are empty and its `runs` is 0.
void render_csv(const Leaderboard& board, std::ostream& out);

}  // namespace specrouter::cli
