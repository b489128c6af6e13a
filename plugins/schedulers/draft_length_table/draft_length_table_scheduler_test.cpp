// Tests of the draft-length-table scheduler, through the registry as the harness uses it,
// and of the two engine configs built on it (configs/scheduler/vllm_dynamic.yaml and
// trtllm_schedule.yaml), composed from the project's config folder.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/config/validate.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"

// Defined by SPECROUTER_PLUGIN in draft_length_table_scheduler.cpp.
void specrouter_register_draft_length_table_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using ::testing::HasSubstr;
using Names = std::vector<std::string>;
using Ints = std::vector<std::int64_t>;

std::vector<PoolMember> pool_of(const Names& names) {
  std::vector<PoolMember> pool;
  for (const std::string& name : names) pool.push_back({name});
  return pool;
}

const std::vector<PoolMember> kPool = pool_of({"small", "medium", "target"});
const std::vector<PoolMember> kZoo = pool_of({"draft", "mid", "target"});

// A plan, written as the test expects it.
struct Expected {
  std::vector<int> chain;
  std::vector<int> draft_lengths;
};

class DraftLengthTableTest : public ::testing::Test {
 protected:
  DraftLengthTableTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_draft_length_table_scheduler(registrar);
    registrar.commit(registries_);
  }

  const specrouter::ComponentInfo& info() const { return registries_.schedulers.at("draft_length_table").info; }

  std::shared_ptr<Scheduler> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    return registries_.schedulers.create(
        "draft_length_table",
        specrouter::Params::from_specs("scheduler 'draft_length_table'", info().params, overrides));
  }

  std::shared_ptr<Scheduler> make_table(const Ints& batch_sizes, const Ints& draft_lengths) const {
    return make({{"batch_sizes", batch_sizes}, {"draft_lengths", draft_lengths}});
  }

  // The scheduler the composed project config builds for `method`, as the CLI builds it.
  std::shared_ptr<Scheduler> make_from_method(const std::string& method) const {
    specrouter::ComposeRequest request;
    request.config_dir = std::filesystem::path(SPECROUTER_SOURCE_DIR) / "configs";
    request.overrides = {"method=" + method};
    const specrouter::ComposedConfig config = specrouter::compose(request);
    EXPECT_EQ(specrouter::component_name(config, "scheduler"), "draft_length_table");
    return registries_.schedulers.create("draft_length_table",
                                         specrouter::validate_component(config, "scheduler", info()));
  }

  static Plan plan(Scheduler& scheduler, int batch_size, const std::vector<PoolMember>& pool = kPool) {
    return scheduler.plan({pool, batch_size});
  }

  // Checks the plan of every batch size in `expected` (batch size -> plan).
  static void expect_plans(Scheduler& scheduler, const std::map<int, Expected>& expected,
                           const std::vector<PoolMember>& pool = kPool) {
    for (const auto& [batch_size, want] : expected) {
      const Plan got = plan(scheduler, batch_size, pool);
      EXPECT_EQ(got.chain, want.chain) << "batch size " << batch_size;
      EXPECT_EQ(got.draft_lengths, want.draft_lengths) << "batch size " << batch_size;
    }
  }

  // The ConfigError message `attempt` throws, or "" (with a test failure) when it does not throw.
  template <class Attempt>
  static std::string config_error(Attempt attempt) {
    try {
      attempt();
    } catch (const specrouter::ConfigError& error) {
      EXPECT_THAT(error.what(), HasSubstr("scheduler 'draft_length_table'"));
      return error.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }

  specrouter::Registries registries_;
};

const Expected kTargetOnly{{2}, {}};

TEST_F(DraftLengthTableTest, DefaultTableDraftsWithTheCheapestModelAndStopsAtBatchNine) {
  // batch_sizes [1, 3, 9], draft_lengths [4, 2, 0]: 4 for batches 1-2, 2 for 3-8, none from 9.
  auto scheduler = make();
  expect_plans(*scheduler, {{1, {{0, 2}, {4}}},
                            {2, {{0, 2}, {4}}},
                            {3, {{0, 2}, {2}}},
                            {8, {{0, 2}, {2}}},
                            {9, kTargetOnly},
                            {1000, kTargetOnly}});
}

TEST_F(DraftLengthTableTest, EachEntryLastsUntilTheNextAndTheLastForever) {
  auto scheduler = make_table({1, 5, 9, 33}, {4, 2, 1, 0});
  expect_plans(*scheduler, {{1, {{0, 2}, {4}}},
                            {4, {{0, 2}, {4}}},
                            {5, {{0, 2}, {2}}},
                            {8, {{0, 2}, {2}}},
                            {9, {{0, 2}, {1}}},
                            {32, {{0, 2}, {1}}},
                            {33, kTargetOnly},
                            {4096, kTargetOnly}});
  // A table that never reaches 0 drafts at every batch size.
  auto always = make_table({1, 16}, {3, 1});
  expect_plans(*always, {{15, {{0, 2}, {3}}}, {16, {{0, 2}, {1}}}, {1 << 20, {{0, 2}, {1}}}});
  // One entry: the static scheduler's plan at every batch size.
  expect_plans(*make_table({1}, {5}), {{1, {{0, 2}, {5}}}, {64, {{0, 2}, {5}}}});
  // Draft length 0 from batch size 1: target-only decoding throughout.
  expect_plans(*make_table({1}, {0}), {{1, kTargetOnly}, {7, kTargetOnly}});
}

