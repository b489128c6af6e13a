// The trainer learns: on a tiny model and a small repetitive text, held-out loss falls
// well below its starting value (uniform over the byte vocabulary) within seconds.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "specrouter/training/trainer.h"
#include "trainer_test_util.h"

namespace specrouter::training::test {
namespace {

TEST(TrainerLearning, HeldOutLossFallsByMoreThanTwoNats) {
  const auto dir = scratch_dir("learning");
  const TrainConfig config = tiny_train_config(dir, {"steps=150", "eval_every=50", "checkpoint_every=0"});
  std::ostringstream log;
  const TrainingResult result = train(config, log);

  ASSERT_TRUE(result.finished) << log.str();
  ASSERT_GE(result.evaluations.size(), 2u);
  const double before = result.evaluations.front().heldout_loss;
  const double after = result.evaluations.back().heldout_loss;
  EXPECT_EQ(result.evaluations.front().step, 0);
  EXPECT_EQ(result.evaluations.back().step, 150);
  // A fresh model is close to uniform over 258 tokens (ln 258 = 5.55 nats).
  EXPECT_NEAR(before, std::log(258.0), 0.5);
  // The grammar's bytes are predictable to well under 2 nats once words are learnt.
  EXPECT_LT(after, before - 2.0) << log.str();
  EXPECT_TRUE(std::filesystem::is_regular_file(result.model_dir / "config.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(result.model_dir / "model.safetensors"));
  EXPECT_TRUE(std::filesystem::is_regular_file(result.model_dir / "generation_config.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(result.model_dir / "tokenizer.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "summary.json"));
  // Plain lines for a log that is not a terminal: the last step is always reported.
  EXPECT_NE(log.str().find("step 150/150"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find('\r'), std::string::npos);
  EXPECT_GT(result.tokens_per_second, 0.0);
}

}  // namespace
}  // namespace specrouter::training::test
