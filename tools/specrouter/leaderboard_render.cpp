// Leaderboard tables as Markdown (for people: one table per measure, methods x
// workloads, as Spec-Bench prints them) and as CSV (for programs: one row per cell, full
// precision). Cells nothing measured are marked, never filled in.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "leaderboard.h"

namespace specrouter::cli {
namespace {

constexpr const char* kMissing = "—";

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string exact(double value) {
  if (!std::isfinite(value)) return "";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

// Markdown cells must not contain a bare '|'.
std::string escape_markdown(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Plans with their share of the steps, most used first: "draft:4>target 96%; target 4%".
std::string plan_shares(const LeaderboardCell& cell, std::size_t at_most) {
  std::int64_t total = 0;
  for (const auto& [plan, steps] : cell.plans) total += steps;
  if (total == 0) return kMissing;
  std::string text;
  for (std::size_t i = 0; i < cell.plans.size() && i < at_most; ++i) {
    if (i) text += "; ";
    text += cell.plans[i].first + " " +
            fixed(100.0 * static_cast<double>(cell.plans[i].second) / static_cast<double>(total), 0) + "%";
  }
  if (cell.plans.size() > at_most) text += "; +" + std::to_string(cell.plans.size() - at_most) + " more";
  return text;
}

template <class CellText>
void markdown_table(const PoolLeaderboard& pool, const std::string& title, std::ostream& out, CellText&& cell_text) {
  out << "### " << title << "\n\n| method |";
  for (const std::string& workload : pool.workloads) out << " " << escape_markdown(workload) << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < pool.workloads.size(); ++i) out << "---|";
  out << "\n";
  for (const std::string& method : pool.methods) {
    const bool is_baseline =
        std::find(pool.baselines.begin(), pool.baselines.end(), method) != pool.baselines.end();
    out << "| " << escape_markdown(method) << (is_baseline ? " (baseline)" : "") << " |";
    for (const std::string& workload : pool.workloads) {
      const LeaderboardCell* cell = pool.find(method, workload);
      out << " " << (cell ? escape_markdown(cell_text(*cell)) : kMissing) << " |";
    }
    out << "\n";
  }
  out << "\n";
}

}  // namespace

void render_markdown(const Leaderboard& board, const std::filesystem::path& folder, std::ostream& out) {
  out << "# Leaderboard: " << folder.string() << "\n\n"
      << board.files_read << " results files. A cell is the mean over its runs (seeds); speedup is the\n"
      << "cell's mean tokens/s over the mean tokens/s of the baseline runs of the same pool and workload.\n"
      << kMissing << ": not measured (or no baseline to compare with).\n\n";
  for (const PoolLeaderboard& pool : board.pools) {
    out << "## Pool `" << (pool.pool.empty() ? "(unnamed)" : pool.pool) << "`";
    if (!pool.target.empty()) out << ", target `" << pool.target << "`";
    out << "\n\nBaseline: ";
    if (pool.baselines.empty()) {
      out << "none in this folder (no run with baseline = 1), so no speedups.";
    } else {
      for (std::size_t i = 0; i < pool.baselines.size(); ++i) out << (i ? ", " : "") << "`" << pool.baselines[i] << "`";
    }
    out << "\n\n";
    markdown_table(pool, "Speedup over the baseline (tokens/s)", out, [](const LeaderboardCell& cell) {
      return (cell.speedup ? fixed(*cell.speedup, 2) + "×" : std::string(kMissing)) + " (" +
             fixed(cell.tokens_per_second, 1) + ")";
    });
    markdown_table(pool, "τ (tokens committed per target pass)", out,
                   [](const LeaderboardCell& cell) { return fixed(cell.tau, 2); });
    if (!pool.models.empty()) {
      markdown_table(pool, "Acceptance per level (accepted / drafted)", out, [](const LeaderboardCell& cell) {
        if (cell.acceptance.empty()) return std::string(kMissing);
        std::string text;
        for (const auto& [model, rate] : cell.acceptance) text += (text.empty() ? "" : ", ") + model + " " + fixed(rate, 2);
        return text;
      });
    }
    markdown_table(pool, "Chains chosen (share of steps)", out,
                   [](const LeaderboardCell& cell) { return plan_shares(cell, 3); });
  }
  if (!board.skipped.empty()) {
    out << "Skipped files:\n\n";
    for (const std::string& why : board.skipped) out << "- " << why << "\n";
    out << "\n";
  }
}

void render_csv(const Leaderboard& board, std::ostream& out) {
  std::set<std::string> all_models;
  for (const PoolLeaderboard& pool : board.pools) all_models.insert(pool.models.begin(), pool.models.end());
  out << "pool,target,method,workload,baseline,baseline_method,runs,seeds,tokens_per_second,speedup,tau";
  for (const std::string& model : all_models) out << "," << csv_field("acceptance/" + model);
  out << ",plans\n";
  for (const PoolLeaderboard& pool : board.pools) {
    std::string baseline_methods;
    for (const std::string& name : pool.baselines) baseline_methods += (baseline_methods.empty() ? "" : ";") + name;
    for (const std::string& method : pool.methods) {
      const bool is_baseline =
          std::find(pool.baselines.begin(), pool.baselines.end(), method) != pool.baselines.end();
      for (const std::string& workload : pool.workloads) {
        const LeaderboardCell* cell = pool.find(method, workload);
        out << csv_field(pool.pool) << "," << csv_field(pool.target) << "," << csv_field(method) << ","
            << csv_field(workload) << "," << (is_baseline ? 1 : 0) << "," << csv_field(baseline_methods) << ","
            << (cell ? cell->runs : 0) << ",";
        if (!cell) {
          out << ",,,," << std::string(all_models.size(), ',') << "\n";  // seeds .. tau, models, plans
          continue;
        }
        std::string seeds;
        for (std::int64_t seed : cell->seeds) seeds += (seeds.empty() ? "" : ";") + std::to_string(seed);
        out << csv_field(seeds) << "," << exact(cell->tokens_per_second) << ","
            << (cell->speedup ? exact(*cell->speedup) : "") << "," << exact(cell->tau);
        for (const std::string& model : all_models) {
          auto it = cell->acceptance.find(model);
          out << "," << (it == cell->acceptance.end() ? "" : exact(it->second));
        }
        std::string plans;
        for (const auto& [plan, steps] : cell->plans) plans += (plans.empty() ? "" : "; ") + plan + " " + std::to_string(steps);
        out << "," << csv_field(plans) << "\n";
      }
    }
  }
}

}  // namespace specrouter::cli
