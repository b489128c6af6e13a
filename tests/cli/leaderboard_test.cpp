// `specrouter leaderboard` over a folder of results files the test writes: every number
// of the CSV recomputed from what was written, the baseline named, missing cells marked,
// and files it cannot use (another format version, no summary, partial) left out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "cli_test_util.h"
#include "results_files.h"
#include "specrouter/results/results_writer.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using specrouter::testing::SampleRun;

// Splits one CSV line (fields may be quoted, with "" for a quote).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// The CSV as one map per row, keyed by the header's names.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& file) {
  std::istringstream in(specrouter::testing::read_text(file));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = csv_fields(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = csv_fields(line);
    EXPECT_EQ(fields.size(), header.size()) << line;
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(row);
  }
  return rows;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

class LeaderboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-leaderboard-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    specrouter::testing::remove_tree(work_);
    fs::create_directories(work_);
  }
  void TearDown() override { specrouter::testing::remove_tree(work_); }

  // Writes `run` as job `job` of the results folder and remembers it.
  void write(const SampleRun& run) {
    specrouter::testing::write_sample_run(work_ / "results" / std::to_string(runs_.size()), run);
    runs_.push_back(run);
  }

  // The runs written for (pool, method, workload).
  std::vector<SampleRun> cell(const std::string& pool, const std::string& method, const std::string& workload) const {
    std::vector<SampleRun> out;
    for (const SampleRun& run : runs_) {
      if (run.pool == pool && run.method == method && run.workload == workload) out.push_back(run);
    }
    return out;
  }

  fs::path work_;
  std::vector<SampleRun> runs_;
};

