// Bad train configs are refused before anything is written, naming the key; and
// `specrouter train` runs end to end as a user runs it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "specrouter/error.h"
#include "trainer_test_util.h"

namespace specrouter::training::test {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string refusal(const std::vector<std::string>& overrides) {
  try {
    tiny_train_config(scratch_dir("config_refusal"), overrides);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(TrainerConfig, DefaultsWithDataAreAccepted) {
  const TrainConfig config = tiny_train_config(scratch_dir("config_ok"), {});
  EXPECT_EQ(config.name, "tiny");
  EXPECT_EQ(config.model.vocab_size, 258);  // `auto`: the byte tokenizer's size
  EXPECT_EQ(config.model.head_dim, 8);
  ASSERT_EQ(config.model.eos_token_ids.size(), 1u);
  EXPECT_EQ(config.model.eos_token_ids[0], 257);
  EXPECT_FALSE(config.distill.teacher.has_value());
}

TEST(TrainerConfig, BadValuesAreRefusedNamingTheKey) {
  EXPECT_THAT(refusal({"data.window=0"}), HasSubstr("data.window"));
  EXPECT_THAT(refusal({"data.window=4096"}), HasSubstr("data.window"));
  EXPECT_THAT(refusal({"data.batch_size=two"}), HasSubstr("data.batch_size"));
  EXPECT_THAT(refusal({"optim.lr=-1"}), HasSubstr("optim.lr"));
  EXPECT_THAT(refusal({"optim.beta2=1.0"}), HasSubstr("optim.beta2"));
  EXPECT_THAT(refusal({"optim.warmup_steps=5000"}), HasSubstr("optim.warmup_steps"));
  EXPECT_THAT(refusal({"distill.alpha=2"}), HasSubstr("distill.alpha"));
  EXPECT_THAT(refusal({"model.num_key_value_heads=3"}), HasSubstr("model.num_key_value_heads"));
  EXPECT_THAT(refusal({"model.vocab_size=100"}), HasSubstr("model.vocab_size"));
  EXPECT_THAT(refusal({"+model.head_dim=7"}), HasSubstr("model.head_dim"));
  EXPECT_THAT(refusal({"device=tpu"}), HasSubstr("device"));
  EXPECT_THAT(refusal({"dtype=float16"}), HasSubstr("dtype"));
  EXPECT_THAT(refusal({"steps=0"}), HasSubstr("steps"));
  EXPECT_THAT(refusal({"+optim.momentum=0.9"}), HasSubstr("optim.momentum"));
  EXPECT_THAT(refusal({"+model.sliding_window=16"}), HasSubstr("model.sliding_window"));
  EXPECT_THAT(refusal({"data.tokenizer=/nonexistent/tokenizer.json"}), HasSubstr("data.tokenizer"));
}

TEST(TrainerConfig, MissingDataIsRefusedNamingTheKey) {
  ComposeRequest request;
  request.config_dir = fs::path(SPECROUTER_SOURCE_DIR) / "configs" / "train";
  request.overrides = {"data.tokenizer=" + tiny_data().tokenizer.string()};
  try {
    parse_train_config(compose(request));
    FAIL() << "data.train ??? was accepted";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("data.train"));
  }
}

// Runs the CLI with stdout and stderr in files; returns the exit code.
int run_cli(const std::string& arguments, const fs::path& output) {
  const std::string command = std::string(SPECROUTER_CLI) + " train " + arguments + " > " + output.string() + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TrainerConfig, CommandTrainsAndRefusesBadValues) {
  const fs::path dir = scratch_dir("cli");
  const TinyData& data = tiny_data();
  const std::string common = "data.train=[" + data.train.string() + "] data.tokenizer=" + data.tokenizer.string() +
                             " data.window=32 data.batch_size=4 optim.warmup_steps=2 threads=1 log_every=5 ";

  EXPECT_EQ(run_cli(common + "steps=0 output_dir=" + (dir / "bad").string(), dir / "bad.log"), 1);
  EXPECT_THAT(read(dir / "bad.log"), HasSubstr("steps"));
  EXPECT_FALSE(fs::exists(dir / "bad")) << "a refused config created its output folder";

  ASSERT_EQ(run_cli(common + "steps=10 output_dir=" + (dir / "run").string(), dir / "run.log"), 0)
      << read(dir / "run.log");
  const std::string log = read(dir / "run.log");
  EXPECT_THAT(log, HasSubstr("step 5/10"));
  EXPECT_THAT(log, HasSubstr("step 10/10"));
  EXPECT_THAT(log, HasSubstr("tok/s"));
  EXPECT_TRUE(fs::is_regular_file(dir / "run" / "model" / "model.safetensors"));
  EXPECT_TRUE(fs::is_regular_file(dir / "run" / "train_config.yaml"));

  // The same command again finds the finished run's last checkpoint and changes nothing.
  ASSERT_EQ(run_cli(common + "steps=10 output_dir=" + (dir / "run").string(), dir / "again.log"), 0);
  EXPECT_THAT(read(dir / "again.log"), HasSubstr("resuming from the checkpoint at step 10"));
}

}  // namespace
}  // namespace specrouter::training::test
