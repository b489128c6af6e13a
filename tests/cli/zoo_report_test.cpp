// The zoo report (engine/include/specrouter/engine/zoo_report.h) on three small random models that share
// layers (so they agree often but not always), checked against an independent
// recomputation with the trainer's forward (TrainableLlama), which tests/training keeps in
// agreement with the runtime.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "specrouter/error.h"
#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/weights.h"
#include "specrouter/training/trainable_llama.h"
#include "specrouter/engine/zoo_report.h"

namespace {

namespace fs = std::filesystem;
namespace testing_support = specrouter::testing;
using namespace specrouter;
using specrouter::engine::ZooReport;
using specrouter::engine::ZooReportOptions;

constexpr std::int64_t kWindow = 32;
constexpr std::int64_t kEos = 257;

// A model made of the layers `layers` of one random 4-layer model (its embeddings, final
// norm and lm_head too): models sharing a prefix of layers agree on many tokens.
struct WrittenModel {
  ModelConfig config;
  std::shared_ptr<CheckpointWeights> weights;
};

WrittenModel write_layer_subset(const fs::path& dir, const std::vector<int>& layers, std::int64_t vocab_size = 259) {
  testing_support::write_layer_subset_checkpoint(dir, testing_support::tiny_llama_config(4, vocab_size), 11, layers);
  return {load_model_config(dir / "config.json"), std::make_shared<CheckpointWeights>(CheckpointWeights::open(dir))};
}

std::string sample_text(std::size_t bytes, unsigned seed) {
  const std::string words[] = {"the ", "model ", "drafts ", "tokens ", "and ", "verifies ", "them; ", "int x = 0;\n"};
  std::string text;
  unsigned state = seed;
  while (text.size() < bytes) {
    state = state * 1103515245u + 12345u;
    text += words[(state >> 16) % 8];
  }
  return text.substr(0, bytes);
}

class ZooReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("zoo_report_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    models_.push_back(write_layer_subset(dir_ / "small", {0}));
    models_.push_back(write_layer_subset(dir_ / "mid", {0, 1, 2}));
    models_.push_back(write_layer_subset(dir_ / "large", {0, 1, 2, 3}));
    // 300 bytes and the EOS: three windows at 0, 134, 268; 32 bytes: exactly one window.
    texts_ = {sample_text(300, 1), sample_text(static_cast<std::size_t>(kWindow), 2)};
    std::ofstream(dir_ / "prose.txt") << texts_[0];
    std::ofstream(dir_ / "code.txt") << texts_[1];
    report_ = new ZooReport(engine::measure_zoo(options(), registries(), log_));
  }
  static void TearDownTestSuite() {
    delete report_;
    fs::remove_all(dir_);
  }

  static const Registries& registries() {
    static const Registries empty;
    return empty;
  }

  static ZooReportOptions options() {
    ZooReportOptions options;
    options.models = {{"small", dir_ / "small"}, {"mid", dir_ / "mid"}, {"large", dir_ / "large"}};
    options.domains = {{"prose", dir_ / "prose.txt"}, {"code", dir_ / "code.txt"}};
    options.tokenizer = dir_ / "large" / "tokenizer.json";
    options.window = kWindow;
    options.windows = 3;
    options.cost_context = 16;
    options.verify_tokens = 4;
    options.repetitions = 3;
    options.warmup = 1;
    options.threads = 1;
    options.kernels = {};  // the core's reference kernels (no plugins in this test)
    return options;
  }

  // The windows' starts, evenly spaced from 0 to the last full window, computed here.
  static std::vector<std::int64_t> starts(std::int64_t tokens, std::int64_t count) {
    const std::int64_t last = tokens - kWindow - 1;
    count = std::min(count, last / kWindow + 1);
    std::vector<std::int64_t> result;
    for (std::int64_t i = 0; i < count; ++i) result.push_back(count == 1 ? 0 : last * i / (count - 1));
    return result;
  }

