// Tests of the static scheduler, through the registry as the harness uses it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"

// Defined by SPECROUTER_PLUGIN in static_scheduler.cpp.
void specrouter_register_static_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using Names = std::vector<std::string>;
using Ints = std::vector<std::int64_t>;

std::vector<PoolMember> pool_of(const Names& names) {
  std::vector<PoolMember> pool;
  for (const std::string& name : names) pool.push_back({name});
  return pool;
}

const std::vector<PoolMember> kPool = pool_of({"small", "medium", "target"});

class StaticSchedulerTest : public ::testing::Test {
 protected:
  StaticSchedulerTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_static_scheduler(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<Scheduler> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.schedulers.at("static").info;
    return registries_.schedulers.create(
        "static", specrouter::Params::from_specs("scheduler 'static'", info.params, overrides));
  }

  std::shared_ptr<Scheduler> make(const Names& chain, const Ints& draft_lengths) const {
    return make({{"chain", chain}, {"draft_lengths", draft_lengths}});
  }

  static Plan plan(Scheduler& scheduler, const std::vector<PoolMember>& pool) {
    return scheduler.plan({pool, 1});
  }

  // The ConfigError message `attempt` throws, or "" (with a test failure) when it does not throw.
  template <class Attempt>
  static std::string config_error(Attempt attempt) {
    try {
      attempt();
    } catch (const specrouter::ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("scheduler 'static'"), std::string::npos) << error.what();
      return error.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }

  specrouter::Registries registries_;
};

using ::testing::HasSubstr;

TEST_F(StaticSchedulerTest, DefaultIsPlainDecodingWithTheTarget) {
  auto scheduler = make();
  const Plan three = plan(*scheduler, kPool);
  EXPECT_EQ(three.chain, (std::vector<int>{2}));
  EXPECT_TRUE(three.draft_lengths.empty());
  EXPECT_EQ(plan(*scheduler, pool_of({"only"})).chain, (std::vector<int>{0}));
}

TEST_F(StaticSchedulerTest, ResolvesNamesToPoolIndices) {
  const Plan two_level = plan(*make({"small", "target"}, {4}), kPool);
  EXPECT_EQ(two_level.chain, (std::vector<int>{0, 2}));
  EXPECT_EQ(two_level.draft_lengths, (std::vector<int>{4}));

  const Plan three_level = plan(*make({"small", "medium", "target"}, {6, 3}), kPool);
  EXPECT_EQ(three_level.chain, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(three_level.draft_lengths, (std::vector<int>{6, 3}));

  const Plan target_only = plan(*make({"target"}, {}), kPool);
  EXPECT_EQ(target_only.chain, (std::vector<int>{2}));
  EXPECT_TRUE(target_only.draft_lengths.empty());
}

TEST_F(StaticSchedulerTest, SamePlanEveryStepAndReResolvedForANewPool) {
  auto scheduler = make({"small", "target"}, {3});
  EXPECT_EQ(plan(*scheduler, kPool).chain, (std::vector<int>{0, 2}));
  EXPECT_EQ(plan(*scheduler, kPool).chain, (std::vector<int>{0, 2}));
  EXPECT_EQ(plan(*scheduler, pool_of({"tiny", "small", "target"})).chain, (std::vector<int>{1, 2}));
  EXPECT_EQ(plan(*scheduler, pool_of({"small", "target"})).chain, (std::vector<int>{0, 1}));
  // A pool the chain does not fit is refused, and the scheduler still serves the others.
  EXPECT_THAT(config_error([&] { plan(*scheduler, pool_of({"small", "big"})); }), HasSubstr("'target'"));
  EXPECT_EQ(plan(*scheduler, kPool).chain, (std::vector<int>{0, 2}));
}

TEST_F(StaticSchedulerTest, UnknownModelIsRefusedListingThePool) {
  auto scheduler = make({"smal", "target"}, {4});
  const std::string message = config_error([&] { plan(*scheduler, kPool); });
  EXPECT_THAT(message, HasSubstr("'smal'"));
  EXPECT_THAT(message, HasSubstr("small, medium, target"));
}

TEST_F(StaticSchedulerTest, ChainMustEndAtTheTarget) {
  auto scheduler = make({"small", "medium"}, {4});
  const std::string message = config_error([&] { plan(*scheduler, kPool); });
  EXPECT_THAT(message, HasSubstr("ends at 'medium'"));
  EXPECT_THAT(message, HasSubstr("target 'target'"));
}

TEST_F(StaticSchedulerTest, ChainMustFollowPoolOrderOnce) {
  auto reversed = make({"medium", "small", "target"}, {4, 2});
  EXPECT_THAT(config_error([&] { plan(*reversed, kPool); }), HasSubstr("'small' after 'medium'"));
  auto repeated = make({"small", "small", "target"}, {4, 2});
  EXPECT_THAT(config_error([&] { plan(*repeated, kPool); }), HasSubstr("'small' after 'small'"));
  auto past_target = make({"target", "target"}, {4});
  EXPECT_THAT(config_error([&] { plan(*past_target, kPool); }), HasSubstr("pool order"));
}

TEST_F(StaticSchedulerTest, NeedsOneDraftLengthPerLevelBelowTheTarget) {
  EXPECT_THAT(config_error([&] { make({"small", "target"}, {}); }), HasSubstr("needs 1"));
  EXPECT_THAT(config_error([&] { make({"small", "target"}, {4, 4}); }), HasSubstr("has 2 entries"));
  EXPECT_THAT(config_error([&] { make({}, {4}); }), HasSubstr("needs 0"));
  EXPECT_THAT(config_error([&] { make({"small", "medium", "target"}, {4}); }), HasSubstr("draft_lengths"));
}

TEST_F(StaticSchedulerTest, DraftLengthsMustBePositive) {
  EXPECT_THAT(config_error([&] { make({"small", "target"}, {0}); }), HasSubstr("draft_lengths[0] is 0"));
  EXPECT_THAT(config_error([&] { make({"small", "medium", "target"}, {2, -1}); }),
              HasSubstr("draft_lengths[1] is -1"));
}

TEST_F(StaticSchedulerTest, EmptyPoolIsRefused) {
  auto scheduler = make();
  EXPECT_THAT(config_error([&] { plan(*scheduler, {}); }), HasSubstr("pool is empty"));
}

}  // namespace
