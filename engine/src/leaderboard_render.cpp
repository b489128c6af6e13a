// Leaderboard tables as Markdown (for people: one table per measure, methods x
// workloads, as Spec-Bench prints them, mean ± standard deviation over seeds) and as CSV
// (for programs: one row per cell, full precision). Cells nothing measured are marked,
// never filled in.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "specrouter/engine/leaderboard.h"

namespace specrouter::engine {
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

// "1.42" or "1.42 ± 0.05" (the deviation only where there are two runs or more).
std::string with_spread(double mean, const std::optional<double>& std, int digits) {
  return fixed(mean, digits) + (std ? " ± " + fixed(*std, digits) : "");
}

bool is_best_static(const PoolLeaderboard& pool, const std::string& method, const std::string& workload) {
  auto it = pool.best_static.find(workload);
  return it != pool.best_static.end() && it->second == method;
}

// A cell's text, with the marks of the comparison with the best static plan.
std::string speedup_text(const PoolLeaderboard& pool, const std::string& method, const std::string& workload,
                         const LeaderboardCell& cell) {
  std::string text = kMissing;
  if (cell.speedup) {  // "1.42× ± 0.05"
    text = fixed(*cell.speedup, 2) + "×" + (cell.speedup_std ? " ± " + fixed(*cell.speedup_std, 2) : "");
    if (cell.pairing != SpeedupPairing::kSeed) text += "†";
  }
  text += " (" + with_spread(cell.tokens_per_second, cell.tokens_per_second_std, 1) + ") n=" +
          std::to_string(cell.runs);
  if (is_best_static(pool, method, workload)) return "**" + text + "**";
  return cell.near_best_static ? "≈ " + text : text;
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
      out << " " << (cell ? escape_markdown(cell_text(method, workload, *cell)) : kMissing) << " |";
    }
    out << "\n";
  }
  out << "\n";
}

const char* pairing_name(SpeedupPairing pairing) {
  switch (pairing) {
    case SpeedupPairing::kSeed: return "seed";
    case SpeedupPairing::kMean: return "mean";
    case SpeedupPairing::kMixed: return "mixed";
  }
  return "";
}

}  // namespace

void render_markdown(const Leaderboard& board, const std::filesystem::path& folder, std::ostream& out) {
  out << "# Leaderboard: " << folder.string() << "\n\n"
      << board.files_read << " results files. A cell is the mean ± the sample standard deviation over its runs\n"
      << "(seeds; n of them, no ± for one). A run's speedup is its tokens/s over the tokens/s of the\n"
      << "baseline run of the same pool, workload and seed (over the baseline's mean when it has no\n"
      << "run of that seed: marked †). " << kMissing << ": not measured (or no baseline to compare with).\n\n";
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
    markdown_table(pool, "Speedup over the baseline (tokens/s)", out,
                   [&](const std::string& method, const std::string& workload, const LeaderboardCell& cell) {
                     return speedup_text(pool, method, workload, cell);
                   });
    if (pool.best_static.empty()) {
      out << "No static plan (scheduler `static`, not the baseline) in this pool, so no best static plan.\n\n";
    } else {
      out << "**Bold**: the best static plan in hindsight of each workload, the method with the `static`\n"
          << "scheduler (not the baseline) of the highest mean speedup (of tokens/s without a baseline).\n"
          << "≈: the cell's mean differs from the best static plan's by less than the larger of their two\n"
          << "standard deviations, so these seeds do not tell them apart.\n\n";
      markdown_table(pool, "Tokens/s relative to the best static plan", out,
                     [](const std::string&, const std::string&, const LeaderboardCell& cell) {
                       return cell.vs_best_static ? fixed(*cell.vs_best_static, 2) + "×" : std::string(kMissing);
                     });
      out << "A cell's mean tokens/s over the mean tokens/s of the workload's best static plan (";
      bool first = true;
      for (const auto& [workload, method] : pool.best_static) {
        out << (first ? "" : ", ") << escape_markdown(workload) << ": `" << method << "`";
        first = false;
      }
      out << ").\n\n";
    }
    markdown_table(pool, "τ (tokens committed per target pass)", out,
                   [](const std::string&, const std::string&, const LeaderboardCell& cell) {
                     return with_spread(cell.tau, cell.tau_std, 2);
                   });
    if (!pool.models.empty()) {
      markdown_table(pool, "Acceptance per level (accepted / drafted)", out,
                     [](const std::string&, const std::string&, const LeaderboardCell& cell) {
                       if (cell.acceptance.empty()) return std::string(kMissing);
                       std::string text;
                       for (const auto& [model, rate] : cell.acceptance) {
                         text += (text.empty() ? "" : ", ") + model + " " + fixed(rate, 2);
                       }
                       return text;
                     });
    }
    markdown_table(pool, "Chains chosen (share of steps)", out,
                   [](const std::string&, const std::string&, const LeaderboardCell& cell) { return plan_shares(cell, 3); });
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
  out << "pool,target,method,workload,baseline,baseline_method,runs,seeds,tokens_per_second,tokens_per_second_std,"
         "speedup,speedup_std,tau,tau_std";
  for (const std::string& model : all_models) out << "," << csv_field("acceptance/" + model);
  out << ",plans,speedup_pairing,best_static_method,vs_best_static,near_best_static\n";
  const auto optional = [](const std::optional<double>& value) { return value ? exact(*value) : std::string(); };
  for (const PoolLeaderboard& pool : board.pools) {
    std::string baseline_methods;
    for (const std::string& name : pool.baselines) baseline_methods += (baseline_methods.empty() ? "" : ";") + name;
    for (const std::string& method : pool.methods) {
      const bool is_baseline =
          std::find(pool.baselines.begin(), pool.baselines.end(), method) != pool.baselines.end();
      for (const std::string& workload : pool.workloads) {
        const LeaderboardCell* cell = pool.find(method, workload);
        auto best = pool.best_static.find(workload);
        std::vector<std::string> fields = {csv_field(pool.pool), csv_field(pool.target),   csv_field(method),
                                           csv_field(workload),  is_baseline ? "1" : "0", csv_field(baseline_methods),
                                           std::to_string(cell ? cell->runs : 0)};
        if (cell) {
          std::string seeds;
          for (std::int64_t seed : cell->seeds) seeds += (seeds.empty() ? "" : ";") + std::to_string(seed);
          std::string plans;
          for (const auto& [plan, steps] : cell->plans) plans += (plans.empty() ? "" : "; ") + plan + " " + std::to_string(steps);
          fields.insert(fields.end(), {csv_field(seeds), exact(cell->tokens_per_second), optional(cell->tokens_per_second_std),
                                       optional(cell->speedup), optional(cell->speedup_std), exact(cell->tau),
                                       optional(cell->tau_std)});
          for (const std::string& model : all_models) {
            auto it = cell->acceptance.find(model);
            fields.push_back(it == cell->acceptance.end() ? "" : exact(it->second));
          }
          fields.insert(fields.end(), {csv_field(plans), cell->speedup ? pairing_name(cell->pairing) : "",
                                       best == pool.best_static.end() ? "" : csv_field(best->second),
                                       optional(cell->vs_best_static), cell->near_best_static ? "1" : "0"});
        } else {
          fields.resize(fields.size() + 7 + all_models.size() + 1);  // seeds .. tau_std, models, plans
          fields.insert(fields.end(), {"", best == pool.best_static.end() ? "" : csv_field(best->second), "", ""});
        }
        for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << fields[i];
        out << "\n";
      }
    }
  }
}

}  // namespace specrouter::engine
