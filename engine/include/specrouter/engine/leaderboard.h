#pragma once
// The leaderboard of a results folder: every run's summary, grouped into cells of
// (pool, method, workload), each the mean and spread over its runs (seeds), with the
// speedup over the target-only baseline measured in the same folder and a comparison
// with the best static plan in hindsight. Rendering is in leaderboard_render.cpp;
// docs/leaderboard.md shows the tables and says how cells are averaged.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace specrouter::engine {

/// What the leaderboard takes from one results file's `/summary`.
struct RunSummary {
  std::filesystem::path file;
  std::string method;    ///< the row label
  std::string workload;  ///< the column
  std::string pool;
  std::string target;
  bool baseline = false;  ///< plain target-only decoding
  std::string scheduler;  ///< the scheduler plugin ("static", "dp", ...); empty when the file names none
  double tokens_per_second = 0;
  double tau = 0;
  std::int64_t seed = 0;
  std::map<std::string, double> acceptance;  ///< model -> accepted/drafted, for models that drafted
  /// Steps per plan ("draft:4>target" -> 120), from the `plans` attribute.
  std::vector<std::pair<std::string, std::int64_t>> plans;
};

/// A measure over the runs of a cell: its arithmetic mean and its sample standard
/// deviation (divided by n - 1), unset for a single run.
struct SeedStat {
  double mean = 0;
  std::optional<double> std;  ///< unset for fewer than two runs
};

/// Mean and sample standard deviation of `values` (no values: mean 0, no deviation).
SeedStat seed_stat(const std::vector<double>& values);

/// How a cell's speedups were measured.
enum class SpeedupPairing {
  kSeed,   ///< every run against the baseline run(s) of its own seed
  kMean,   ///< every run against the mean of the baseline runs (the baseline lacks their seeds)
  kMixed,  ///< some runs one way, some the other
};

/// One cell: the runs of one method on one workload with one pool.
struct LeaderboardCell {
  int runs = 0;                              ///< results files in the cell (seeds)
  std::vector<std::int64_t> seeds;           ///< their seeds, sorted
  std::vector<double> run_tokens_per_second; ///< per run, in the order of `seeds`
  std::vector<double> run_taus;              ///< per run, in the order of `seeds`
  /// Per run, in the order of `seeds`: its tokens/s over the baseline's of its seed, or
  /// over the baseline mean when the baseline has no run of that seed; empty when the
  /// folder holds no baseline for the pool and workload.
  std::vector<double> run_speedups;
  double tokens_per_second = 0;              ///< arithmetic mean over the runs
  std::optional<double> tokens_per_second_std;  ///< sample standard deviation over the runs
  double tau = 0;                            ///< arithmetic mean over the runs
  std::optional<double> tau_std;             ///< sample standard deviation over the runs
  std::map<std::string, double> acceptance;  ///< per model, mean over the runs where it drafted
  /// Steps per plan summed over the runs, most used first.
  std::vector<std::pair<std::string, std::int64_t>> plans;
  /// Mean over the runs of run_speedups; unset when the folder holds no baseline run
  /// for this pool and workload.
  std::optional<double> speedup;
  std::optional<double> speedup_std;         ///< sample standard deviation of run_speedups
  SpeedupPairing pairing = SpeedupPairing::kSeed;  ///< how run_speedups were measured
  bool is_static = false;  ///< every run used the `static` scheduler and none is a baseline
  /// The best static plan of the workload is another method and this cell's mean is
  /// within the larger of the two standard deviations of the best static's mean
  /// (speedup when the workload has a baseline, else tokens/s).
  bool near_best_static = false;
  /// Mean tokens/s over the best static plan's mean tokens/s on the same workload;
  /// unset when the workload has no static plan.
  std::optional<double> vs_best_static;
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
  /// Workload -> the best static plan in hindsight: the method of the static cell with
  /// the highest mean speedup (mean tokens/s when the workload has no baseline).
  std::map<std::string, std::string> best_static;

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

/// Groups runs into cells, computes means, deviations and speedups, and finds the best
/// static plan of each workload.
Leaderboard build_leaderboard(const std::vector<RunSummary>& runs);

/// Reads every results.h5 below `folder` (partial files are never read); a file that
/// cannot be used is listed in Leaderboard::skipped, not fatal.
Leaderboard read_leaderboard(const std::filesystem::path& folder);

/// Markdown: per pool, one table per measure (speedup and tokens/s, tokens/s relative to
/// the best static plan, tau, acceptance, chains chosen), rows = methods, columns =
/// workloads, "mean ± std" over seeds, "—" where nothing was measured.
void render_markdown(const Leaderboard& board, const std::filesystem::path& folder, std::ostream& out);

/// CSV: one row per (pool, method, workload), every combination present in the grid;
/// means with a `_std` column beside each (empty for one run), then the comparison with
/// the best static plan; the measures of a cell nothing measured are empty and its
/// `runs` is 0.
void render_csv(const Leaderboard& board, std::ostream& out);

}  // namespace specrouter::engine