  // Log-probabilities [positions, vocab] (float64) of every window position of `text`,
  // from the trainer's forward, and the targets [positions].
  static std::pair<at::Tensor, at::Tensor> reference(const WrittenModel& model, const std::string& text) {
    std::vector<std::int64_t> ids(text.begin(), text.end());
    for (auto& id : ids) id &= 0xff;
    ids.push_back(kEos);
    const auto llama = training::TrainableLlama::from_weights(model.config, *model.weights, at::kFloat, at::kCPU);
    std::vector<at::Tensor> log_probs, targets;
    const at::Tensor all = at::tensor(ids, at::kLong);
    for (std::int64_t start : starts(static_cast<std::int64_t>(ids.size()), 3)) {
      const at::Tensor logits = llama.forward(all.slice(0, start, start + kWindow).unsqueeze(0)).squeeze(0);
      log_probs.push_back(at::log_softmax(logits.detach().to(at::kDouble), -1));
      targets.push_back(all.slice(0, start + 1, start + kWindow + 1));
    }
    return {at::cat(log_probs), at::cat(targets)};
  }

  static fs::path dir_;
  static std::vector<WrittenModel> models_;
  static std::vector<std::string> texts_;
  static std::ostringstream log_;
  static ZooReport* report_;
};

fs::path ZooReportTest::dir_;
std::vector<WrittenModel> ZooReportTest::models_;
std::vector<std::string> ZooReportTest::texts_;
std::ostringstream ZooReportTest::log_;
ZooReport* ZooReportTest::report_ = nullptr;

TEST_F(ZooReportTest, CountsWindowsAndPositions) {
  ASSERT_EQ(report_->domains.size(), 2u);
  EXPECT_EQ(report_->domains[0].file_tokens, 301);
  EXPECT_EQ(report_->domains[0].windows, 3);
  EXPECT_EQ(report_->domains[0].positions, 3 * kWindow);
  EXPECT_EQ(report_->domains[1].windows, 1);
  EXPECT_EQ(report_->domains[1].positions, kWindow);
  ASSERT_EQ(report_->models.size(), 3u);
  EXPECT_EQ(report_->models[0].parameters, models_[0].config.parameter_count());
  EXPECT_EQ(report_->models[2].layers, 4);
}

TEST_F(ZooReportTest, MatricesAreSymmetricWithTheirDiagonal) {
  for (const auto& domain : report_->domains) {
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(domain.greedy_agreement[i][i], 1.0);
      EXPECT_EQ(domain.total_variation[i][i], 0.0);
      for (std::size_t j = 0; j < 3; ++j) {
        EXPECT_EQ(domain.greedy_agreement[i][j], domain.greedy_agreement[j][i]);
        EXPECT_EQ(domain.total_variation[i][j], domain.total_variation[j][i]);
        if (i != j) EXPECT_GT(domain.total_variation[i][j], 0.0) << domain.name << " " << i << " " << j;
      }
    }
  }
}

TEST_F(ZooReportTest, LossAgreementAndDistanceEqualTheTrainersForward) {
  for (std::size_t d = 0; d < 2; ++d) {
    const auto& domain = report_->domains[d];
    std::vector<at::Tensor> log_probs;
    at::Tensor targets;
    for (const WrittenModel& model : models_) {
      auto [lp, t] = reference(model, texts_[d]);
      log_probs.push_back(lp);
      targets = t;
    }
    const double positions = static_cast<double>(targets.size(0));
    ASSERT_EQ(positions, static_cast<double>(domain.positions));
    for (std::size_t i = 0; i < 3; ++i) {
      const double loss = -log_probs[i].gather(1, targets.unsqueeze(1)).mean().item<double>();
      EXPECT_NEAR(domain.loss[i], loss, 1e-4) << domain.name << " model " << i;
      for (std::size_t j = 0; j < 3; ++j) {
        if (i == j) continue;
        const at::Tensor p = log_probs[i].exp(), q = log_probs[j].exp();
        const double tv = 0.5 * (p - q).abs().sum(-1).mean().item<double>();
        EXPECT_NEAR(domain.total_variation[i][j], tv, 1e-4) << domain.name << " " << i << " " << j;
        // Positions whose top two tokens are within float32 noise may flip their argmax
        // between two implementations; each such position may count either way.
        const at::Tensor agree = log_probs[i].argmax(-1).eq(log_probs[j].argmax(-1));
        auto near_tie = [](const at::Tensor& lp) {
          const at::Tensor top = std::get<0>(lp.topk(2, -1));
          return (top.select(1, 0) - top.select(1, 1)).lt(1e-4);
        };
        const double ties = near_tie(log_probs[i]).logical_or(near_tie(log_probs[j])).sum().item<double>();
        EXPECT_NEAR(domain.greedy_agreement[i][j], agree.sum().item<double>() / positions, ties / positions + 1e-12)
            << domain.name << " " << i << " " << j;
      }
    }
    // Shared layers make the models neither identical nor independent.
    EXPECT_GT(domain.greedy_agreement[1][2], 0.0);
    EXPECT_LT(domain.greedy_agreement[1][2], 1.0);
  }
}

