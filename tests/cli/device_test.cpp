// Device placement per pool model (`pool.models[i].device`): a device this machine lacks
// is refused before anything loads, naming the model and the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "cli_test_util.h"
#include "results_files.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-device-" + std::to_string(::getpid()));
    specrouter::testing::remove_tree(work_);
  }
  void TearDown() override { specrouter::testing::remove_tree(work_); }
  specrouter::testing::CliResult run(const std::string& device) const {
    return specrouter::testing::run_cli({"--config-dir", (fs::path(SPECROUTER_SOURCE_DIR) / "configs").string(),
                                         "pool=tiny_random", "method=null", "drafter=ngram",
                                         "pool.models[0].path=" + (work_ / "checkpoint").string(),
                                         "run.output_dir=" + (work_ / "out").string(), "workload.max_new_tokens=2",
                                         "+pool.models[0].device=" + device});
  }
  fs::path work_;
};

TEST_F(DeviceTest, CudaWithoutCudaIsRefusedNamingModelAndKey) {
  const specrouter::testing::CliResult result = run("cuda:0");
  if (result.exit_code == 0) {
    GTEST_SKIP() << "CUDA is available here: the model ran on cuda:0";
  }
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("pool.models[0].device"));
  EXPECT_THAT(result.output, HasSubstr("model 'target'"));
  EXPECT_THAT(result.output, HasSubstr("'cuda:0'"));
  EXPECT_THAT(result.output, HasSubstr("CUDA is not available"));
  EXPECT_FALSE(fs::exists(work_ / "checkpoint")) << "refused only after writing the checkpoint";
}

TEST_F(DeviceTest, UnknownDeviceIsRefusedAndCpuRuns) {
  const specrouter::testing::CliResult bad = run("gpu0");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("pool.models[0].device"));
  EXPECT_THAT(bad.output, HasSubstr("'gpu0' is not a device"));
  const specrouter::testing::CliResult cpu = run("cpu");
  EXPECT_EQ(cpu.exit_code, 0) << cpu.output;
}

}  // namespace
