// The reference collaboration scheme decodes exactly as the step executor did before
// schemes became pluggable: on fixed sampled and greedy cases (three-level chains, a
// sampling drafter, filters) every committed token and the per-level totals equal lines
// recorded from the executor of that time, whether the scheme is the executor's default
// or created from its registry entry. Any change in the order of random draws shows.
// The executor's side of the scheme contract: a scheme that commits tokens the target
// did not produce, or runs a task at a model that is not its level, is refused.
//
// (The decoding suite in tests/decoding/ runs the default scheme through every drafter,
// verifier and chain; this file does not repeat it.)

#include <gtest/gtest.h>

#include <c10/core/InferenceMode.h>

#include "reference_fingerprint.h"
#include "specrouter/error.h"

// Defined by SPECROUTER_PLUGIN in collaborative_verification_plugin.cpp.
void specrouter_register_collaborative_verification_collaboration(specrouter::PluginRegistrar& registrar);

namespace specrouter::testing {
namespace {

// Recorded with the executor at commit 57e6489 (tests/decoding's pool, float64).
const std::vector<std::string> kRecorded = {
    "sampled_S_M_T_2_3: [ 83 78 47 17 26 64 94 36 86 42 50 80 52 71 88 47 ] [ 19 65 78 76 19 29 85 45 48 74 0 40 51 77 36 32 ] [ 58 72 19 53 12 41 46 29 63 32 7 50 83 12 88 63 ] L0=0/0/37 L1=37/29/51 L2=51/31/48",
    "sampled_T: [ 84 77 11 66 58 39 26 34 16 20 60 81 49 94 75 72 ] [ 20 65 20 19 75 52 40 14 80 81 26 80 5 10 53 65 ] [ 72 25 59 22 95 95 53 10 15 19 86 45 67 72 67 86 ] L0=0/0/48",
    "sampled_drafter_M_T_3: [ 83 78 47 17 65 39 75 50 82 96 47 17 14 4 25 34 ] [ 19 65 78 76 72 92 20 46 36 1 46 40 16 25 95 36 ] [ 25 47 9 48 57 75 60 84 15 5 25 17 61 73 46 58 ] L0=33/26/45 L1=45/34/49",
    "filtered_S_T_4: [ 47 39 19 86 29 78 44 91 29 78 44 1 0 20 26 16 ] [ 28 86 22 12 83 92 63 30 23 41 16 20 52 96 48 64 ] [ 60 53 12 45 60 94 44 1 44 1 44 34 22 79 86 29 ] L0=0/0/112 L1=112/23/51",
    "greedy_drafter_M_T_4: [ 34 12 23 87 73 16 20 52 12 9 86 61 73 69 3 20 ] [ 19 5 72 16 20 65 65 65 25 63 65 65 65 65 65 65 ] [ 60 36 44 34 22 60 36 44 34 11 81 48 96 96 96 96 ] L0=81/27/88 L1=88/34/56",
};

std::shared_ptr<Collaboration> registered_scheme() {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_collaborative_verification_collaboration(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  const auto& info = registries.collaborations.at("collaborative_verification").info;
  return registries.collaborations.create(
      "collaborative_verification", Params::from_specs("collaboration 'collaborative_verification'", info.params));
}

class CollaborativeVerificationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(variant_config("llama"), {0.25, 0.1, 0.0}, at::kDouble);
  }
  static void TearDownTestSuite() { delete pool_; }
  static TestPool* pool_;
};

TestPool* CollaborativeVerificationTest::pool_ = nullptr;

TEST_F(CollaborativeVerificationTest, DecodesAsTheExecutorDidBeforeSchemesWerePluggable) {
  c10::InferenceMode guard;
  const std::vector<FingerprintCase> cases = fingerprint_cases();
  ASSERT_EQ(cases.size(), kRecorded.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(fingerprint(*pool_, cases[i], {}), kRecorded[i]) << "the executor's default scheme";
    EXPECT_EQ(fingerprint(*pool_, cases[i], {.collaboration = registered_scheme()}), kRecorded[i])
        << "the scheme from its registry entry";
  }
}

// Broken schemes, to check what the executor refuses.
class CommitsUnverifiedTokens final : public Collaboration {
 public:
  void run_step(StepOperations& step, std::span<LevelTask* const> targets) override {
    make_collaborative_verification()->run_step(step, targets);
    for (LevelTask* task : targets) task->context.push_back(0);  // a token nobody verified
  }
};

class VerifiesAtTheWrongModel final : public Collaboration {
 public:
  void run_step(StepOperations& step, std::span<LevelTask* const> targets) override {
    step.verify(0, targets, std::vector<Proposal>(targets.size()));  // targets are at the target, not model 0
  }
};

class SkipsTheTarget final : public Collaboration {
 public:
  void run_step(StepOperations&, std::span<LevelTask* const>) override {}
};

TEST_F(CollaborativeVerificationTest, TheExecutorRefusesSchemesThatBreakTheContract) {
  c10::InferenceMode guard;
  const auto refused = [&](std::shared_ptr<Collaboration> scheme, const std::string& message) {
    StepExecutor executor(*pool_->pool, pool_->state, token_verifier(), nullptr, {.collaboration = std::move(scheme)});
    const SequenceId sequence = pool_->state.create_sequence(make_tokens(4, 97, 3));
    const std::vector<SequencePlan> batch = {{sequence, plan_of({0, 1, 2}, {2, 2}), nullptr}};
    try {
      executor.step(batch);
      ADD_FAILURE() << "not refused: " << message;
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
    }
    EXPECT_TRUE(pool_->state.committed_tokens(sequence).size() == 4u) << "nothing is committed";
    pool_->state.release(std::vector<SequenceId>{sequence});
  };
  refused(std::make_shared<CommitsUnverifiedTokens>(), "only the target's verification rounds may produce them");
  refused(std::make_shared<VerifiesAtTheWrongModel>(), "which is not that model in the item's chain");
  refused(std::make_shared<SkipsTheTarget>(), "where 0 target round(s) produced 0");
}

}  // namespace
}  // namespace specrouter::testing
