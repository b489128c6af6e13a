// scripts/plot_results.py on results files the test writes: it must write every figure
// it documents as a valid, non-empty PNG. Skipped (with the reason) when the system
// Python lacks matplotlib or h5py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "cli_test_util.h"
#include "results_files.h"

namespace {
namespace fs = std::filesystem;
using specrouter::testing::SampleRun;

// True when `file` starts with the PNG signature and an IHDR chunk of nonzero size.
bool is_png(const fs::path& file, std::string& why) {
  const std::string bytes = specrouter::testing::read_text(file);
  static const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, signature.size(), signature) != 0 || bytes.compare(12, 4, "IHDR") != 0) {
    why = file.string() + " is not a PNG (" + std::to_string(bytes.size()) + " bytes)";
    return false;
  }
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(bytes[at])) << 24) | (std::uint32_t(std::uint8_t(bytes[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(bytes[at + 2])) << 8) | std::uint32_t(std::uint8_t(bytes[at + 3]));
  };
  if (be32(16) == 0 || be32(20) == 0) {
    why = file.string() + " has an empty image";
    return false;
  }
  return true;
}

TEST(PlotResultsTest, WritesEveryFigureAsAPng) {
  const std::string python = SPECROUTER_H5PY_PYTHON;
  std::string output;
  if (specrouter::testing::run_shell(specrouter::testing::shell_quote(python) + " -c 'import h5py, matplotlib'",
                                     output) != 0) {
    GTEST_SKIP() << python << " cannot import h5py and matplotlib (apt-get install python3-h5py "
                 << "python3-matplotlib): " << output;
  }
  const fs::path work = fs::temp_directory_path() / ("specrouter-plots-" + std::to_string(::getpid()));
  specrouter::testing::remove_tree(work);
  const fs::path results = work / "results";
  specrouter::testing::write_sample_run(results / "0", {"target-only", "prose", "tiny", "target", true, 100.0});
  specrouter::testing::write_sample_run(results / "1", {"target-only", "code", "tiny", "target", true, 90.0});
  SampleRun adaptive{"greedy +ngram", "prose", "tiny", "target", false, 150.0, 2.5, 0, {{"draft", 0.7}}};
  adaptive.plans = {{"draft:4>target", 6}, {"target", 2}, {"draft:2>target", 3}};
  adaptive.events = {{0.35, 3, "slowdown", "draft 3x slower"}};
  specrouter::testing::write_sample_run(results / "2", adaptive);
  adaptive.workload = "code";
  adaptive.events.clear();
  specrouter::testing::write_sample_run(results / "3", adaptive);

  const fs::path plots = work / "plots";
  const int status = specrouter::testing::run_shell(
      specrouter::testing::shell_quote(python) + " " + specrouter::testing::shell_quote(SPECROUTER_PLOT_SCRIPT) + " " +
          specrouter::testing::shell_quote(results.string()) + " " + specrouter::testing::shell_quote(plots.string()),
      output);
  ASSERT_EQ(status, 0) << output;
  // Baselines use one plan, so only the adaptive runs get a chain figure.
  for (const char* name : {"speedup.png", "acceptance.png", "chain_2.png", "chain_3.png", "estimates_0.png",
                           "estimates_2.png"}) {
    std::string why;
    EXPECT_TRUE(is_png(plots / name, why)) << why << "\n" << output;
  }
  EXPECT_FALSE(fs::exists(plots / "chain_0.png"));
  specrouter::testing::remove_tree(work);
}

}  // namespace