TEST_F(DraftLengthTableTest, ChainIsResolvedAgainstThePool) {
  auto mid = make({{"chain", Names{"medium", "target"}}});
  expect_plans(*mid, {{1, {{1, 2}, {4}}}, {9, kTargetOnly}});
  // Re-resolved for another pool: the default chain is that pool's cheapest model.
  auto scheduler = make();
  EXPECT_EQ(plan(*scheduler, 1, pool_of({"a", "b"})).chain, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan(*scheduler, 1, kPool).chain, (std::vector<int>{0, 2}));
}

TEST_F(DraftLengthTableTest, UpperLevelsKeepTheirFixedDraftLengths) {
  auto scheduler = make({{"chain", Names{"small", "medium", "target"}}, {"upper_draft_lengths", Ints{5}}});
  expect_plans(*scheduler, {{1, {{0, 1, 2}, {4, 5}}}, {3, {{0, 1, 2}, {2, 5}}}, {9, kTargetOnly}});
}

TEST_F(DraftLengthTableTest, VllmDynamicConfigComposesToItsTable) {
  // configs/scheduler/vllm_dynamic.yaml: vLLM's [(1, 2, 4), (3, 8, 2), (9, ..., 0)].
  auto scheduler = make_from_method("vllm_dynamic");
  expect_plans(*scheduler,
               {{1, {{0, 2}, {4}}}, {2, {{0, 2}, {4}}}, {3, {{0, 2}, {2}}}, {8, {{0, 2}, {2}}}, {9, kTargetOnly},
                {256, kTargetOnly}},
               kZoo);
}

TEST_F(DraftLengthTableTest, TrtllmScheduleConfigComposesToItsTable) {
  // configs/scheduler/trtllm_schedule.yaml: TensorRT-LLM's {4: 4, 8: 2, 32: 1}, 0 above 32.
  auto scheduler = make_from_method("trtllm_schedule");
  expect_plans(*scheduler,
               {{1, {{0, 2}, {4}}},
                {4, {{0, 2}, {4}}},
                {5, {{0, 2}, {2}}},
                {8, {{0, 2}, {2}}},
                {9, {{0, 2}, {1}}},
                {32, {{0, 2}, {1}}},
                {33, kTargetOnly}},
               kZoo);
}

TEST_F(DraftLengthTableTest, TableMustStartAtBatchSizeOne) {
  EXPECT_THAT(config_error([&] { make_table({2, 8}, {4, 0}); }), HasSubstr("batch_sizes[0] is 2, must be 1"));
  EXPECT_THAT(config_error([&] { make_table({0, 8}, {4, 0}); }), HasSubstr("batch_sizes[0] is 0"));
  EXPECT_THAT(config_error([&] { make_table({}, {}); }), HasSubstr("batch_sizes is empty"));
}

TEST_F(DraftLengthTableTest, TableMustBeSortedEachBatchSizeOnce) {
  EXPECT_THAT(config_error([&] { make_table({1, 8, 4}, {4, 2, 0}); }),
              HasSubstr("batch_sizes[2] is 4, must exceed batch_sizes[1] (8)"));
  EXPECT_THAT(config_error([&] { make_table({1, 4, 4}, {4, 2, 0}); }), HasSubstr("batch_sizes[2] is 4"));
}

TEST_F(DraftLengthTableTest, DraftLengthsAreOnePerEntryAndNonNegative) {
  EXPECT_THAT(config_error([&] { make_table({1, 4}, {4}); }),
              HasSubstr("batch_sizes has 2 entries and draft_lengths 1"));
  EXPECT_THAT(config_error([&] { make_table({1, 4}, {4, -1}); }), HasSubstr("draft_lengths[1] is -1"));
}

TEST_F(DraftLengthTableTest, ChainNeedsADraftingModelAndUpperLengthsPerLevel) {
  EXPECT_THAT(config_error([&] { make({{"chain", Names{"target"}}}); }), HasSubstr("chain has one model"));
  EXPECT_THAT(config_error([&] { make({{"upper_draft_lengths", Ints{3}}}); }),
              HasSubstr("upper_draft_lengths has 1 entries, the chain needs 0"));
  EXPECT_THAT(config_error([&] { make({{"chain", Names{"small", "medium", "target"}}}); }),
              HasSubstr("upper_draft_lengths has 0 entries, the chain needs 1"));
  EXPECT_THAT(config_error([&] {
                make({{"chain", Names{"small", "medium", "target"}}, {"upper_draft_lengths", Ints{0}}});
              }),
              HasSubstr("upper_draft_lengths[0] is 0"));
}

TEST_F(DraftLengthTableTest, ChainErrorsNameTheModelAndThePool) {
  auto unknown = make({{"chain", Names{"smal", "target"}}});
  const std::string message = config_error([&] { plan(*unknown, 1); });
  EXPECT_THAT(message, HasSubstr("'smal'"));
  EXPECT_THAT(message, HasSubstr("small, medium, target"));
  auto not_target = make({{"chain", Names{"small", "medium"}}});
  EXPECT_THAT(config_error([&] { plan(*not_target, 1); }), HasSubstr("ends at 'medium'"));
  auto reversed = make({{"chain", Names{"medium", "small", "target"}}, {"upper_draft_lengths", Ints{2}}});
  EXPECT_THAT(config_error([&] { plan(*reversed, 1); }), HasSubstr("'small' after 'medium'"));
  auto scheduler = make();
  EXPECT_THAT(config_error([&] { plan(*scheduler, 1, pool_of({"only"})); }), HasSubstr("holds only the target 'only'"));
  EXPECT_THAT(config_error([&] { plan(*scheduler, 1, {}); }), HasSubstr("pool is empty"));
}

TEST_F(DraftLengthTableTest, BatchOfNoSequencesIsAUsageError) {
  auto scheduler = make();
  EXPECT_THROW(plan(*scheduler, 0), specrouter::UsageError);
}

}  // namespace
