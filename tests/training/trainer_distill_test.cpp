// Distillation: a student trained against a teacher's distributions ends closer to the
// teacher (lower KL on held-out text) than the same student trained on the text alone
// for the same steps. The teacher learnt a skewed version of the grammar (one subject
// only), so agreeing with it is something the text alone does not teach.
#include <gtest/gtest.h>

#include <c10/core/GradMode.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "specrouter/training/losses.h"
#include "specrouter/training/trainer.h"
#include "trainer_test_util.h"

namespace specrouter::training::test {
namespace {

double kl_to(const TrainableLlama& teacher, const TrainableLlama& student) {
  c10::AutoGradMode no_grad(false);
  const at::Tensor inputs = heldout_inputs(32, 16);
  return distillation_kl(student.forward(inputs), teacher.forward(inputs), 1.0).item<double>();
}

TEST(TrainerDistill, StudentGetsCloserToItsTeacherThanPlainTraining) {
  std::ostringstream log;
  const auto teacher_dir = scratch_dir("distill_teacher");
  std::string skewed = grammar_text(600, 3);
  for (const char* other : {"a dog", "my friend", "the old man", "our teacher"}) {
    for (std::size_t at = skewed.find(other); at != std::string::npos; at = skewed.find(other)) {
      skewed.replace(at, std::string(other).size(), "the cat");
    }
  }
  std::ofstream(teacher_dir / "skewed.txt") << skewed;
  const TrainingResult teacher_run =
      train(tiny_train_config(teacher_dir, {"steps=150", "eval_every=0", "checkpoint_every=0",
                                            "model.hidden_size=64", "model.intermediate_size=128",
                                            "model.name=teacher", "data.train=[" + (teacher_dir / "skewed.txt").string() + "]"}),
            log);
  ASSERT_TRUE(teacher_run.finished) << log.str();

  const std::vector<std::string> student = {"steps=100", "eval_every=0", "checkpoint_every=0", "seed=5"};
  const TrainingResult plain = train(tiny_train_config(scratch_dir("distill_plain"), student), log);
  std::vector<std::string> distilled_settings = student;
  distilled_settings.push_back("distill.teacher=" + teacher_run.model_dir.string());
  distilled_settings.push_back("distill.alpha=0.9");
  distilled_settings.push_back("distill.temperature=1.0");
  const TrainingResult distilled = train(tiny_train_config(scratch_dir("distill_student"), distilled_settings), log);
  ASSERT_TRUE(plain.finished && distilled.finished) << log.str();

  const TrainableLlama teacher = load_trainable(teacher_run.model_dir, at::kFloat);
  const double kl_plain = kl_to(teacher, load_trainable(plain.model_dir, at::kFloat));
  const double kl_distilled = kl_to(teacher, load_trainable(distilled.model_dir, at::kFloat));
  std::cout << "KL(teacher || student) on held-out windows: plain " << kl_plain << ", distilled " << kl_distilled
            << "\n";
  EXPECT_LT(kl_distilled, kl_plain);
  // The trainer's own evaluation reports the same quantity for a distilled run.
  ASSERT_FALSE(distilled.evaluations.empty());
  EXPECT_NEAR(distilled.evaluations.back().kl_to_teacher, kl_distilled, 1e-4);
}

}  // namespace
}  // namespace specrouter::training::test
