// Collecting run summaries into leaderboard cells. A cell averages its runs (seeds)
// arithmetically and reports their sample standard deviation; its speedup is the mean
// over its runs of each run's tokens/s over the baseline's of the same seed (over the
// baseline mean when the baseline lacks that seed), so seed-to-seed variation common to
// both cancels, and a missing baseline gives no speedup rather than an invented one.
// The best static plan of a workload (hindsight) is the static cell with the highest
// mean speedup; cells within the larger standard deviation of it are marked.
#include "specrouter/engine/leaderboard.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "specrouter/error.h"
#include "specrouter/results/results_reader.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

[[noreturn]] void bad_summary(const fs::path& file, const std::string& key, const std::string& why) {
  throw Error("results file '" + file.string() + "': attribute '" + key + "' of group '/summary': " + why);
}

const SummaryValue& require(const Summary& summary, const fs::path& file, const std::string& key) {
  auto it = summary.find(key);
  if (it == summary.end()) bad_summary(file, key, "missing");
  return it->second;
}

std::string text_of(const Summary& summary, const fs::path& file, const std::string& key, bool required) {
  auto it = summary.find(key);
  if (it == summary.end()) {
    if (required) bad_summary(file, key, "missing");
    return "";
  }
  if (const auto* text = std::get_if<std::string>(&it->second)) return *text;
  bad_summary(file, key, "expected a string");
}

double number_of(const SummaryValue& value, const fs::path& file, const std::string& key) {
  if (const auto* real = std::get_if<double>(&value)) return *real;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
  bad_summary(file, key, "expected a number");
}

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

void add_plans(std::vector<std::pair<std::string, std::int64_t>>& total,
               const std::vector<std::pair<std::string, std::int64_t>>& more) {
  for (const auto& [plan, steps] : more) {
    auto it = std::find_if(total.begin(), total.end(), [&](const auto& entry) { return entry.first == plan; });
    if (it == total.end()) {
      total.emplace_back(plan, steps);
    } else {
      it->second += steps;
    }
  }
}

double mean(const std::vector<double>& values) { return seed_stat(values).mean; }

// The measure the best static plan is chosen by and compared on: the speedup when the
// workload has a baseline, else tokens/s.
SeedStat ranking_measure(const LeaderboardCell& cell) {
  if (cell.speedup) return {*cell.speedup, cell.speedup_std};
  return {cell.tokens_per_second, cell.tokens_per_second_std};
}

// Speedups of every cell of `workload`: each run against the baseline of its seed, or
// against the baseline mean when the baseline has no run of that seed.
void add_speedups(PoolLeaderboard& pool, const std::string& workload,
                  const std::map<std::pair<std::string, std::string>, std::vector<const RunSummary*>>& grouped) {
  std::vector<double> baseline_rates;
  std::map<std::int64_t, std::vector<double>> baseline_by_seed;
  for (const auto& [key, cell_runs] : grouped) {
    if (key.second != workload) continue;
    for (const RunSummary* run : cell_runs) {
      if (!run->baseline) continue;
      baseline_rates.push_back(run->tokens_per_second);
      baseline_by_seed[run->seed].push_back(run->tokens_per_second);
    }
  }
  const double baseline = mean(baseline_rates);
  if (baseline_rates.empty() || !(baseline > 0)) return;
  for (const auto& [key, cell_runs] : grouped) {
    if (key.second != workload) continue;
    LeaderboardCell& cell = pool.cells.at(key);
    int paired = 0;
    for (const RunSummary* run : cell_runs) {  // in seed order, as the cell's other runs
      auto it = baseline_by_seed.find(run->seed);
      const double same_seed = it == baseline_by_seed.end() ? 0.0 : mean(it->second);
      paired += same_seed > 0;
      cell.run_speedups.push_back(run->tokens_per_second / (same_seed > 0 ? same_seed : baseline));
    }
    const SeedStat speedup = seed_stat(cell.run_speedups);
    cell.speedup = speedup.mean;
    cell.speedup_std = speedup.std;
    cell.pairing = paired == cell.runs ? SpeedupPairing::kSeed
                   : paired == 0       ? SpeedupPairing::kMean
                                       : SpeedupPairing::kMixed;
  }
}