TEST_F(LeaderboardTest, RecomputesEveryCellFromTheFilesAndMarksMissingOnes) {
  std::mt19937 random(7);
  std::uniform_real_distribution<double> rate(50.0, 300.0), accept(0.1, 0.9), tau(1.0, 4.0);
  const std::string baseline = "target-only";
  const std::string fixed_chain = "static [draft:3>target] +ngram";
  const std::string adaptive = "greedy +ngram";
  // Two seeds of the baseline and the static chain on prose, one elsewhere; the static
  // chain never ran on code, and the `other` pool has no baseline at all.
  for (std::int64_t seed : {0, 1}) {
    write({baseline, "prose", "tiny", "target", true, rate(random), 1.0, seed, {}, {{"target", 6}}});
    write({fixed_chain, "prose", "tiny", "target", false, rate(random), tau(random), seed,
           {{"draft", accept(random)}}, {{"draft:3>target", 5}}, {}, "static"});
  }
  write({baseline, "code", "tiny", "target", true, rate(random), 1.0, 0, {}, {{"target", 6}}});
  write({adaptive, "prose", "tiny", "target", false, rate(random), tau(random), 0, {{"draft", accept(random)}},
         {{"draft:4>target", 7}, {"target", 2}}});
  write({adaptive, "code", "tiny", "target", false, rate(random), tau(random), 0, {{"draft", accept(random)}},
         {{"target", 3}, {"draft:2>target", 1}}});
  write({adaptive, "prose", "other", "big", false, rate(random), tau(random), 0, {}, {{"target", 2}}});

  // Files the leaderboard must not use: another format version, no summary, partial.
  specrouter::testing::write_sample_run(work_ / "results" / "future", {baseline, "prose", "tiny", "target", true, 1.0});
  specrouter::testing::set_format_version(work_ / "results" / "future" / "results.h5", 2);
  {
    fs::create_directories(work_ / "results" / "killed");
    specrouter::ResultsWriterOptions keep;
    keep.keep_partial_file = true;
    specrouter::ResultsWriter unfinished(work_ / "results" / "killed" / "results.h5", {}, keep);
  }
  fs::copy_file(work_ / "results" / "killed" / "results.h5.partial", work_ / "results" / "killed" / "copy.h5.partial");
  fs::create_directories(work_ / "results" / "nosummary");
  fs::rename(work_ / "results" / "killed" / "results.h5.partial", work_ / "results" / "nosummary" / "results.h5");

  const fs::path csv = work_ / "board.csv";
  const fs::path markdown = work_ / "board.md";
  const specrouter::testing::CliResult result = specrouter::testing::run_cli_split(
      {"leaderboard", (work_ / "results").string(), "--csv", csv.string(), "--markdown", markdown.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output << result.errors;
  EXPECT_THAT(result.errors, HasSubstr("future/results.h5"));
  EXPECT_THAT(result.errors, HasSubstr("format_version 2"));
  EXPECT_THAT(result.errors, HasSubstr("nosummary/results.h5"));
  EXPECT_THAT(result.errors, Not(HasSubstr("copy.h5.partial")));

  const std::set<std::string> methods = {baseline, fixed_chain, adaptive};
  const auto rows = read_csv(csv);
  // The grid: 3 methods x 2 workloads of `tiny`, 1 x 1 of `other`.
  ASSERT_EQ(rows.size(), 7u);
  for (const auto& row : rows) {
    const std::string& pool = row.at("pool");
    const std::vector<SampleRun> runs = cell(pool, row.at("method"), row.at("workload"));
    SCOPED_TRACE(pool + " / " + row.at("method") + " / " + row.at("workload"));
    EXPECT_EQ(row.at("runs"), std::to_string(runs.size()));
    EXPECT_EQ(row.at("baseline_method"), pool == "tiny" ? baseline : "");
    if (runs.empty()) {
      EXPECT_EQ(row.at("tokens_per_second"), "");
      EXPECT_EQ(row.at("speedup"), "");
      continue;
    }
    std::vector<double> rates, taus, acceptance;
    for (const SampleRun& run : runs) {
      rates.push_back(run.tokens_per_second);
      taus.push_back(run.tau);
      if (run.acceptance.count("draft")) acceptance.push_back(run.acceptance.at("draft"));
    }
    EXPECT_NEAR(std::stod(row.at("tokens_per_second")), mean(rates), 1e-6 * mean(rates));
    EXPECT_NEAR(std::stod(row.at("tau")), mean(taus), 1e-6);
    if (acceptance.empty()) {
      EXPECT_EQ(row.at("acceptance/draft"), "");
    } else {
      EXPECT_NEAR(std::stod(row.at("acceptance/draft")), mean(acceptance), 1e-6);
    }
    const std::vector<SampleRun> base = cell(pool, baseline, row.at("workload"));
    if (base.empty()) {
      EXPECT_EQ(row.at("speedup"), "") << "a speedup without a baseline is invented";
    } else {
      // Every run here has a baseline run of its seed: the speedup is the mean over the
      // runs of each one's tokens/s over its seed's baseline.
      std::vector<double> speedups;
      for (const SampleRun& run : runs) {
        for (const SampleRun& b : base) {
          if (b.seed == run.seed) speedups.push_back(run.tokens_per_second / b.tokens_per_second);
        }
      }
      ASSERT_EQ(speedups.size(), runs.size());
      EXPECT_NEAR(std::stod(row.at("speedup")), mean(speedups), 1e-6);
      EXPECT_EQ(row.at("speedup_pairing"), "seed");
    }
    // The static chain is the only static plan, on prose only.
    EXPECT_EQ(row.at("best_static_method"), pool == "tiny" && row.at("workload") == "prose" ? fixed_chain : "");
  }
  // Plans are summed over the runs of a cell, most used first.
  for (const auto& row : rows) {
    if (row.at("pool") == "tiny" && row.at("method") == adaptive && row.at("workload") == "code") {
      EXPECT_EQ(row.at("plans"), "target 3; draft:2>target 1");
    }
    if (row.at("pool") == "tiny" && row.at("method") == fixed_chain && row.at("workload") == "prose") {
      EXPECT_EQ(row.at("plans"), "draft:3>target 10");
    }
  }

  const std::string table = specrouter::testing::read_text(markdown);
  EXPECT_THAT(table, HasSubstr("Baseline: `" + baseline + "`"));
  EXPECT_THAT(table, HasSubstr("| " + baseline + " (baseline) |"));
  EXPECT_THAT(table, HasSubstr("| prose |"));
  EXPECT_THAT(table, HasSubstr("| code |"));
  EXPECT_THAT(table, HasSubstr("none in this folder"));  // the `other` pool
  EXPECT_THAT(table, HasSubstr("draft:4>target 78%; target 22%"));
  // The static chain's code cell (the first column: workloads are sorted) is missing in
  // every table of the `tiny` pool.
  std::istringstream lines(table);
  std::string line;
  int static_rows = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("| " + fixed_chain + " |", 0) != 0) continue;
    ++static_rows;
    EXPECT_THAT(line, ::testing::StartsWith("| " + fixed_chain + " | — |")) << line;
  }
  EXPECT_EQ(static_rows, 5);  // speedup, relative to the best static plan, tau, acceptance, chains

  // Markdown on stdout by default.
  const specrouter::testing::CliResult to_stdout =
      specrouter::testing::run_cli_split({"leaderboard", (work_ / "results").string()});
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.output, table);
}