TEST_F(ZooReportTest, CostsArePositive) {
  ASSERT_EQ(report_->costs.size(), 3u);
  for (const auto& cost : report_->costs) {
    EXPECT_GT(cost.decode_ms, 0.0);
    EXPECT_GT(cost.verify_ms, 0.0);
  }
}

TEST_F(ZooReportTest, TargetsFollowTheMeasurements) {
  ZooReport report = *report_;
  report.costs = {{1.0, 1.5}, {4.0, 5.0}, {9.0, 12.0}};
  report.domains[0].greedy_agreement[0][1] = 0.7;
  report.domains[0].greedy_agreement[1][2] = 0.5;
  const auto targets = engine::zoo_targets(report);
  ASSERT_EQ(targets.size(), 2u + 2u * 2u);
  EXPECT_DOUBLE_EQ(targets[0].value, 9.0);
  EXPECT_TRUE(targets[0].met);
  EXPECT_DOUBLE_EQ(targets[1].value, 12.0 / 9.0);
  EXPECT_TRUE(targets[1].met);
  EXPECT_TRUE(targets[2].met);
  EXPECT_FALSE(targets[3].met);
  report.costs = {{2.0, 3.0}, {4.0, 5.0}, {9.0, 15.0}};
  const auto missed = engine::zoo_targets(report);
  EXPECT_FALSE(missed[0].met);
  EXPECT_FALSE(missed[1].met);
}

TEST_F(ZooReportTest, MarkdownNamesEveryModelDomainAndTarget) {
  std::ostringstream out;
  engine::write_zoo_report_markdown(*report_, out);
  const std::string markdown = out.str();
  for (const char* name : {"small", "mid", "large", "prose", "code", "specrouter zoo report", "Targets of issue 8",
                           "Held-out loss", "Greedy agreement, prose", "Total-variation distance, code",
                           "decode(large) / decode(small)", "verify(4) / decode of large"}) {
    EXPECT_NE(markdown.find(name), std::string::npos) << name << "\n" << markdown;
  }
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.3f", report_->domains[1].loss[2]);
  EXPECT_NE(markdown.find(loss), std::string::npos) << loss;
  EXPECT_NE(markdown.find(std::to_string(report_->models[2].parameters)), std::string::npos);
}

// Each bad input gives a ConfigError that names what is wrong.
void expect_config_error(const ZooReportOptions& options, const std::string& expected) {
  std::ostringstream log;
  try {
    engine::measure_zoo(options, Registries{}, log);
    ADD_FAILURE() << "no error; expected one naming " << expected;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

TEST_F(ZooReportTest, RefusesAMissingFolder) {
  ZooReportOptions bad = options();
  bad.models[1] = {"ghost", dir_ / "no-such-model"};
  expect_config_error(bad, "ghost");
}

TEST_F(ZooReportTest, RefusesDifferentVocabularies) {
  write_layer_subset(dir_ / "wide", {0}, 300);
  ZooReportOptions bad = options();
  bad.models[1] = {"wide", dir_ / "wide"};
  expect_config_error(bad, "'wide'");
}

TEST_F(ZooReportTest, RefusesAHeldOutFileShorterThanOneWindow) {
  std::ofstream(dir_ / "short.txt") << "too short";
  ZooReportOptions bad = options();
  bad.domains[1] = {"tiny", dir_ / "short.txt"};
  expect_config_error(bad, (dir_ / "short.txt").string());
}

TEST_F(ZooReportTest, RefusesAWindowLongerThanTheModelsPositions) {
  ZooReportOptions bad = options();
  bad.window = 300;
  expect_config_error(bad, "max positions 256");
}

}  // namespace
