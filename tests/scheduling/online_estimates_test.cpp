// OnlineEstimates: learning from step results, snapshot, save -> load giving identical
// predictions and plan choices, frozen mode, malformed profiles refused by file and key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "specrouter/error.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/scheduling/plan_search.h"

namespace specrouter {
namespace {

std::filesystem::path scratch(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(SPECROUTER_BINARY_DIR) / "online_estimates_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

// Synthetic steps of a 3-model pool (costs 1x, 3x, 10x; acceptance from fixed TVs):
// chains [0, 2] and [0, 1, 2] at batch sizes 1..4.
StepResult synthetic_step(std::mt19937_64& rng, int index) {
  const ForwardCost costs[3] = {{1e-3, 2e-5, 1e-7, 0}, {3e-3, 6e-5, 3e-7, 0}, {1e-2, 2e-4, 1e-6, 0}};
  const int batch = 1 + index % 4;
  const int tokens = 1 + index % 5;
  const double context = 50.0 + index % 300;
  StepResult step;
  for (int model = 0; model < 3; ++model) {
    const double seconds = costs[model].seconds(tokens, batch, context) * (1 + 0.01 * ((rng() % 5) - 2.0));
    step.calls.push_back({model, batch, static_cast<std::int64_t>(tokens) * batch, seconds,
                          static_cast<std::int64_t>(context * batch)});
  }
  step.calls.push_back({kDrafterCall, batch, 4, 1.0, 0});
  LevelStats bottom;
  bottom.pool_index = 0;
  bottom.rounds = 4;
  LevelStats middle;
  middle.pool_index = index % 2 == 0 ? 1 : 2;
  middle.rounds = 2;
  middle.drafted = 6;
  middle.accepted = index % 2 == 0 ? 5 : 3;
  middle.recovered = 1;
  middle.tv_distance_sum = index % 2 == 0 ? 0.6 : 2.4;
  middle.tv_positions = 6;
  step.sequences.push_back({7, {1, 2, 3}, {bottom, middle}});
  if (index % 2 == 0) {
    LevelStats top;
    top.pool_index = 2;
    top.rounds = 1;
    top.drafted = 4;
    top.accepted = 3;
    top.recovered = 1;
    top.tv_distance_sum = 0.8;
    top.tv_positions = 4;
    step.sequences.back().levels.push_back(top);
  }
  return step;
}

OnlineEstimates trained(AcceptanceMapping mapping) {
  OnlineEstimatesOptions options;
  options.similarity.mapping = mapping;
  OnlineEstimates estimates({"small", "medium", "target"}, options);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) estimates.observe(synthetic_step(rng, i), i % 3 == 0 ? "code" : "");
  return estimates;
}

void expect_identical(const PerformanceEstimates& a, const PerformanceEstimates& b) {
  ASSERT_EQ(a.pool_size(), b.pool_size());
  for (int model = 0; model < a.pool_size(); ++model) {
    for (int tokens : {1, 3, 9}) {
      for (int batch : {1, 4, 16}) {
        for (double context : {0.0, 100.0, 1000.0}) {
          EXPECT_EQ(a.forward_seconds(model, tokens, batch, context), b.forward_seconds(model, tokens, batch, context));
        }
      }
    }
    for (int verifier = model + 1; verifier < a.pool_size(); ++verifier) {
      EXPECT_EQ(a.acceptance_rate(model, verifier), b.acceptance_rate(model, verifier));
    }
  }
}

TEST(OnlineEstimatesTest, LearnsFromStepsAndSnapshotsAgree) {
  const OnlineEstimates estimates = trained(AcceptanceMapping::kSampling);
  EXPECT_TRUE(estimates.profiler().is_fitted(2));
  EXPECT_NEAR(estimates.forward_seconds(2, 3, 2, 100), 1e-2 + 2e-4 * 6 + 1e-6 * 200, 0.02 * 0.0114);
  EXPECT_NEAR(estimates.acceptance_rate(1, 2), 0.8, 1e-12);  // sampling: 1 - 0.8/4
  EXPECT_NEAR(estimates.acceptance_rate(0, 1), 0.9, 1e-12);
  EXPECT_NEAR(estimates.acceptance_rate(0, 2), 0.6, 1e-12);
  expect_identical(estimates, estimates.snapshot());
}

TEST(OnlineEstimatesTest, SaveLoadGivesIdenticalPredictionsAndPlans) {
  for (AcceptanceMapping mapping : {AcceptanceMapping::kSampling, AcceptanceMapping::kGreedy}) {
    const OnlineEstimates saved = trained(mapping);
    const std::filesystem::path path = scratch("profile.json");
    saved.save(path);
    const OnlineEstimates loaded = OnlineEstimates::load(path, {"small", "medium", "target"});
    EXPECT_TRUE(loaded.frozen());
    expect_identical(saved, loaded);
    expect_identical(saved.snapshot("code"), loaded.snapshot("code"));
    for (int batch : {1, 4, 32}) {
      for (double context : {10.0, 500.0}) {
        const PredictedPlan a = best_plan_dp(saved.snapshot(), {batch, context}, {});
        const PredictedPlan b = best_plan_dp(loaded.snapshot(), {batch, context}, {});
        EXPECT_EQ(a.plan.chain, b.plan.chain);
        EXPECT_EQ(a.plan.draft_lengths, b.plan.draft_lengths);
        EXPECT_EQ(a.seconds_per_token, b.seconds_per_token);
        const PredictedPlan c = best_plan_by_enumeration(loaded, {batch, context}, {});
        EXPECT_EQ(c.plan.chain, a.plan.chain);
      }
    }
  }
}

TEST(OnlineEstimatesTest, FrozenEstimatesDoNotLearn) {
  OnlineEstimates estimates = trained(AcceptanceMapping::kGreedy);
  const FrozenEstimates before = estimates.snapshot();
  estimates.set_frozen(true);
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20; ++i) estimates.observe(synthetic_step(rng, i * 7 + 1));
  expect_identical(before, estimates);
  estimates.set_frozen(false);
  estimates.observe(synthetic_step(rng, 3));
  EXPECT_NE(before.forward_seconds(0, 1, 1, 0), estimates.forward_seconds(0, 1, 1, 0));
}

// Writes the trained profile with one edit and expects load to refuse it, naming the
// file and `key`.
void expect_refused(const std::function<void(nlohmann::json&)>& edit, const std::string& key,
                    const std::vector<std::string>& names = {}) {
  const std::filesystem::path path = scratch("broken.json");
  trained(AcceptanceMapping::kGreedy).save(path);
  nlohmann::json profile;
  std::ifstream(path) >> profile;
  edit(profile);
  std::ofstream(path) << profile.dump();
  try {
    OnlineEstimates::load(path, names);
    ADD_FAILURE() << "loaded a profile broken at " << key;
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
  }
}

TEST(OnlineEstimatesTest, MalformedProfilesAreRefusedNamingFileAndKey) {
  using nlohmann::json;
  expect_refused([](json& p) { p["format"] = "other"; }, "format");
  expect_refused([](json& p) { p["version"] = 1; }, "version");
  expect_refused([](json& p) { p["options"].erase("ridge"); }, "options.ridge");
  expect_refused([](json& p) { p["options"]["acceptance_mapping"] = "typical"; }, "options.acceptance_mapping");
  expect_refused([](json& p) { p["models"][1]["fit"]["weight"] = "heavy"; }, "models[1].fit.weight");
  expect_refused([](json& p) { p["models"][0]["fit"]["moment"].erase(0); }, "models[0].fit.moment");
  expect_refused([](json& p) { p["models"][2]["fit"]["weight"] = -1.0; }, "models[2].fit");
  expect_refused([](json& p) { p["pairs"][0]["verifier"] = 7; }, "pairs[0]");
  expect_refused([](json& p) { p["calibration"].erase("sum_xy"); }, "calibration.sum_xy");
  expect_refused([](json&) {}, "models[1].name", {"small", "large", "target"});
  expect_refused([](json&) {}, "models[2].name", {"small", "medium", "large", "target"});
  expect_refused([](json&) {}, "models", {"small", "medium", "target", "huge"});
  const std::filesystem::path garbage = scratch("garbage.json");
  std::ofstream(garbage) << "{ not json";
  try {
    OnlineEstimates::load(garbage);
    ADD_FAILURE() << "loaded garbage";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find(garbage.string()), std::string::npos);
  }
  EXPECT_THROW(OnlineEstimates::load(scratch("missing.json")), ConfigError);
}

}  // namespace
}  // namespace specrouter
