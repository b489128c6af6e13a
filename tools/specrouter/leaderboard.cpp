// Collecting run summaries into leaderboard cells. A cell averages its runs (seeds)
// arithmetically; its speedup is the ratio of its mean tokens/s to the mean tokens/s of
// the baseline runs of the same pool and workload, so every run weighs the same and a
// missing baseline gives no speedup rather than an invented one.
#include "leaderboard.h"

#include <algorithm>
#include <set>

#include "specrouter/error.h"
#include "specrouter/results/results_reader.h"

namespace specrouter::cli {
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

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values) sum += value;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace

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

    for (const auto& [key, cell_runs] : grouped) {
      LeaderboardCell cell;
      cell.runs = static_cast<int>(cell_runs.size());
      std::vector<double> rates, taus;
      std::map<std::string, std::vector<double>> acceptance;
      for (const RunSummary* run : cell_runs) {
        cell.seeds.push_back(run->seed);
        rates.push_back(run->tokens_per_second);
        taus.push_back(run->tau);
        for (const auto& [model, rate] : run->acceptance) acceptance[model].push_back(rate);
        add_plans(cell.plans, run->plans);
      }
      std::sort(cell.seeds.begin(), cell.seeds.end());
      cell.tokens_per_second = mean(rates);
      cell.tau = mean(taus);
      for (const auto& [model, values] : acceptance) cell.acceptance[model] = mean(values);
      std::stable_sort(cell.plans.begin(), cell.plans.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      pool.cells.emplace(key, std::move(cell));
    }

    // The baseline of a workload: every baseline run on it, whatever its label.
    for (const std::string& workload : pool.workloads) {
      std::vector<double> baseline_rates;
      for (const RunSummary* run : pool_runs) {
        if (run->baseline && run->workload == workload) baseline_rates.push_back(run->tokens_per_second);
      }
      const double baseline = mean(baseline_rates);
      if (baseline_rates.empty() || !(baseline > 0)) continue;
      for (const std::string& method : pool.methods) {
        auto it = pool.cells.find({method, workload});
        if (it != pool.cells.end()) it->second.speedup = it->second.tokens_per_second / baseline;
      }
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

}  // namespace specrouter::cli