// Constructed runs with round numbers: three seeds per method, a baseline whose tokens/s
// varies fourfold across seeds (per-seed speedups cancel it), static plans, adaptive ones.
// Speedups per seed (baseline 100, 200, 400 tokens/s):
//   static [draft:4>target]  1.4 1.5 1.6   mean 1.5, std 0.1  (the best static plan)
//   static [mid:4>target]    1.39 x3       1.39 ± 0: 0.11 from the best, above 0.1
//   greedy                   1.41 x3       1.41 ± 0: 0.09 from the best, below 0.1 -> ≈
//   bandit                   1.3 1.6 1.9   1.6 ± 0.3: within its own deviation -> ≈
//   dp                       1.8 1.9 2.0   1.9 ± 0.1: 0.4 from the best
//   prompt lookup            seed 3 only   280 tokens/s over the baseline mean 233.33 = 1.2
class LeaderboardSeedsTest : public LeaderboardTest {
 protected:
  void SetUp() override {
    LeaderboardTest::SetUp();
    const std::vector<double> base = {100, 200, 400};
    auto add = [&](const std::string& method, const std::string& scheduler, const std::vector<double>& speedups,
                   const std::vector<double>& taus) {
      for (std::size_t i = 0; i < speedups.size(); ++i) {
        write({method, "prose", "tiny", "target", method == "target-only", base[i] * speedups[i], taus[i],
               static_cast<std::int64_t>(i), {}, {{"target", 4}}, {}, scheduler});
      }
    };
    add("target-only", "static", {1, 1, 1}, {1, 1, 1});
    add("static [draft:4>target]", "static", {1.4, 1.5, 1.6}, {2.0, 2.5, 3.0});
    add("static [mid:4>target]", "static", {1.39, 1.39, 1.39}, {2, 2, 2});
    add("greedy", "greedy", {1.41, 1.41, 1.41}, {2, 2, 2});
    add("bandit", "bandit", {1.3, 1.6, 1.9}, {2, 2, 2});
    add("dp", "dp", {1.8, 1.9, 2.0}, {2, 2, 2});
    write({"prompt lookup", "prose", "tiny", "target", false, 280, 2, 3, {}, {{"target", 4}}, {}, "static"});
    csv_ = work_ / "board.csv";
    const specrouter::testing::CliResult result = specrouter::testing::run_cli_split(
        {"leaderboard", (work_ / "results").string(), "--csv", csv_.string()});
    ASSERT_EQ(result.exit_code, 0) << result.output << result.errors;
    markdown_ = result.output;
    for (const auto& row : read_csv(csv_)) rows_[row.at("method")] = row;
  }

  double number(const std::string& method, const std::string& column) const {
    return std::stod(rows_.at(method).at(column));
  }

  fs::path csv_;
  std::string markdown_;
  std::map<std::string, std::map<std::string, std::string>> rows_;  // by method (one workload)
};

TEST_F(LeaderboardSeedsTest, CellsAreMeansOverSeedsWithSampleDeviations) {
  ASSERT_EQ(rows_.size(), 7u);
  // Means and sample (n - 1) deviations of tokens/s, per-seed speedups and tau.
  EXPECT_EQ(rows_.at("target-only").at("seeds"), "0;1;2");
  EXPECT_NEAR(number("target-only", "tokens_per_second"), 700.0 / 3, 1e-6);  // 10 digits
  EXPECT_NEAR(number("target-only", "tokens_per_second_std"), std::sqrt(70000.0 / 3), 1e-6);  // 152.75
  EXPECT_NEAR(number("target-only", "speedup"), 1.0, 1e-12);
  EXPECT_NEAR(number("target-only", "speedup_std"), 0.0, 1e-12);
  EXPECT_NEAR(number("static [draft:4>target]", "tokens_per_second"), 360.0, 1e-6);
  EXPECT_NEAR(number("static [draft:4>target]", "tokens_per_second_std"), std::sqrt(65200.0), 1e-6);
  EXPECT_NEAR(number("static [draft:4>target]", "speedup"), 1.5, 1e-12);
  EXPECT_NEAR(number("static [draft:4>target]", "speedup_std"), 0.1, 1e-12);
  EXPECT_NEAR(number("static [draft:4>target]", "tau"), 2.5, 1e-12);
  EXPECT_NEAR(number("static [draft:4>target]", "tau_std"), 0.5, 1e-12);
  EXPECT_NEAR(number("bandit", "speedup"), 1.6, 1e-12);
  EXPECT_NEAR(number("bandit", "speedup_std"), 0.3, 1e-12);
  EXPECT_NEAR(number("dp", "speedup"), 1.9, 1e-12);
  EXPECT_NEAR(number("dp", "speedup_std"), 0.1, 1e-12);
  // Per seed, not a ratio of means: that would be (180 + 380 + 800) / 700 = 1.943 for dp.
  EXPECT_EQ(rows_.at("dp").at("speedup_pairing"), "seed");
  // One run: no deviation; its seed has no baseline run, so the baseline mean is used.
  EXPECT_EQ(rows_.at("prompt lookup").at("runs"), "1");
  EXPECT_EQ(rows_.at("prompt lookup").at("tokens_per_second_std"), "");
  EXPECT_EQ(rows_.at("prompt lookup").at("speedup_std"), "");
  EXPECT_EQ(rows_.at("prompt lookup").at("tau_std"), "");
  EXPECT_NEAR(number("prompt lookup", "speedup"), 1.2, 1e-9);
  EXPECT_EQ(rows_.at("prompt lookup").at("speedup_pairing"), "mean");

  // Markdown: mean ± std, the number of seeds, † for the unpaired cell.
  EXPECT_THAT(markdown_, HasSubstr("| target-only (baseline) | 1.00× ± 0.00 (233.3 ± 152.8) n=3 |"));
  EXPECT_THAT(markdown_, HasSubstr("| static [draft:4>target] | 2.50 ± 0.50 |"));
  EXPECT_THAT(markdown_, HasSubstr("| prompt lookup | 1.20×† (280.0) n=1 |"));
}

