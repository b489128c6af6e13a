// `specrouter simulate` and adaptive `run`s: schedulers against the oracle on a shipped
// simulated profile, bad input named, and a run replayed from its saved profile makes
// the same decisions.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using specrouter::testing::run_cli;
using ::testing::HasSubstr;

const fs::path kProfile = fs::path(SPECROUTER_SOURCE_DIR) / "experiments/simulator/profiles/qwen2.5_0.5b_1.5b_7b_h200.yaml";

TEST(SimulateCommandTest, ComparesSchedulersWithTheBestFixedPlan) {
  const fs::path output = fs::temp_directory_path() / ("specrouter-simulate-" + std::to_string(::getpid()) + ".yaml");
  const auto result = run_cli({"simulate", "--profile", kProfile.string(), "--prompts", "2", "--new-tokens", "200",
                               "--max-draft-length", "3", "--scheduler", "greedy", "--scheduler", "bandit", "--set",
                               "bandit.policy=thompson", "--output", output.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("oracle chain"));
  const YAML::Node report = YAML::LoadFile(output.string());
  const double oracle = report["oracle"]["tokens_per_second"].as<double>();
  EXPECT_GT(oracle, report["target_only_tokens_per_second"].as<double>()) << "speculation pays on this pool";
  ASSERT_EQ(report["schedulers"].size(), 2u);
  for (const YAML::Node& scheduler : report["schedulers"]) {
    const double ratio = scheduler["ratio_to_oracle"].as<double>();
    EXPECT_GT(ratio, 0.5) << scheduler["scheduler"].as<std::string>();
    EXPECT_LT(ratio, 1.05) << "the best fixed plan in hindsight is (nearly) unbeatable";
    EXPECT_GT(scheduler["plans"].size(), 1u) << "an adaptive scheduler explores";
  }
  fs::remove(output);
}

TEST(SimulateCommandTest, BadInputIsNamed) {
  const auto missing = run_cli({"simulate", "--profile", "/no/such/profile.yaml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("/no/such/profile.yaml"));
  const auto unknown = run_cli({"simulate", "--profile", kProfile.string(), "--scheduler", "oracle9000"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output, HasSubstr("oracle9000"));
  const auto usage = run_cli({"simulate", "--profile", kProfile.string(), "--scheduler", "bandit", "--set", "greedy.x=1"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.output, HasSubstr("not compared"));
  const auto parameter = run_cli({"simulate", "--profile", kProfile.string(), "--scheduler", "bandit", "--set",
                                  "bandit.nonsense=1", "--prompts", "1", "--new-tokens", "4"});
  EXPECT_EQ(parameter.exit_code, 1);
  EXPECT_THAT(parameter.output, HasSubstr("has no parameter 'nonsense'"));
}

}  // namespace
