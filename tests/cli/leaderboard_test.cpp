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
           {{"draft", accept(random)}}, {{"draft:3>target", 5}}});
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
      std::vector<double> base_rates;
      for (const SampleRun& run : base) base_rates.push_back(run.tokens_per_second);
      EXPECT_NEAR(std::stod(row.at("speedup")), mean(rates) / mean(base_rates), 1e-6);
    }
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
  EXPECT_EQ(static_rows, 4);  // speedup, tau, acceptance, chains

  // Markdown on stdout by default.
  const specrouter::testing::CliResult to_stdout =
      specrouter::testing::run_cli_split({"leaderboard", (work_ / "results").string()});
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.output, table);
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
