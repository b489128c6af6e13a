// `specrouter speculate` end to end: greedy speculative decoding with 2- and 3-model chains
// (and a drafter) prints exactly what `generate` prints with the target alone, its
// statistics add up, and bad input fails with the value at fault named.
//
// The models: a random 4-layer target and, as drafts, the same model cut to its first two
// layers and to its first layer (so the drafts agree with the target often), float64 so
// that no near-tie of float32 rounding can make two decodings differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>

#include "cli_test_util.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using specrouter::testing::CliResult;
using specrouter::testing::run_cli;
using specrouter::testing::run_cli_split;

constexpr std::uint64_t kSeed = 11;

class SpeculateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("specrouter-speculate-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    const specrouter::ModelConfig full = specrouter::testing::tiny_llama_config(4);
    specrouter::testing::write_layer_subset_checkpoint(*dir_ / "target", full, kSeed, {0, 1, 2, 3});
    specrouter::testing::write_layer_subset_checkpoint(*dir_ / "half", full, kSeed, {0, 1});
    specrouter::testing::write_layer_subset_checkpoint(*dir_ / "quarter", full, kSeed, {0});
    specrouter::testing::write_layer_subset_checkpoint(*dir_ / "wide", specrouter::testing::tiny_llama_config(1, 300),
                                                       kSeed, {0});
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }
  static std::string model(const std::string& name) { return (*dir_ / name).string(); }

  // Prompts, length and dtype shared by every decoding compared here.
  static std::vector<std::string> decoding(std::vector<std::string> args) {
    for (const char* arg : {"--tokens", "256,72,101,108,108,111", "--tokens", "256,97,98,99,97,98,99,97,98",
                            "--max-new-tokens", "20", "--dtype", "float64", "--threads", "1"}) {
      args.emplace_back(arg);
    }
    return args;
  }
  static std::string generate_target() {
    const CliResult plain = run_cli_split(decoding({"generate", "--model", model("target")}));
    EXPECT_EQ(plain.exit_code, 0) << plain.errors;
    return plain.output;
  }
  static CliResult speculate(std::vector<std::string> args) {
    args.insert(args.begin(), "speculate");
    args.emplace_back("--ids");
    return run_cli_split(decoding(args));
  }

  static fs::path* dir_;
};
fs::path* SpeculateTest::dir_ = nullptr;

TEST_F(SpeculateTest, GreedyChainsPrintWhatTheTargetAlonePrints) {
  const std::string plain = generate_target();
  ASSERT_THAT(plain, HasSubstr("[1] tokens: "));
  const std::vector<std::vector<std::string>> runs = {
      {"--model", model("half"), "--model", model("target"), "--draft-lengths", "3"},
      {"--model", model("quarter"), "--model", model("half"), "--model", model("target"), "--draft-lengths", "2,3"},
      {"--model", model("quarter"), "--model", model("half"), "--model", model("target"), "--verifier", "tree"},
      // The lower levels only extend the draft; the target alone verifies.
      {"--model", model("quarter"), "--model", model("half"), "--model", model("target"), "--draft-lengths", "2,3",
       "--collaboration", "vertical_cascade"},
      {"--model", model("half"), "--model", model("target"), "--drafter", "ngram", "--drafter-param", "max_ngram=2",
       "--drafter-length", "3"},
      // Classic two-model drafting: the target alone as the chain, `quarter` drafting below it.
      {"--model", model("target"), "--drafter", "model", "--drafter-model", model("quarter"), "--drafter-param",
       "model=quarter"},
  };
  for (const auto& run : runs) {
    const CliResult result = speculate(run);
    ASSERT_EQ(result.exit_code, 0) << result.errors;
    EXPECT_EQ(result.output, plain) << ::testing::PrintToString(run);
    EXPECT_THAT(result.errors, HasSubstr("tau"));
  }
}

