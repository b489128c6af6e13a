// Parity with Hugging Face transformers: scripts/oracles/hf_model_parity.py saves tiny
// random models of every supported architecture (one sharded) with save_pretrained and
// records their logits and greedy generations; the C++ runtime loads the same folders
// and must reproduce both.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <ATen/ops/abs.h>
#include <ATen/ops/max.h>
#include <ATen/ops/tensor.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "model_test_util.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/load_model.h"

namespace specrouter::testing {
namespace {

using Json = nlohmann::json;

class HfParity : public ::testing::Test {
 protected:
  // Runs the oracle once for the whole suite.
  static void SetUpTestSuite() {
    const std::filesystem::path python = SPECROUTER_PYTHON;
    if (!std::filesystem::exists(python)) {
      skip_reason_ = "no Python interpreter at " + python.string();
      return;
    }
    out_dir_ = scratch_dir("hf_parity");
    const std::string command = "\"" + python.string() + "\" \"" SPECROUTER_SOURCE_DIR
                                "/scripts/oracles/hf_model_parity.py\" --out \"" + out_dir_.string() + "\"";
    if (std::system(command.c_str()) != 0) {
      failure_ = "the oracle failed: " + command;
      return;
    }
    std::ifstream in(out_dir_ / "expected.json");
    expected_ = Json::parse(in);
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  static std::filesystem::path out_dir_;
  static Json expected_;
  static std::string skip_reason_;
  static std::string failure_;
};

std::filesystem::path HfParity::out_dir_;
Json HfParity::expected_;
std::string HfParity::skip_reason_;
std::string HfParity::failure_;

// One test (the oracle takes seconds to run, and ctest runs each test in a new process).
TEST_F(HfParity, LogitsAndGreedyGenerationMatchTransformers) {
  c10::InferenceMode guard;
  ASSERT_GE(expected_.at("cases").size(), 8u);
  double worst = 0.0;
  for (const Json& record : expected_.at("cases")) {
    const std::string name = record.at("name");
    auto model = load_model(out_dir_ / record.at("folder").get<std::string>());
    for (const Json& sequence : record.at("sequences")) {
      const auto tokens = sequence.at("tokens").get<std::vector<TokenId>>();
      const auto rows = sequence.at("logits").get<std::vector<std::vector<float>>>();
      std::vector<float> flat;
      for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
      const at::Tensor reference =
          at::tensor(flat).view({static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())});
      const at::Tensor ours = full_forward_logits(*model, tokens);
      const double scale = reference.abs().max().item<double>();
      const double relative = max_abs_diff(ours, reference) / scale;
      worst = std::max(worst, relative);
      EXPECT_LT(relative, 1e-4) << name << " with " << tokens.size() << " tokens";
      EXPECT_GT(scale, 1.0) << name << ": the oracle's logits are too flat to test anything";
    }

    const Json& expected = record.at("generate");
    GenerationOptions options;
    options.max_new_tokens = expected.at("max_new_tokens");
    options.eos_token_ids = model->config().eos_token_ids;
    EXPECT_EQ(options.eos_token_ids, expected.at("eos_token_ids").get<std::vector<TokenId>>()) << name;
    const std::vector<std::vector<TokenId>> prompts = {expected.at("prompt").get<std::vector<TokenId>>()};
    const std::vector<GenerationResult> results = generate(*model, prompts, options);
    EXPECT_EQ(results[0].tokens, expected.at("tokens").get<std::vector<TokenId>>()) << name;
  }
  RecordProperty("max_relative_error", std::to_string(worst));
  std::printf("largest relative logit error against transformers %s: %.3g\n",
              expected_.at("transformers").get<std::string>().c_str(), worst);
}

}  // namespace
}  // namespace specrouter::testing
