// Registries and the staging registrar: unique names, helpful lookups, atomic commits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "specrouter/plugin/registries.h"

namespace specrouter {
namespace {
using ::testing::HasSubstr;

class FixedScheduler final : public Scheduler {
 public:
  Plan plan(const SchedulingContext& context) override {
    return Plan{{static_cast<int>(context.pool.size()) - 1}, {}};
  }
};

auto make_fixed = [](const Params&) { return std::make_unique<FixedScheduler>(); };

TEST(Registry, UnknownNameSuggestsNearestAndListsAll) {
  Registries registries;
  PluginRegistrar registrar;
  registrar.add<Scheduler>({"greedy", "", {}}, make_fixed);
  registrar.add<Scheduler>({"static", "", {}}, make_fixed);
  registrar.commit(registries);
  try {
    registries.schedulers.at("statc");
    FAIL() << "expected UnknownComponentError";
  } catch (const UnknownComponentError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown scheduler 'statc'; did you mean 'static'?"));
    EXPECT_THAT(e.what(), HasSubstr("(registered: greedy, static)"));
  }
}

TEST(Registry, CommitIsAtomicOnDuplicate) {
  Registries registries;
  {
    PluginRegistrar first("libfirst.so");
    first.add<Scheduler>({"static", "", {}}, make_fixed);
    first.commit(registries);
  }
  PluginRegistrar second("libsecond.so");
  second.add<Scheduler>({"bandit", "", {}}, make_fixed);
  second.add<Scheduler>({"static", "", {}}, make_fixed);
  try {
    second.commit(registries);
    FAIL() << "expected PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("duplicate scheduler name 'static' from libsecond.so (already registered by libfirst.so)"));
  }
  EXPECT_EQ(registries.schedulers.names(), (std::vector<std::string>{"static"}));
}

TEST(Registry, SameNameInDifferentKindsIsAllowed) {
  Registries registries;
  PluginRegistrar registrar;
  registrar.add<Scheduler>({"token", "", {}}, make_fixed);
  registrar.add<Verifier>({"token", "", {}}, [](const Params&) -> std::unique_ptr<Verifier> { return nullptr; });
  registrar.commit(registries);
  EXPECT_EQ(registries.all().size(), 2u);
  EXPECT_THROW(registries.verifiers.create("token", Params()), PluginError);  // null factory result
}

TEST(Registry, RegistrarRejectsDuplicateAndReservedParameters) {
  PluginRegistrar registrar;
  EXPECT_THROW(registrar.add<Scheduler>({"x", "", {int_param("k", 1, ""), int_param("k", 2, "")}}, make_fixed),
               PluginError);
  EXPECT_THROW(registrar.add<Scheduler>({"y", "", {string_param("plugin", "", "")}}, make_fixed), PluginError);
  EXPECT_THROW(registrar.add<Scheduler>({"", "", {}}, make_fixed), PluginError);
  EXPECT_EQ(registrar.size(), 0u);
}

TEST(NearestNames, RanksByEditDistance) {
  const std::vector<std::string> names = {"draft_length", "draft_lengths", "temperature", "top_k"};
  const auto near = nearest_names("draft_lenghts", names);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near[0], "draft_lengths");
  EXPECT_TRUE(nearest_names("completely_unrelated_key", names).empty());
}

}  // namespace
}  // namespace specrouter
