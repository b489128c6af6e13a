// Resume after an interruption: a run stopped part-way and started again with the same
// settings ends with exactly the weights of an uninterrupted run (threads=1, CPU).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <sstream>

#include "specrouter/error.h"
#include "specrouter/training/trainer.h"
#include "specrouter/training/training_checkpoint.h"
#include "trainer_test_util.h"

namespace specrouter::training::test {
namespace {

const std::vector<std::string> kSettings = {"steps=30", "checkpoint_every=10", "eval_every=0"};

std::map<std::string, at::Tensor> final_weights(const TrainingResult& result) {
  return load_safetensors_tensors(result.model_dir / "model.safetensors");
}

TEST(TrainerResume, InterruptedRunEndsWithTheWeightsOfAnUninterruptedOne) {
  std::ostringstream log;
  const TrainingResult whole = train(tiny_train_config(scratch_dir("resume_whole"), kSettings), log);
  ASSERT_TRUE(whole.finished);

  const auto dir = scratch_dir("resume_interrupted");
  const TrainConfig config = tiny_train_config(dir, kSettings);
  TrainingHooks hooks;
  hooks.stop_after = [](std::int64_t step) { return step == 17; };  // between two checkpoints
  const TrainingResult first = train(config, log, hooks);
  EXPECT_FALSE(first.finished);
  EXPECT_EQ(first.steps_done, 17);
  EXPECT_FALSE(std::filesystem::exists(first.model_dir));

  const TrainingResult second = train(config, log);
  ASSERT_TRUE(second.finished);
  EXPECT_EQ(second.resumed_from, 10);
  EXPECT_EQ(second.steps_done, 30);

  const auto expected = final_weights(whole);
  const auto resumed = final_weights(second);
  ASSERT_EQ(expected.size(), resumed.size());
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(resumed.count(name)) << name;
    EXPECT_TRUE(at::equal(tensor, resumed.at(name))) << name << " differs after resuming";
  }
  // The resumed run lost the interrupted steps 11..17 and redid them: the same loss.
  EXPECT_EQ(whole.train_loss, second.train_loss);
}

TEST(TrainerResume, CheckpointOfOtherSettingsIsRefusedNamingTheKey) {
  const auto dir = scratch_dir("resume_mismatch");
  std::ostringstream log;
  TrainingHooks hooks;
  hooks.stop_after = [](std::int64_t step) { return step == 10; };
  train(tiny_train_config(dir, kSettings), log, hooks);

  std::vector<std::string> changed = kSettings;
  changed.push_back("optim.lr=0.01");
  try {
    train(tiny_train_config(dir, changed), log);
    FAIL() << "a checkpoint made with another learning rate was resumed";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("optim.lr"), std::string::npos) << error.what();
  }
  // A setting that does not change the weights may differ.
  std::vector<std::string> relogged = kSettings;
  relogged.push_back("log_every=3");
  EXPECT_TRUE(train(tiny_train_config(dir, relogged), log).finished);
}

TEST(TrainerResume, LatestNamesTheNewestCompleteCheckpointOnly) {
  const auto dir = scratch_dir("resume_layout");
  std::ostringstream log;
  TrainingHooks hooks;
  hooks.stop_after = [](std::int64_t step) { return step == 20; };
  train(tiny_train_config(dir, kSettings), log, hooks);
  const auto checkpoint = load_latest_training_checkpoint(dir);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->state.step, 20);
  std::vector<std::string> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "checkpoints")) {
    entries.push_back(entry.path().filename().string());
  }
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"latest", "step-00000020"}));
}

}  // namespace
}  // namespace specrouter::training::test
