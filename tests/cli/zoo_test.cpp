// `specrouter zoo build` as a user runs it, on a two-member zoo of tiny models trained
// for a few steps on the real corpus: members train in order (the second distilled from
// the first), a rerun skips them, a changed setting is refused naming the key, and a run
// whose pool names the zoo trains it on first use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "specrouter/tokenizer/tokenizer.h"

#include "cli_test_util.h"
#include "results_files.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using specrouter::testing::read_text;
using specrouter::testing::run_cli;

class ZooTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-zoo-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    specrouter::testing::remove_tree(work_);
    fs::create_directories(work_);
    fs::copy(fs::path(SPECROUTER_SOURCE_DIR) / "configs", work_ / "configs", fs::copy_options::recursive);
    // The real corpus and tokenizer; two tiny members, a few steps each.
    std::ofstream(work_ / "configs" / "zoo" / "tiny.yaml") << R"(# @package zoo
corpus: corpus/debian
cache_dir: ${oc.env:SPECROUTER_CACHE}/zoo
train_dir: ${zoo.cache_dir}/train
train_common:
  - data.train=[${zoo.cache_dir}/corpus/train/prose.txt]
  - data.heldout=[${zoo.cache_dir}/corpus/heldout/prose.txt]
  - data.tokenizer=${zoo.cache_dir}/tokenizer
  - data.window=32
  - data.batch_size=4
  - optim.warmup_steps=2
  - threads=1
members:
  - name: big
    train: [model=tiny, steps=6]
  - name: little
    train: [model=tiny, model.hidden_size=16, steps=6, "distill.teacher=${zoo.train_dir}/big/model"]
report:
  output: report.md
  domains: [prose, code]
  window: 16
  windows: 4
  cost_context: 16
  verify_tokens: 8
  repetitions: 3
  threads: 1
)";
    std::ofstream(work_ / "configs" / "pool" / "tiny_zoo.yaml") << R"(name: tiny_zoo
dtype: float32
models:
  - name: draft
    path: ${oc.env:SPECROUTER_CACHE}/zoo/train/little/model
    zoo: zoo/tiny
  - name: target
    path: ${oc.env:SPECROUTER_CACHE}/zoo/train/big/model
    zoo: zoo/tiny
)";
  }
  void TearDown() override { specrouter::testing::remove_tree(work_); }

  std::string env() const { return "SPECROUTER_CACHE=" + (work_ / "cache").string(); }
  specrouter::testing::CliResult zoo(std::vector<std::string> extra) const {
    std::vector<std::string> all = {"zoo", "build", "--config-dir", (work_ / "configs").string(), "--config-name",
                                    "zoo/tiny"};
    all.insert(all.end(), extra.begin(), extra.end());
    return run_cli(all, env());
  }
  fs::path member(const std::string& name) const { return work_ / "cache" / "zoo" / "train" / name; }
  fs::path work_;
};

TEST_F(ZooTest, BuildTrainsMembersInOrderThenSkipsThem) {
  const auto first = zoo({});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_LT(first.output.find("zoo: training big"), first.output.find("zoo: training little"));
  for (const char* name : {"big", "little"}) {
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}) {
      EXPECT_TRUE(fs::exists(member(name) / "model" / file)) << name << "/" << file;
    }
  }
  EXPECT_THAT(first.output, HasSubstr("distilling from " + (member("big") / "model").string()));
  EXPECT_THAT(read_text(member("little") / "train_config.yaml"), HasSubstr("hidden_size: 16"));

  const auto written = fs::last_write_time(member("little") / "model" / "model.safetensors");
  const auto second = zoo({});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("zoo: big is up to date"));
  EXPECT_THAT(second.output, HasSubstr("zoo: little is up to date"));
  EXPECT_THAT(second.output, HasSubstr("corpus: " + (work_ / "cache" / "zoo" / "corpus").string() + " is up to date"));
  EXPECT_EQ(fs::last_write_time(member("little") / "model" / "model.safetensors"), written);

  // The report command measures the built zoo: little is the smaller model, listed first.
  const auto report = run_cli({"zoo", "report", "--config-dir", (work_ / "configs").string(), "--config-name",
                               "zoo/tiny", "--output", (work_ / "report.md").string()},
                              env());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const std::string markdown = read_text(work_ / "report.md");
  EXPECT_THAT(markdown, HasSubstr("decode(big) / decode(little)"));
  EXPECT_THAT(markdown, HasSubstr("Greedy agreement, code"));
  EXPECT_THAT(report.output, HasSubstr("greedy agreement little / big, prose >= 0.6"));

  // Other settings for a trained member: refused, naming the key, nothing overwritten.
  const auto changed = zoo({"zoo.members[1].train=[model=tiny,model.hidden_size=16,steps=6]"});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.output, HasSubstr("key 'distill.teacher' differs"));
  EXPECT_EQ(fs::last_write_time(member("little") / "model" / "model.safetensors"), written);
}

// The zoo's own tokenizer, trained by `specrouter corpus` on the real corpus, loads in the
// runtime and gives back every byte of every held-out domain.
TEST_F(ZooTest, TrainedTokenizerRoundTripsTheHeldOutCorpus) {
  const auto built = run_cli({"corpus", "--config-dir", (work_ / "configs").string()}, env());
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const fs::path zoo = work_ / "cache" / "zoo";
  const auto tokenizer = specrouter::load_tokenizer(zoo / "tokenizer");
  EXPECT_EQ(tokenizer->vocab_size(), 4096);
  int domains = 0;
  for (const auto& file : fs::directory_iterator(zoo / "corpus" / "heldout")) {
    const std::string text = read_text(file.path());
    ASSERT_GT(text.size(), 100000u) << file.path();
    const std::vector<specrouter::TokenId> ids = tokenizer->encode(text, true);
    EXPECT_LT(ids.size(), text.size() / 2) << "BPE merges too little: " << file.path();
    EXPECT_EQ(tokenizer->decode(ids, true), text) << file.path();
    ++domains;
  }
  EXPECT_EQ(domains, 2);
}

TEST_F(ZooTest, MalformedMemberIsRefusedBeforeAnythingTrains) {
  const auto result = zoo({"zoo.members[1].train=[model=tiny,steps=six]"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("steps"));
  EXPECT_FALSE(fs::exists(member("big") / "model")) << "the first member must not train when a later one is invalid";
}

TEST_F(ZooTest, RunTrainsThePoolsZooOnFirstUse) {
  const auto result = run_cli({"--config-dir", (work_ / "configs").string(), "pool=tiny_zoo", "method=static_draft",
                               "workload=smoke", "workload.max_new_tokens=4", "run.output_dir=" + (work_ / "out").string(),
                               "run.threads=1"},
                              env());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("is not built yet: training it now"));
  EXPECT_TRUE(fs::exists(member("little") / "model" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(work_ / "out" / "results.h5"));
}

}  // namespace