TEST_F(LeaderboardSeedsTest, BestStaticPlanAndCellsWithinOneDeviationOfIt) {
  for (const auto& [method, row] : rows_) {
    SCOPED_TRACE(method);
    EXPECT_EQ(row.at("best_static_method"), "static [draft:4>target]");
  }
  // The rule: |mean - best mean| < max(std, best std), both sides of the threshold 0.1.
  EXPECT_EQ(rows_.at("static [draft:4>target]").at("near_best_static"), "0");  // itself
  EXPECT_EQ(rows_.at("greedy").at("near_best_static"), "1");                   // 0.09 < 0.1
  EXPECT_EQ(rows_.at("static [mid:4>target]").at("near_best_static"), "0");    // 0.11 > 0.1
  EXPECT_EQ(rows_.at("bandit").at("near_best_static"), "1");                   // 0.1 < its own 0.3
  EXPECT_EQ(rows_.at("dp").at("near_best_static"), "0");                       // 0.4 > 0.1
  EXPECT_EQ(rows_.at("target-only").at("near_best_static"), "0");              // 0.5 > 0.1
  EXPECT_EQ(rows_.at("prompt lookup").at("near_best_static"), "0");            // 0.3 > 0.1 (one run)
  // Mean tokens/s over the best static plan's (360).
  EXPECT_NEAR(number("static [draft:4>target]", "vs_best_static"), 1.0, 1e-12);
  EXPECT_NEAR(number("greedy", "vs_best_static"), 1.41 * 700 / 3 / 360, 1e-9);
  EXPECT_NEAR(number("dp", "vs_best_static"), 1360.0 / 3 / 360, 1e-9);

  EXPECT_THAT(markdown_, HasSubstr("| static [draft:4>target] | **1.50× ± 0.10 (360.0 ± 255.3) n=3** |"));
  EXPECT_THAT(markdown_, HasSubstr("| greedy | ≈ 1.41× ± 0.00 ("));
  EXPECT_THAT(markdown_, HasSubstr("| static [mid:4>target] | 1.39× ± 0.00 ("));
  EXPECT_THAT(markdown_, HasSubstr("| bandit | ≈ 1.60× ± 0.30 ("));
  EXPECT_THAT(markdown_, HasSubstr("| dp | 1.90× ± 0.10 ("));
  EXPECT_THAT(markdown_, HasSubstr("less than the larger of their two\nstandard deviations"));
  EXPECT_THAT(markdown_, HasSubstr("### Tokens/s relative to the best static plan"));
  EXPECT_THAT(markdown_, HasSubstr("| dp | 1.26× |"));  // 453.3 / 360
  EXPECT_THAT(markdown_, HasSubstr("(prose: `static [draft:4>target]`)"));
}

TEST_F(LeaderboardSeedsTest, CsvKeepsItsColumnsAndAddsDeviationsBesideTheMeans) {
  std::istringstream in(specrouter::testing::read_text(csv_));
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header,
            "pool,target,method,workload,baseline,baseline_method,runs,seeds,tokens_per_second,tokens_per_second_std,"
            "speedup,speedup_std,tau,tau_std,plans,speedup_pairing,best_static_method,vs_best_static,"
            "near_best_static");
}

TEST_F(LeaderboardTest, FolderWithoutUsableFilesIsAnError) {
  specrouter::testing::write_sample_run(work_ / "results" / "0", {"target-only", "prose", "tiny", "target", true, 1.0});
  specrouter::testing::set_format_version(work_ / "results" / "0" / "results.h5", 99);
  const specrouter::testing::CliResult result = specrouter::testing::run_cli({"leaderboard", (work_ / "results").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("format_version 99"));
  EXPECT_THAT(result.output, HasSubstr("no usable results.h5"));

  const specrouter::testing::CliResult missing = specrouter::testing::run_cli({"leaderboard", (work_ / "nothing").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr((work_ / "nothing").string()));
  EXPECT_EQ(specrouter::testing::run_cli({"leaderboard"}).exit_code, 2);
}

}  // namespace
