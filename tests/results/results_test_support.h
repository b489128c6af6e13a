#pragma once
// Shared helpers of the results tests: scratch folders, reading files back with the
// system Python's h5py (scripts/read_results.py), and a small run to write.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "specrouter/results/records.h"

namespace specrouter::testing {

namespace fs = std::filesystem;

/// Removes `path` and everything under it. Not std::filesystem::remove_all, which in a
/// binary linking the torch wheel resolves to libtorch's broken copy (see
/// tests/checkpoint/test_support.h).
inline void remove_tree(const fs::path& path) {
  std::error_code error;
  if (fs::is_directory(fs::symlink_status(path, error))) {
    std::vector<fs::path> children;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) children.push_back(entry.path());
    for (const fs::path& child : children) remove_tree(child);
  }
  fs::remove(path, error);
}

/// A fresh folder under the system temp dir, removed with its contents at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
    path_ = fs::temp_directory_path() /
            ("specrouter_results_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + test);
    remove_tree(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { remove_tree(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Names of the files in `folder`, sorted.
inline std::vector<std::string> file_names(const fs::path& folder) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

/// Why the h5py reader cannot run, or "" when it can.
inline std::string h5py_unavailable_reason() {
  if (!fs::exists(SPECROUTER_H5PY_PYTHON)) {
    return std::string("Python interpreter ") + SPECROUTER_H5PY_PYTHON + " not found";
  }
  return "";
}

/// Runs scripts/read_results.py on `file` (with `--stats` when asked) and parses its JSON.
/// Fails the test with the script's output when it exits non-zero.
inline nlohmann::json read_back(const fs::path& file, bool stats = false) {
  const fs::path output = file.string() + ".json";
  const fs::path log = file.string() + ".log";
  const std::string command = std::string("'") + SPECROUTER_H5PY_PYTHON + "' '" + SPECROUTER_RESULTS_READER + "' " +
                              (stats ? "--stats " : "") + "'" + file.string() + "' > '" + output.string() +
                              "' 2> '" + log.string() + "'";
  const int status = std::system(command.c_str());
  if (status != 0) {
    ADD_FAILURE() << command << " exited with " << status << ":\n" << read_text(log);
    return nlohmann::json();
  }
  return nlohmann::json::parse(read_text(output));
}

/// A run's metadata with every field set, unicode included.
inline RunMetadata sample_metadata() {
  RunMetadata metadata;
  metadata.config_yaml = "pool:\n  target: llama-7b\nscheduler:\n  plugin: dp\n  note: \"café ✓\"\n";
  metadata.overrides = {"scheduler=dp", "workload.max_new_tokens=64", "+run.tag=naïve"};
  metadata.git_commit = "3da59bd0123456789abcdef0123456789abcdef0";
  metadata.host = "node-17";
  metadata.cpu = "AMD EPYC 9654 96-Core Processor";
  metadata.gpu = "NVIDIA H200";
  metadata.library_versions = {{"libtorch", "2.11.0"}, {"yaml-cpp", "0.7.0"}};
  metadata.start_time = "2025-05-12T09:11:02.123Z";
  return metadata;
}

/// Step `index` of a synthetic run: a plan of `index % 3 + 1` levels, with level and
/// model-call rows whose values all depend on `index`, so misplaced rows show.
inline StepRecord sample_step(std::int64_t index) {
  static const char* const kModels[] = {"small", "mid", "target"};
  StepRecord step;
  step.time_seconds = 0.5 * static_cast<double>(index);
  step.duration_seconds = 0.25 + 0.001 * static_cast<double>(index % 7);
  step.batch_size = 1 + index % 4;
  const int levels = static_cast<int>(index % 3) + 1;
  step.plan = levels == 1 ? "target" : levels == 2 ? "mid:3>target" : "small:4>mid:2>target";
  step.committed_tokens = 1 + index % 5;
  for (int level = 0; level < levels; ++level) {
    const bool target = level == levels - 1;
    const char* model = kModels[3 - levels + level];
    step.levels.push_back(LevelRecord{-1, level, model, target ? 0 : 4 - level, target ? 0 : (index + level) % 4,
                                      0.01 * (level + 1)});
    step.model_calls.push_back(ModelCallRecord{level, model, step.batch_size, target ? 5 : 1,
                                               100.0 + static_cast<double>(index), 0.002 * (level + 1)});
  }
  return step;
}

}  // namespace specrouter::testing
