// The command line end to end: help, plugin listing, printing the composed config, a real
// run and a sweep into output folders, and failing configs that exit non-zero with a
// message naming the file or override and the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_test_util.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using specrouter::testing::read_results;
using specrouter::testing::results_column;
using specrouter::testing::run_cli;
using Result = specrouter::testing::CliResult;

std::string read_file(const fs::path& path) { return specrouter::testing::read_text(path); }

// A scratch folder per test, with a copy of the project's configs to break at will.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-cli-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::error_code ignored;
    fs::remove_all(work_, ignored);
    fs::create_directories(work_);
    fs::copy(fs::path(SPECROUTER_SOURCE_DIR) / "configs", work_ / "configs", fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }
  // Common arguments: this test's configs, and its own cache and output folders.
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> all = {"--config-dir", (work_ / "configs").string(), "pool=tiny_random", "method=null", "drafter=ngram",
                                    "pool.models[0].path=" + (work_ / "checkpoint").string(),
                                    "run.output_dir=" + (work_ / "out").string(),
                                    "run.sweep_dir=" + (work_ / "sweep").string(), "workload.max_new_tokens=3"};
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }
  fs::path work_;
};

TEST_F(CliTest, HelpListsCommands) {
  const Result result = run_cli({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("usage: specrouter"));
  EXPECT_THAT(result.output, HasSubstr("plugins"));
  EXPECT_THAT(result.output, HasSubstr("run"));
  const Result run_help = run_cli({"run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_THAT(run_help.output, HasSubstr("--multirun"));
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  const Result result = run_cli({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("unknown command 'frobnicate'"));
}

TEST_F(CliTest, PluginsListsComponentsFromSharedLibraries) {
  const Result result = run_cli({"plugins"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* expected : {"drafter ngram", "verifier token", "scheduler static", "kernel block_copy/cpu",
                               "collaboration collaborative_verification", "collaboration vertical_cascade",
                               "libngram_drafter.so", "ngram_drafter.cpp", "max_ngram (int, default 3)"}) {
    EXPECT_THAT(result.output, HasSubstr(expected));
  }
  const Result filtered = run_cli({"plugins", "--kind", "scheduler"});
  EXPECT_THAT(filtered.output, HasSubstr("scheduler static"));
  EXPECT_THAT(filtered.output, Not(HasSubstr("drafter ngram")));
}

TEST_F(CliTest, BrokenPluginIsReportedAndTheRestStillLoad) {
  fs::create_directories(work_ / "plugins");
  std::ofstream(work_ / "plugins" / "libbroken.so") << "not a library";
  const Result result = run_cli({"plugins", "--plugin-path", (work_ / "plugins").string()});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("warning: plugin " + (work_ / "plugins" / "libbroken.so").string() +
                                       ": not a shared library"));
  EXPECT_THAT(result.output, HasSubstr("drafter ngram"));
}

TEST_F(CliTest, CfgJobPrintsComposedConfigWithoutRunning) {
  const Result result = run_cli(args({"--cfg", "job", "run.seed=7"}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("seed: 7"));
  EXPECT_THAT(result.output, HasSubstr("plugin: ngram"));
  EXPECT_FALSE(fs::exists(work_ / "out"));
  EXPECT_FALSE(fs::exists(work_ / "checkpoint"));
}

TEST_F(CliTest, DefaultExperimentRunsAndWritesItsFolder) {
  const Result result = run_cli(args({}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("plan target:"));
  EXPECT_TRUE(fs::exists(work_ / "checkpoint" / "config.json"));
  EXPECT_TRUE(fs::exists(work_ / "checkpoint" / "model.safetensors"));
  const std::string config = read_file(work_ / "out" / ".specrouter" / "config.yaml");
  EXPECT_THAT(config, HasSubstr("max_new_tokens: 3"));
  EXPECT_THAT(read_file(work_ / "out" / ".specrouter" / "overrides.yaml"), HasSubstr("- workload.max_new_tokens=3"));
  const nlohmann::json results = read_results(work_ / "out" / "results.h5");
  ASSERT_FALSE(results.is_null());
  EXPECT_EQ(results["summary"]["requests"], 48);  // the mixed workload: 4 prompt sets of 12
  EXPECT_THAT(result.output, HasSubstr("repetitive-12"));
}

// Each request's generated tokens by id, from a results file.
std::map<std::string, std::vector<std::int64_t>> output_tokens(const fs::path& file) {
  const nlohmann::json results = read_results(file);
  std::map<std::string, std::vector<std::int64_t>> tokens;
  const nlohmann::json ids = results_column(results, "output_tokens", "id");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    tokens[ids[i].get<std::string>()].push_back(results_column(results, "output_tokens", "token")[i].get<std::int64_t>());
  }
  return tokens;
}

TEST_F(CliTest, SameSeedGivesSameTokens) {
  const Result first = run_cli(args({"workload=smoke", "workload.sampling.temperature=0.8", "run.seed=3"}));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto tokens = output_tokens(work_ / "out" / "results.h5");
  fs::remove_all(work_ / "out");
  ASSERT_EQ(run_cli(args({"workload=smoke", "workload.sampling.temperature=0.8", "run.seed=3"})).exit_code, 0);
  EXPECT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens, output_tokens(work_ / "out" / "results.h5"));
}

TEST_F(CliTest, MultirunWritesOneFolderPerJob) {
  const Result result = run_cli(args({"-m", "run.seed=0,1", "workload.max_new_tokens=2,3", "workload=smoke"}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (int job = 0; job < 4; ++job) {
    const fs::path folder = work_ / "sweep" / std::to_string(job);
    EXPECT_TRUE(fs::exists(folder / "results.h5")) << folder;
    EXPECT_TRUE(fs::exists(folder / ".specrouter" / "config.yaml")) << folder;
  }
  // Hydra's order: the first sweep varies slowest.
  EXPECT_THAT(read_file(work_ / "sweep" / "1" / ".specrouter" / "overrides.yaml"), HasSubstr("run.seed=0"));
  EXPECT_THAT(read_file(work_ / "sweep" / "1" / ".specrouter" / "overrides.yaml"),
              HasSubstr("workload.max_new_tokens=3"));
  EXPECT_THAT(read_file(work_ / "sweep" / "2" / ".specrouter" / "overrides.yaml"), HasSubstr("run.seed=1"));
}

TEST_F(CliTest, UnknownParameterFailsNamingKeyFileAndSuggestion) {
  std::ofstream(work_ / "configs" / "drafter" / "ngram.yaml") << "plugin: ngram\nmax_ngrams: 4\n";
  const Result result = run_cli(args({}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("drafter.max_ngrams"));
  EXPECT_THAT(result.output, HasSubstr("drafter/ngram.yaml:2"));
  EXPECT_THAT(result.output, HasSubstr("did you mean 'max_ngram'"));
  EXPECT_FALSE(fs::exists(work_ / "out")) << "nothing is written for a config that fails validation";
}

TEST_F(CliTest, MalformedYamlFailsWithFileLineAndColumn) {
  std::ofstream(work_ / "configs" / "workload" / "mixed.yaml") << "max_new_tokens: 3\nprompts: [\n  {id: a\n";
  const Result result = run_cli(args({}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("workload/mixed.yaml:"));
  EXPECT_THAT(result.output, HasSubstr("YAML syntax error"));
}

TEST_F(CliTest, UnknownPluginAndGroupOptionAreNamed) {
  const Result plugin = run_cli(args({"scheduler.plugin=statik"}));
  EXPECT_EQ(plugin.exit_code, 1);
  EXPECT_THAT(plugin.output, HasSubstr("unknown scheduler 'statik'; did you mean 'static'?"));
  const Result group = run_cli(args({"scheduler=dynamic"}));
  EXPECT_EQ(group.exit_code, 1);
  EXPECT_THAT(group.output, HasSubstr("config group 'scheduler' has no option 'dynamic'; did you mean 'vllm_dynamic'?"));
  EXPECT_THAT(group.output,
              HasSubstr("(available: bandit, dp, greedy, sglang_adaptive, static, trtllm_schedule, vllm_dynamic)"));
}

TEST_F(CliTest, KernelsAreChosenByConfig) {
  // The reference kernels run the same experiment (slowly).
  const Result reference = run_cli(args({"kernels=reference", "workload=smoke"}));
  EXPECT_EQ(reference.exit_code, 0) << reference.output;
  // An unknown implementation or operation is named with its key and file.
  const Result impl = run_cli(args({"kernels.paged_attention=gpu"}));
  EXPECT_EQ(impl.exit_code, 1);
  EXPECT_THAT(impl.output, HasSubstr("kernels.paged_attention"));
  EXPECT_THAT(impl.output, HasSubstr("unknown kernel 'paged_attention/gpu'"));
  EXPECT_THAT(impl.output, HasSubstr("paged_attention/cpu"));
  const Result op = run_cli(args({"+kernels.softmax=cpu"}));
  EXPECT_EQ(op.exit_code, 1);
  EXPECT_THAT(op.output, HasSubstr("kernels.softmax"));
  EXPECT_THAT(op.output, HasSubstr("unknown operation 'softmax'"));
}

// Speculative decoding through the whole harness: a [draft, target] plan, and the
// target below the n-gram drafter, commit exactly what the target alone decodes greedily.
TEST_F(CliTest, SpeculativePlansCommitWhatTheTargetAloneWould) {
  auto run_pair = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = args({"pool=tiny_pair", "pool.models[1].path=" + (work_ / "target").string(),
                                         "workload=smoke", "workload.max_new_tokens=16"});
    all.insert(all.end(), extra.begin(), extra.end());
    fs::remove_all(work_ / "out");
    const Result result = run_cli(all);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return read_results(work_ / "out" / "results.h5");
  };
  const auto tokens = [](const nlohmann::json& results) {
    std::map<std::string, std::vector<std::int64_t>> by_id;
    const nlohmann::json ids = results_column(results, "output_tokens", "id");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      by_id[ids[i].get<std::string>()].push_back(results_column(results, "output_tokens", "token")[i].get<std::int64_t>());
    }
    return by_id;
  };
  const nlohmann::json plain = run_pair({"drafter=null"});
  const nlohmann::json two_level = run_pair({"drafter=null", "scheduler.chain=[draft,target]", "scheduler.draft_lengths=[3]"});
  const nlohmann::json lookup = run_pair({});  // the n-gram drafter below the target
  ASSERT_EQ(tokens(plain).size(), 4u);
  EXPECT_EQ(tokens(two_level), tokens(plain));
  EXPECT_EQ(tokens(lookup), tokens(plain));
  EXPECT_THAT(two_level["summary"]["plans"].get<std::string>(), HasSubstr("draft:3>target"));
  EXPECT_TRUE(two_level["summary"]["acceptance/draft"].is_number_float());  // acceptance of the draft's tokens
}

// An adaptive run saves what it learned; replaying with that profile frozen makes the
// same decisions every time.
TEST_F(CliTest, AFrozenProfileReplaysTheSameDecisions) {
  auto run_greedy = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> all = args({"pool=tiny_pair", "pool.models[1].path=" + (work_ / "target").string(),
                                         "drafter=null", "scheduler=greedy", "workload=smoke",
                                         "workload.max_new_tokens=12"});
    all.insert(all.end(), extra.begin(), extra.end());
    fs::remove_all(work_ / "out");
    const Result result = run_cli(all);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const nlohmann::json results = read_results(work_ / "out" / "results.h5");
    // Plans and outputs, not timings.
    return nlohmann::json{{"plans", results_column(results, "steps", "plan")},
                          {"batches", results_column(results, "steps", "batch_size")},
                          {"tokens", results_column(results, "output_tokens", "token")}};
  };
  run_greedy({});
  ASSERT_TRUE(fs::exists(work_ / "out" / "profile.json"));
  fs::copy_file(work_ / "out" / "profile.json", work_ / "learned.json");
  const nlohmann::json first = run_greedy({"scheduling.profile=" + (work_ / "learned.json").string()});
  const nlohmann::json second = run_greedy({"scheduling.profile=" + (work_ / "learned.json").string()});
  EXPECT_FALSE(first["plans"].empty());
  EXPECT_EQ(first, second);
  std::ofstream(work_ / "broken.json") << "{\"format\": ";
  fs::remove_all(work_ / "out");
  const Result broken = run_cli(args({"scheduling.profile=" + (work_ / "broken.json").string()}));
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.output, HasSubstr("broken.json"));
}

TEST_F(CliTest, PlanOutsideThePoolIsRefused) {
  const Result result = run_cli(args({"scheduler.chain=[draft,target]", "scheduler.draft_lengths=[4]"}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("draft"));
  EXPECT_THAT(result.output, HasSubstr("error"));
}

}  // namespace