// The best static plan of `workload` and every cell's comparison with it.
void compare_with_best_static(PoolLeaderboard& pool, const std::string& workload) {
  const LeaderboardCell* best = nullptr;
  std::string best_method;
  for (const std::string& method : pool.methods) {
    const LeaderboardCell* cell = pool.find(method, workload);
    if (cell == nullptr || !cell->is_static) continue;
    if (best == nullptr || ranking_measure(*cell).mean > ranking_measure(*best).mean) {
      best = cell;
      best_method = method;
    }
  }
  if (best == nullptr) return;
  pool.best_static[workload] = best_method;
  const SeedStat reference = ranking_measure(*best);
  for (const std::string& method : pool.methods) {
    auto it = pool.cells.find({method, workload});
    if (it == pool.cells.end()) continue;
    LeaderboardCell& cell = it->second;
    if (best->tokens_per_second > 0) cell.vs_best_static = cell.tokens_per_second / best->tokens_per_second;
    if (method == best_method) continue;
    const SeedStat mine = ranking_measure(cell);
    const double threshold = std::max(mine.std.value_or(0.0), reference.std.value_or(0.0));
    cell.near_best_static = std::abs(mine.mean - reference.mean) < threshold;
  }
}

}  // namespace

SeedStat seed_stat(const std::vector<double>& values) {
  SeedStat stat;
  if (values.empty()) return stat;
  double sum = 0;
  for (double value : values) sum += value;
  stat.mean = sum / static_cast<double>(values.size());
  if (values.size() >= 2) {
    double squares = 0;
    for (double value : values) squares += (value - stat.mean) * (value - stat.mean);
    stat.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return stat;
}

const LeaderboardCell* PoolLeaderboard::find(const std::string& method, const std::string& workload) const {
  auto it = cells.find({method, workload});
  return it == cells.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::int64_t>> parse_plans(const std::string& text, const fs::path& file) {
  std::vector<std::pair<std::string, std::int64_t>> plans;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const std::string entry = trim(text.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    const std::size_t space = entry.find_last_of(' ');
    std::size_t used = 0;
    std::int64_t steps = -1;
    try {
      if (space != std::string::npos) steps = std::stoll(entry.substr(space + 1), &used);
    } catch (const std::exception&) {
      steps = -1;
    }
    if (space == std::string::npos || steps < 0 || used != entry.size() - space - 1) {
      bad_summary(file, "plans", "entry '" + entry + "' is not '<plan> <steps>'");
    }
    plans.emplace_back(trim(entry.substr(0, space)), steps);
  }
  return plans;
}

RunSummary read_run_summary(const fs::path& file) {
  const ResultsReader reader(file);
  reader.check_format();
  if (!reader.has_summary()) throw Error("results file '" + file.string() + "': no /summary group (an unfinished run?)");
  const Summary summary = reader.summary();
  RunSummary run;
  run.file = file;
  run.method = text_of(summary, file, "method", true);
  run.workload = text_of(summary, file, "workload", true);
  run.pool = text_of(summary, file, "pool", false);
  run.target = text_of(summary, file, "target", false);
  if (auto it = summary.find("baseline"); it != summary.end()) run.baseline = number_of(it->second, file, "baseline") != 0;
  run.scheduler = text_of(summary, file, "scheduler", false);
  run.tokens_per_second = number_of(require(summary, file, "tokens_per_second"), file, "tokens_per_second");
  if (auto it = summary.find("tau"); it != summary.end()) run.tau = number_of(it->second, file, "tau");
  if (auto it = summary.find("seed"); it != summary.end()) {
    run.seed = static_cast<std::int64_t>(number_of(it->second, file, "seed"));
  }
  const std::string prefix = "acceptance/";
  for (const auto& [key, value] : summary) {
    if (key.rfind(prefix, 0) == 0) run.acceptance[key.substr(prefix.size())] = number_of(value, file, key);
  }
  run.plans = parse_plans(text_of(summary, file, "plans", false), file);
  return run;
}

Leaderboard build_leaderboard(const std::vector<RunSummary>& runs) {
  std::map<std::string, std::vector<const RunSummary*>> by_pool;
  for (const RunSummary& run : runs) by_pool[run.pool].push_back(&run);

  Leaderboard board;
  board.files_read = static_cast<int>(runs.size());
  for (const auto& [pool_name, pool_runs] : by_pool) {
    PoolLeaderboard pool;
    pool.pool = pool_name;
    std::set<std::string> targets, baselines, methods, workloads, models;
    std::map<std::pair<std::string, std::string>, std::vector<const RunSummary*>> grouped;
    for (const RunSummary* run : pool_runs) {
      if (!run->target.empty()) targets.insert(run->target);
      if (run->baseline) baselines.insert(run->method);
      methods.insert(run->method);
      workloads.insert(run->workload);
      for (const auto& [model, rate] : run->acceptance) models.insert(model);
      grouped[{run->method, run->workload}].push_back(run);
    }
    for (const std::string& target : targets) pool.target += (pool.target.empty() ? "" : ", ") + target;
    pool.baselines.assign(baselines.begin(), baselines.end());
    pool.methods = pool.baselines;
    for (const std::string& method : methods) {
      if (!baselines.count(method)) pool.methods.push_back(method);
    }
    pool.workloads.assign(workloads.begin(), workloads.end());
    pool.models.assign(models.begin(), models.end());

    for (auto& [key, cell_runs] : grouped) {
      // Runs in seed order, so that every per-run list of the cell lines up with `seeds`.
      std::stable_sort(cell_runs.begin(), cell_runs.end(),
                       [](const RunSummary* a, const RunSummary* b) { return a->seed < b->seed; });
      LeaderboardCell cell;
      cell.runs = static_cast<int>(cell_runs.size());
      cell.is_static = true;
      std::map<std::string, std::vector<double>> acceptance;
      for (const RunSummary* run : cell_runs) {
        cell.seeds.push_back(run->seed);
        cell.run_tokens_per_second.push_back(run->tokens_per_second);
        cell.run_taus.push_back(run->tau);
        cell.is_static = cell.is_static && run->scheduler == "static" && !run->baseline;
        for (const auto& [model, rate] : run->acceptance) acceptance[model].push_back(rate);
        add_plans(cell.plans, run->plans);
      }
      const SeedStat rate = seed_stat(cell.run_tokens_per_second);
      const SeedStat tau = seed_stat(cell.run_taus);
      cell.tokens_per_second = rate.mean;
      cell.tokens_per_second_std = rate.std;
      cell.tau = tau.mean;
      cell.tau_std = tau.std;
      for (const auto& [model, values] : acceptance) cell.acceptance[model] = mean(values);
      std::stable_sort(cell.plans.begin(), cell.plans.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      pool.cells.emplace(key, std::move(cell));
    }

    // The baseline of a workload: every baseline run on it, whatever its label.
    for (const std::string& workload : pool.workloads) {
      add_speedups(pool, workload, grouped);
      compare_with_best_static(pool, workload);
    }
    board.pools.push_back(std::move(pool));
  }
  return board;
}

Leaderboard read_leaderboard(const fs::path& folder) {
  std::vector<RunSummary> runs;
  std::vector<std::string> skipped;
  for (const fs::path& file : find_results_files(folder)) {
    try {
      runs.push_back(read_run_summary(file));
    } catch (const Error& error) {
      skipped.push_back(error.what());
    }
  }
  Leaderboard board = build_leaderboard(runs);
  board.skipped = std::move(skipped);
  return board;
}

}  // namespace specrouter::engine
