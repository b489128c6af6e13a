// Sweeps (`specrouter -m`) as a user runs them: a failed job is reported while the
// others run; the same command again resumes the sweep in the same folder (fixed or
// named after the time), skipping finished jobs; progress lines and bar; a folder of
// another sweep is refused; an MPI sweep over 2 ranks makes the same jobs as a local one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cli_test_util.h"
#include "results_files.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using specrouter::testing::read_text;
using specrouter::testing::run_cli;

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-sweep-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    specrouter::testing::remove_tree(work_);
    fs::create_directories(work_);
    fs::copy(fs::path(SPECROUTER_SOURCE_DIR) / "configs", work_ / "configs", fs::copy_options::recursive);
    // A workload that fails at run time until the test repairs it.
    std::string flaky = read_text(work_ / "configs" / "workload" / "smoke.yaml");
    const std::size_t at = flaky.find("temperature: 0.0");
    ASSERT_NE(at, std::string::npos) << "configs/workload/smoke.yaml changed: pick another value to break";
    flaky.replace(at, std::string("temperature: 0.0").size(), "temperature: hot");
    std::ofstream(work_ / "configs" / "workload" / "flaky.yaml") << flaky;
  }
  void TearDown() override { specrouter::testing::remove_tree(work_); }

  void repair_flaky_workload() const {
    fs::copy_file(work_ / "configs" / "workload" / "smoke.yaml", work_ / "configs" / "workload" / "flaky.yaml",
                  fs::copy_options::overwrite_existing);
  }

  // This test's configs, checkpoint and sweep folder, small runs, and `extra`.
  std::vector<std::string> args(const std::string& sweep_dir, std::vector<std::string> extra) const {
    std::vector<std::string> all = {"--config-dir", (work_ / "configs").string(), "pool=tiny_random", "method=null", "drafter=ngram",
                                    "pool.models[0].path=" + (work_ / "checkpoint").string(),
                                    "run.sweep_dir=" + sweep_dir, "workload.max_new_tokens=2", "run.threads=1",
                                    "run.seed=0"};  // one seed, not the seeds config.yaml declares
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }

  // Makes job folder `folder` finished (a run that writes results.h5 did already) and
  // returns what its results file holds, to check later that nothing rewrote it.
  static std::string mark_finished(const fs::path& folder) {
    if (!fs::exists(folder / "results.h5")) std::ofstream(folder / "results.h5") << "finished before the rerun\n";
    return read_text(folder / "results.h5");
  }

  fs::path work_;
};

TEST_F(SweepTest, FailedJobIsReportedAndTheSameCommandResumesSkippingFinishedJobs) {
  const fs::path sweep = work_ / "sweep";
  const auto command = args(sweep.string(), {"-m", "workload=smoke,flaky", "--progress", "lines"});
  const specrouter::testing::CliResult first = run_cli(command);
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_THAT(first.output, HasSubstr("job 2/2 failed"));
  EXPECT_THAT(first.output, HasSubstr("workload.sampling.temperature"));
  EXPECT_THAT(first.output, HasSubstr("1 of 2 jobs failed (jobs 2)"));
  // The job before the failure ran, and progress says so in one plain line per job.
  EXPECT_TRUE(fs::exists(sweep / "0" / "results.h5")) << first.output;
  EXPECT_THAT(first.output, HasSubstr("[sweep] job 1/2 done in "));
  EXPECT_THAT(first.output, HasSubstr("[sweep] job 2/2 FAILED in "));
  EXPECT_THAT(first.output, HasSubstr("2/2 ended (1 done, 1 failed, 0 skipped); elapsed "));
  EXPECT_THAT(first.output, HasSubstr(", ETA "));
  EXPECT_TRUE(fs::exists(sweep / ".specrouter" / "sweep.yaml"));
  // The failed job's folder says why it has no results.
  EXPECT_THAT(read_text(sweep / "1" / "error.txt"), HasSubstr("workload.sampling.temperature"));
  EXPECT_FALSE(fs::exists(sweep / "0" / "error.txt"));

  const std::string finished = mark_finished(sweep / "0");
  repair_flaky_workload();
  std::vector<std::string> again = command;
  again.back() = "bar";  // --progress is not part of the command a sweep is resumed by
  const specrouter::testing::CliResult second = run_cli(again);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("resuming"));
  EXPECT_THAT(second.output, HasSubstr("job 1/2 skipped"));
  EXPECT_THAT(second.output, HasSubstr("job 2/2 done"));
  EXPECT_THAT(second.output, HasSubstr("|##############################| 2/2 100%"));
  EXPECT_THAT(second.output, HasSubstr("jobs/min"));
  EXPECT_EQ(read_text(sweep / "0" / "results.h5"), finished) << "a finished job ran again";
  EXPECT_TRUE(fs::exists(sweep / "1" / "results.h5")) << second.output;
  EXPECT_FALSE(fs::exists(sweep / "1" / "error.txt")) << "the error of a job that has now run is gone";
}

