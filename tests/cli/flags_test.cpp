// The flag parsing every command shares (CLI11, docs/design/command_line.md): `--x=v` and
// `--x v` alike, counts and seeds range-checked with the flag, value and range named and
// exit code 2, `--seed -1` drawing a seed that is printed and repeats the run, component
// parameters of every kind checked, and `--help` of every command.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_test_util.h"

namespace {
namespace fs = std::filesystem;
using specrouter::testing::CliResult;
using specrouter::testing::run_cli;
using specrouter::testing::run_cli_split;
using ::testing::HasSubstr;
using ::testing::Not;

class FlagsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("specrouter-flags-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    const specrouter::ModelConfig config = specrouter::testing::tiny_llama_config(2);
    specrouter::testing::write_layer_subset_checkpoint(*dir_ / "model", config, 5, {0, 1});
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }
  static std::string model() { return (*dir_ / "model").string(); }

  // `generate` on the test model with `args` after the model and one prompt.
  static CliResult generate(std::vector<std::string> args) {
    args.insert(args.begin(), {"generate", "--model", model(), "--tokens", "256,72,101,108", "--threads", "1"});
    return run_cli_split(args);
  }

  static fs::path* dir_;
};
fs::path* FlagsTest::dir_ = nullptr;

// The number after "seed: " on stderr, or "" when there is none.
std::string printed_seed(const std::string& errors) {
  std::smatch match;
  return std::regex_search(errors, match, std::regex("seed: ([0-9]+)\n")) ? match[1].str() : "";
}

TEST_F(FlagsTest, ValueAfterEqualsSignOrAsTheNextArgument) {
  const CliResult spaced = generate({"--max-new-tokens", "2"});
  ASSERT_EQ(spaced.exit_code, 0) << spaced.errors;
  EXPECT_THAT(spaced.output, HasSubstr("[0] tokens: "));
  EXPECT_THAT(spaced.output, HasSubstr("(max_tokens)"));
  const CliResult joined = generate({"--max-new-tokens=2"});
  ASSERT_EQ(joined.exit_code, 0) << joined.errors;
  EXPECT_EQ(joined.output, spaced.output);
  // --model=DIR too.
  const CliResult model_joined =
      run_cli_split({"generate", "--model=" + model(), "--tokens=256,72,101,108", "--threads=1", "--max-new-tokens=2"});
  ASSERT_EQ(model_joined.exit_code, 0) << model_joined.errors;
  EXPECT_EQ(model_joined.output, spaced.output);
}

TEST_F(FlagsTest, PromptsKeepTheirCommandLineOrder) {
  const CliResult first = generate({"--tokens", "256,97,98", "--max-new-tokens", "3"});
  ASSERT_EQ(first.exit_code, 0) << first.errors;
  // The same two prompts, the --tokens of the fixture now second.
  const CliResult swapped = run_cli_split({"generate", "--model", model(), "--tokens", "256,97,98", "--threads", "1",
                                           "--tokens", "256,72,101,108", "--max-new-tokens", "3"});
  ASSERT_EQ(swapped.exit_code, 0) << swapped.errors;
  const auto line = [](const std::string& output, int index) {
    const std::size_t start = output.find("[" + std::to_string(index) + "] tokens: ");
    return output.substr(start + 4, output.find('\n', start) - start - 4);
  };
  EXPECT_EQ(line(first.output, 0), line(swapped.output, 1));
  EXPECT_EQ(line(first.output, 1), line(swapped.output, 0));
}

TEST_F(FlagsTest, MalformedValuesAreRefusedNamingFlagValueAndRange) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--threads", "-3"}, "--threads: -3 is out of range (allowed: 0 or more; 0: every core)"},
      {{"--max-new-tokens", "0"}, "--max-new-tokens: 0 is out of range (allowed: 1 or more)"},
      {{"--max-new-tokens=0"}, "--max-new-tokens: 0 is out of range (allowed: 1 or more)"},
      {{"--max-new-tokens", "two"}, "--max-new-tokens: 'two' is not a whole number (allowed: 1 or more)"},
      {{"--seed", "-2"}, "--seed: -2 is out of range (allowed: 0 to 18446744073709551615, or -1 for a random seed)"},
      {{"--top-p", "0"}, "--top-p: 0 is out of range (allowed: more than 0 and at most 1)"},
      {{"--temperature", "-1"}, "--temperature: -1 is out of range (allowed: 0 or more)"},
      {{"--tokens", "1,-2"}, "--tokens: -2 is out of range (allowed: 0 or more) in '1,-2'"},
      {{"--dtype", "f16"}, "--dtype: 'f16' is not one of float32, bfloat16, float64"},
      {{"--max-new-tokens"}, "--max-new-tokens needs a value (N)"},
      {{"--frobnicate", "1"}, "unexpected argument '--frobnicate'"},
  };
  for (const Case& c : cases) {
    const CliResult result = generate(c.args);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(c.args) << "\n" << result.errors;
    EXPECT_THAT(result.errors, HasSubstr("specrouter generate: " + c.expected)) << ::testing::PrintToString(c.args);
    EXPECT_THAT(result.errors, HasSubstr("(see `specrouter generate --help`)"));
    EXPECT_EQ(result.output, "") << "nothing runs for a malformed command line";
  }
  // The same checks in `speculate` (shared definitions) and its own counts.
  const CliResult threads = run_cli({"speculate", "--model", model(), "--tokens", "256,5", "--threads", "-3"});
  EXPECT_EQ(threads.exit_code, 2);
  EXPECT_THAT(threads.output, HasSubstr("--threads: -3 is out of range (allowed: 0 or more; 0: every core)"));
  const CliResult length =
      run_cli({"speculate", "--model", model(), "--tokens", "256,5", "--drafter", "ngram", "--drafter-length=0"});
  EXPECT_EQ(length.exit_code, 2);
  EXPECT_THAT(length.output, HasSubstr("--drafter-length: 0 is out of range (allowed: 1 or more)"));
  const CliResult prompts = run_cli({"simulate", "--profile", "p.yaml", "--prompts", "0"});
  EXPECT_EQ(prompts.exit_code, 2);
  EXPECT_THAT(prompts.output, HasSubstr("--prompts: 0 is out of range (allowed: 1 or more)"));
}