TEST_F(SpeculateTest, StatisticsAddUp) {
  const fs::path stats_file = *dir_ / "stats.json";
  const CliResult result = speculate({"--model", model("quarter"), "--model", model("half"), "--model", model("target"),
                                      "--draft-lengths", "2,3", "--ignore-eos", "--stats", stats_file.string()});
  ASSERT_EQ(result.exit_code, 0) << result.errors;
  EXPECT_THAT(result.errors, HasSubstr("statistics in " + stats_file.string()));
  const nlohmann::json stats = nlohmann::json::parse(specrouter::testing::read_text(stats_file));

  EXPECT_EQ(stats["plan"]["chain"], nlohmann::json({"quarter", "half", "target"}));
  EXPECT_EQ(stats["plan"]["draft_lengths"], nlohmann::json({2, 3}));
  EXPECT_EQ(stats["batch"], 2);
  EXPECT_EQ(stats["new_tokens"], 40);  // 2 prompts x 20 tokens
  EXPECT_GE(stats["committed_tokens"].get<int>(), 40);
  EXPECT_EQ(stats["target_passes"], stats["steps"]);
  EXPECT_LE(stats["sequence_steps"].get<int>(), 2 * stats["steps"].get<int>());
  EXPECT_GE(stats["tau"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(stats["tau"].get<double>(),
                   stats["committed_tokens"].get<double>() / stats["sequence_steps"].get<double>());
  EXPECT_GT(stats["tokens_per_second"].get<double>(), 0.0);

  const nlohmann::json& levels = stats["levels"];
  ASSERT_EQ(levels.size(), 3u);
  std::int64_t accepted_by_all = 0;
  for (std::size_t level = 0; level < levels.size(); ++level) {
    const nlohmann::json& stats_of = levels[level];
    EXPECT_EQ(stats_of["model"], stats["plan"]["chain"][level]);
    EXPECT_LE(stats_of["accepted"].get<int>(), stats_of["drafted"].get<int>()) << "level " << level;
    EXPECT_EQ(stats_of["produced"].get<int>(), stats_of["accepted"].get<int>() + stats_of["rounds"].get<int>());
    if (level + 1 < levels.size()) EXPECT_EQ(stats_of["produced"], levels[level + 1]["drafted"]);
    accepted_by_all += stats_of["accepted"].get<int>();
    if (stats_of["tv_positions"].get<int>() == 0) EXPECT_TRUE(stats_of["mean_tv_distance"].is_null());
  }
  EXPECT_EQ(levels[0]["drafted"], 0);  // no drafter below the chain
  EXPECT_TRUE(levels[0]["acceptance_rate"].is_null());
  EXPECT_GT(accepted_by_all, 0) << "the shallow drafts agree with the target sometimes";
  EXPECT_EQ(levels[2]["produced"], stats["committed_tokens"]);
  EXPECT_EQ(levels[2]["rounds"], stats["sequence_steps"]);

  std::vector<std::string> timed;
  for (const nlohmann::json& model : stats["forward"]) timed.push_back(model["model"].get<std::string>());
  EXPECT_EQ(timed, (std::vector<std::string>{"quarter", "half", "target"}));
  for (const nlohmann::json& model : stats["forward"]) EXPECT_GT(model["seconds"].get<double>(), 0.0);

  // The same statistics as YAML, and as the table on stderr when no file is given.
  const fs::path yaml_file = *dir_ / "stats.yaml";
  ASSERT_EQ(speculate({"--model", model("half"), "--model", model("target"), "--stats", yaml_file.string()}).exit_code, 0);
  EXPECT_THAT(specrouter::testing::read_text(yaml_file), HasSubstr("acceptance_rate_at:"));
  const CliResult table = speculate({"--model", model("half"), "--model", model("target"), "--drafter", "ngram"});
  ASSERT_EQ(table.exit_code, 0) << table.errors;
  for (const char* expected : {"plan [half, target] draft lengths 4", "drafter ngram (length 4)", "target passes",
                               "tau", "acceptance by draft position", "mean TV", "forward time: drafter:ngram"}) {
    EXPECT_THAT(table.errors, HasSubstr(expected));
  }
}

TEST_F(SpeculateTest, RepeatedFoldersGetDistinctPoolNames) {
  const fs::path stats_file = *dir_ / "names.json";
  const CliResult result = speculate({"--model", model("half"), "--model", model("half") + "/", "--model",
                                      model("target"), "--draft-lengths", "1,2", "--stats", stats_file.string()});
  ASSERT_EQ(result.exit_code, 0) << result.errors;
  const nlohmann::json stats = nlohmann::json::parse(specrouter::testing::read_text(stats_file));
  EXPECT_EQ(stats["plan"]["chain"], nlohmann::json({"half", "half-2", "target"}));
}

TEST_F(SpeculateTest, BadInputIsNamed) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::vector<std::string> expected;
  };
  const std::string half = model("half");
  const std::string target = model("target");
  const std::string missing = (*dir_ / "no-such-model").string();
  std::string long_prompt = "5";
  for (int i = 0; i < 5000; ++i) long_prompt += ",5";
  const std::vector<Case> cases = {
      {{"--model", half, "--model", target, "--verifier", "tre"}, 1, {"--verifier", "unknown verifier 'tre'", "'tree'"}},
      {{"--model", target, "--drafter", "ngramm"}, 1, {"--drafter", "unknown drafter 'ngramm'", "'ngram'"}},
      {{"--model", target, "--collaboration", "vertical_cascad"}, 1,
       {"--collaboration", "unknown collaboration 'vertical_cascad'", "'vertical_cascade'"}},
      {{"--model", half, "--model", target, "--draft-lengths", "2,2"}, 2, {"--draft-lengths gives 2", "1 level(s) below"}},
      {{"--model", half, "--model", target, "--draft-lengths", "0"}, 2,
       {"--draft-lengths: 0 is out of range", "1 or more"}},
      {{"--model", half, "--model", target, "--draft-lengths", "two"}, 2, {"--draft-lengths", "'two'"}},
      {{"--model", missing, "--model", target}, 1, {missing, "no checkpoint folder at"}},
      {{"--model", model("wide"), "--model", target}, 1, {model("wide"), "300", target, "259", "vocabulary"}},
      {{"--model", target, "--drafter", "ngram", "--drafter-param", "max_ngrams=2"}, 1,
       {"--drafter-param max_ngrams", "did you mean 'max_ngram'"}},
      {{"--model", target, "--drafter", "ngram", "--drafter-param", "max_ngram=many"}, 1,
       {"--drafter-param max_ngram", "expected int"}},
      {{"--model", target, "--drafter", "model"}, 1, {"requires string parameter 'model'", "--drafter-param model=<value>"}},
      {{"--model", target, "--verifier-param", "strict=1"}, 1,
       {"--verifier-param strict", "verifier 'token' has no parameter 'strict'", "(parameters: none)"}},
      {{"--model", target, "--verifier-param", "strict"}, 2, {"--verifier-param", "name=value"}},
      {{"--model", target, "--collaboration-param", "nonsense=1"}, 1,
       {"--collaboration-param nonsense", "collaboration 'collaborative_verification' has no parameter 'nonsense'"}},
      {{"--model", target, "--drafter-length", "3"}, 2, {"need --drafter NAME"}},
      {{"--model", target, "--drafter", "ngram", "--drafter-length", "0"}, 2,
       {"--drafter-length: 0 is out of range", "1 or more"}},
      {{"--model", target, "--frobnicate", "1"}, 2, {"unexpected argument '--frobnicate'"}},
      {{"--tokens", "1,2"}, 2, {"--model is required"}},
      // Out of a resource (the model's context), not bad input: exit 3.
      {{"--model", target, "--tokens", long_prompt, "--max-new-tokens", "2"}, 3,
       {"out of capacity", "more than the context"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"speculate"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    if (std::find(c.args.begin(), c.args.end(), "--tokens") == c.args.end()) {
      args.insert(args.end(), {"--tokens", "256,5,6", "--max-new-tokens", "2", "--threads", "1"});
    }
    const CliResult result = run_cli(args);
    EXPECT_EQ(result.exit_code, c.exit_code) << ::testing::PrintToString(c.args) << "\n" << result.output;
    for (const std::string& expected : c.expected) {
      EXPECT_THAT(result.output, HasSubstr(expected)) << ::testing::PrintToString(c.args);
    }
  }
}

}  // namespace