// `hydra.sweeper.params` in the config: -m sweeps them (a key the command line sets keeps
// the command line's value), and a finished sweep prints its leaderboard.
TEST_F(SweepTest, ConfigDeclaredSweepRunsEveryMethodAndPrintsTheLeaderboard) {
  std::string config = read_text(work_ / "configs" / "config.yaml");
  const std::string key = "      method: ";
  const std::size_t at = config.find(key);
  ASSERT_NE(at, std::string::npos) << "configs/config.yaml declares no method sweep any more";
  config.replace(at, config.find('\n', at) - at, key + "target_only,prompt_lookup");
  std::ofstream(work_ / "configs" / "config.yaml") << config;
  std::vector<std::string> command = args((work_ / "sweep").string(), {"-m", "workload=smoke"});
  std::erase(command, std::string("method=null"));  // the fixture's choice would replace the declared sweep
  // Declared: method and run.seed (0,1,2); the command line's run.seed replaces the latter.
  std::replace(command.begin(), command.end(), std::string("run.seed=0"), std::string("run.seed=5"));
  const specrouter::testing::CliResult result = run_cli(command);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(work_ / "sweep" / "0" / "results.h5"));
  EXPECT_TRUE(fs::exists(work_ / "sweep" / "1" / "results.h5"));
  EXPECT_FALSE(fs::exists(work_ / "sweep" / "2"));
  EXPECT_THAT(read_text(work_ / "sweep" / "1" / ".specrouter" / "overrides.yaml"), HasSubstr("method=prompt_lookup"));
  EXPECT_THAT(read_text(work_ / "sweep" / "1" / ".specrouter" / "overrides.yaml"), HasSubstr("run.seed=5"));
  EXPECT_THAT(read_text(work_ / "sweep" / "1" / ".specrouter" / "overrides.yaml"), Not(HasSubstr("run.seed=0")));
  EXPECT_THAT(result.output, HasSubstr("| target-only"));
  EXPECT_THAT(result.output, HasSubstr("| static [ngram>target]"));

  const specrouter::testing::CliResult one =
      run_cli(args((work_ / "one").string(), {"-m", "workload=smoke", "method=target_only"}));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(fs::exists(work_ / "one" / "0" / "results.h5"));
  EXPECT_FALSE(fs::exists(work_ / "one" / "1"));
}

// The default comparison declares `method` then `run.seed: 0,1,2`: every method runs
// with three seeds, seed by seed (every method of seed 0, then of seed 1, ...). Composed
// only (--cfg job).
TEST_F(SweepTest, DefaultComparisonSweepsThreeSeedsOfEveryMethodSeedSlowest) {
  // Per job of `-m --cfg job` output (in "# job N" order): its run.method and run.seed.
  const auto jobs_of = [](const std::string& output) {
    std::vector<std::pair<std::string, std::string>> jobs;
    std::istringstream lines(output);
    bool in_run = false;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("# job ", 0) == 0) jobs.emplace_back();
      if (!line.empty() && line[0] != ' ') in_run = line == "run:";
      if (!in_run || jobs.empty()) continue;
      if (line.rfind("  method: ", 0) == 0) jobs.back().first = line.substr(10);
      if (line.rfind("  seed: ", 0) == 0) jobs.back().second = line.substr(8);
    }
    return jobs;
  };
  const specrouter::testing::CliResult result =
      run_cli({"--config-dir", (work_ / "configs").string(), "-m", "--cfg", "job"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto jobs = jobs_of(result.output);
  ASSERT_GE(jobs.size(), 6u) << result.output;
  ASSERT_EQ(jobs.size() % 3, 0u);
  const std::size_t methods = jobs.size() / 3;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE("job " + std::to_string(i));
    EXPECT_EQ(jobs[i].second, std::to_string(i / methods)) << "the seed turns slowest";
    EXPECT_EQ(jobs[i].first, jobs[i % methods].first) << "every seed runs the methods in the same order";
  }
  EXPECT_EQ(jobs[0].first, "target-only");
  EXPECT_NE(jobs[1].first, jobs[0].first);

  // run.seed on the command line replaces the declared seeds: one job per method.
  const specrouter::testing::CliResult one =
      run_cli({"--config-dir", (work_ / "configs").string(), "-m", "--cfg", "job", "run.seed=5"});
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto one_seed = jobs_of(one.output);
  ASSERT_EQ(one_seed.size(), jobs.size() / 3);
  for (std::size_t i = 0; i < one_seed.size(); ++i) {
    EXPECT_EQ(one_seed[i].first, jobs[i].first);
    EXPECT_EQ(one_seed[i].second, "5");
  }
}