TEST_F(FlagsTest, SeedMinusOneDrawsASeedThatRepeatsTheRun) {
  const std::vector<std::string> sampled = {"--max-new-tokens", "12", "--temperature", "1.5", "--ignore-eos"};
  std::vector<std::string> random_args = sampled;
  random_args.insert(random_args.end(), {"--seed", "-1"});
  const CliResult random = generate(random_args);
  ASSERT_EQ(random.exit_code, 0) << random.errors;
  const std::string seed = printed_seed(random.errors);
  ASSERT_NE(seed, "") << random.errors;

  std::vector<std::string> again_args = sampled;
  again_args.insert(again_args.end(), {"--seed", seed});
  const CliResult again = generate(again_args);
  ASSERT_EQ(again.exit_code, 0) << again.errors;
  EXPECT_EQ(again.output, random.output) << "seed " << seed;
  EXPECT_EQ(printed_seed(again.errors), "") << "a given seed is not printed again";

  // `speculate` records the drawn seed in its statistics.
  const fs::path stats_file = *dir_ / "seed.json";
  const CliResult speculated =
      run_cli_split({"speculate", "--model", model(), "--tokens", "256,72,101,108", "--threads", "1", "--ids",
                     "--max-new-tokens", "4", "--temperature", "1", "--seed=-1", "--stats", stats_file.string()});
  ASSERT_EQ(speculated.exit_code, 0) << speculated.errors;
  const std::string drawn = printed_seed(speculated.errors);
  ASSERT_NE(drawn, "") << speculated.errors;
  const nlohmann::json stats = nlohmann::json::parse(specrouter::testing::read_text(stats_file));
  EXPECT_EQ(std::to_string(stats["sampling"]["seed"].get<std::uint64_t>()), drawn);
}

TEST_F(FlagsTest, EveryComponentKindTakesCheckedParameters) {
  const CliResult collaboration = run_cli(
      {"speculate", "--model", model(), "--tokens", "256,5", "--threads", "1", "--collaboration-param", "nonsense=1"});
  EXPECT_EQ(collaboration.exit_code, 1) << collaboration.output;
  EXPECT_THAT(collaboration.output, HasSubstr("--collaboration-param nonsense"));
  EXPECT_THAT(collaboration.output, HasSubstr("has no parameter 'nonsense'"));
  const CliResult malformed =
      run_cli({"speculate", "--model", model(), "--tokens", "256,5", "--collaboration-param", "nonsense"});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.output;
  EXPECT_THAT(malformed.output, HasSubstr("--collaboration-param: expects KEY=VALUE"));
}

TEST_F(FlagsTest, EveryCommandHasHelpFromItsDefinitions) {
  for (const char* command :
       {"run", "generate", "speculate", "simulate", "corpus", "train", "zoo", "leaderboard", "plugins"}) {
    for (const char* flag : {"--help", "-h"}) {
      const CliResult result = run_cli_split({command, flag});
      EXPECT_EQ(result.exit_code, 0) << command << " " << flag << "\n" << result.errors;
      EXPECT_THAT(result.output, HasSubstr(std::string("usage: specrouter ")));
      EXPECT_THAT(result.output, HasSubstr("-h, --help")) << command;
      EXPECT_EQ(result.errors, "") << command;
    }
  }
  // --help wins over a malformed flag anywhere on the line.
  const CliResult help = run_cli_split({"generate", "--threads", "-3", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("--max-new-tokens N"));
}

TEST_F(FlagsTest, RunKeepsOverridesVerbatimAndRefusesUnknownOptions) {
  const std::string configs = (fs::path(SPECROUTER_SOURCE_DIR) / "configs").string();
  const CliResult composed =
      run_cli_split({"--config-dir=" + configs, "--cfg=job", "run.seed=7", "+workload.tag=[a,b]"});
  ASSERT_EQ(composed.exit_code, 0) << composed.errors;
  EXPECT_THAT(composed.output, HasSubstr("seed: 7"));
  EXPECT_THAT(composed.output, HasSubstr("tag: [a, b]"));
  const CliResult unknown = run_cli({"run", "--frobnicate", "run.seed=7"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("specrouter run: unknown option '--frobnicate'"));
  const CliResult progress = run_cli({"--progress", "fancy"});
  EXPECT_EQ(progress.exit_code, 2);
  EXPECT_THAT(progress.output, HasSubstr("--progress: 'fancy' is not one of auto, bar, lines"));
  EXPECT_THAT(progress.output, Not(HasSubstr("specrouter: error")));
}

}  // namespace