TEST_F(SweepTest, TimeNamedSweepIsFoundAgainByTheSameCommand) {
  const std::string sweep_dir = (work_ / "multirun").string() + "/${now:%Y-%m-%d}/${now:%H-%M-%S}";
  const auto command = args(sweep_dir, {"-m", "workload=smoke,flaky"});
  EXPECT_EQ(run_cli(command).exit_code, 1);
  std::vector<fs::path> sweeps;
  for (const auto& day : fs::directory_iterator(work_ / "multirun")) {
    for (const auto& time : fs::directory_iterator(day.path())) sweeps.push_back(time.path());
  }
  ASSERT_EQ(sweeps.size(), 1u);
  const std::string finished = mark_finished(sweeps[0] / "0");

  // A later second would name a new folder: the rerun must find the old one instead.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  repair_flaky_workload();
  const specrouter::testing::CliResult second = run_cli(command);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("sweep: " + sweeps[0].string() + " (2 jobs, resuming"));
  EXPECT_THAT(second.output, HasSubstr("job 1/2 skipped"));
  EXPECT_EQ(read_text(sweeps[0] / "0" / "results.h5"), finished);
  EXPECT_TRUE(fs::exists(sweeps[0] / "1" / "results.h5")) << second.output;

  // Another command starts its own sweep.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const specrouter::testing::CliResult other = run_cli(args(sweep_dir, {"-m", "run.seed=5"}));
  EXPECT_EQ(other.exit_code, 0) << other.output;
  EXPECT_THAT(other.output, Not(HasSubstr("resuming")));
}

TEST_F(SweepTest, FolderOfAnotherSweepIsRefused) {
  const fs::path sweep = work_ / "sweep";
  fs::create_directories(sweep / ".specrouter");
  std::ofstream(sweep / ".specrouter" / "sweep.yaml")
      << "config_dir: /elsewhere\nconfig_name: config\noverrides: [\"run.seed=1,2\"]\njobs: 2\nnow_ns: 0\n";
  const specrouter::testing::CliResult result = run_cli(args(sweep.string(), {"-m", "run.seed=0,1"}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(sweep.string() + " holds another sweep"));
  EXPECT_FALSE(fs::exists(sweep / "0")) << "nothing of the other sweep may be overwritten";
}

// Every job folder below `sweep` with its overrides, without the run.sweep_dir one (the
// two sweeps compared differ only there).
std::map<std::string, std::string> job_set(const fs::path& sweep) {
  std::map<std::string, std::string> jobs;
  for (const auto& entry : fs::directory_iterator(sweep)) {
    if (entry.path().filename() == ".specrouter") continue;
    std::string overrides;
    std::istringstream lines(read_text(entry.path() / ".specrouter" / "overrides.yaml"));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("run.sweep_dir=") == std::string::npos) overrides += line + "\n";
    }
    jobs[entry.path().filename().string()] = overrides;
  }
  return jobs;
}

TEST_F(SweepTest, MpiSweepOverTwoRanksRunsTheSameJobsAsALocalOne) {
  std::string where;
  if (!SPECROUTER_CLI_WITH_MPI) GTEST_SKIP() << "specrouter was built without MPI (no libopenmpi-dev)";
  if (specrouter::testing::run_shell("command -v mpirun", where) != 0) GTEST_SKIP() << "mpirun not found";

  const std::vector<std::string> sweep = {"-m", "run.seed=0,1,2"};
  const specrouter::testing::CliResult local = run_cli(args((work_ / "local").string(), sweep));
  ASSERT_EQ(local.exit_code, 0) << local.output;

  // A time-named folder: the ranks must agree on one (rank 0's time, broadcast).
  std::string command = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
                        "mpirun --oversubscribe -n 2 " + specrouter::testing::shell_quote(SPECROUTER_CLI);
  for (const std::string& arg : args((work_ / "mpi").string() + "/${now:%H-%M-%S}", sweep)) {
    command += " " + specrouter::testing::shell_quote(arg);
  }
  std::string output;
  ASSERT_EQ(specrouter::testing::run_shell(command, output), 0) << output;
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(work_ / "mpi")) folders.push_back(entry.path());
  ASSERT_EQ(folders.size(), 1u) << "the ranks wrote to different sweep folders:\n" << output;
  EXPECT_THAT(output, HasSubstr("[sweep rank 0/2] job 1/3 done"));
  EXPECT_THAT(output, HasSubstr("[sweep rank 1/2] job 2/3 done"));
  EXPECT_THAT(output, HasSubstr("[sweep rank 0/2] job 3/3 done"));

  const auto local_jobs = job_set(work_ / "local");
  EXPECT_EQ(local_jobs.size(), 3u);
  EXPECT_EQ(job_set(folders[0]), local_jobs);
  for (const auto& [job, overrides] : local_jobs) EXPECT_TRUE(fs::exists(folders[0] / job / "results.h5")) << job;
}

}  // namespace
