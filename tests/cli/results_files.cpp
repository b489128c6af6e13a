// Writing sample results files for the leaderboard and plot tests.
#include "results_files.h"

#include <hdf5.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "specrouter/results/results_writer.h"

namespace specrouter::testing {
namespace fs = std::filesystem;

void write_sample_run(const fs::path& folder, const SampleRun& run) {
  fs::create_directories(folder);
  RunMetadata metadata;
  metadata.config_yaml = "method: " + run.method + "\n";
  metadata.git_commit = "test";
  ResultsWriter writer(folder / "results.h5", metadata);
  double time = 0;
  std::int64_t step = 0;
  std::string plans_text;
  for (const auto& [plan, steps] : run.plans) {
    plans_text += (plans_text.empty() ? "" : "; ") + plan + " " + std::to_string(steps);
    for (std::int64_t i = 0; i < steps; ++i, ++step, time += 0.1) {
      StepRecord record;
      record.time_seconds = time;
      record.duration_seconds = 0.1;
      record.batch_size = 1;
      record.plan = plan;
      record.committed_tokens = 2;
      for (const auto& [model, rate] : run.acceptance) {
        record.levels.push_back(LevelRecord{-1, 0, model, 10, static_cast<std::int64_t>(rate * 10), 0.05});
      }
      record.levels.push_back(LevelRecord{-1, static_cast<int>(run.acceptance.size()), run.target, 0, 0, 0.05});
      const std::int64_t index = writer.add_step(record);
      writer.add_estimate(EstimateRecord{index, plan, 0.01, 0.012});
    }
  }
  Summary summary;
  summary["method"] = run.method;
  summary["workload"] = run.workload;
  summary["pool"] = run.pool;
  summary["target"] = run.target;
  summary["baseline"] = std::int64_t{run.baseline ? 1 : 0};
  if (!run.scheduler.empty()) summary["scheduler"] = run.scheduler;
  summary["tokens_per_second"] = run.tokens_per_second;
  summary["tau"] = run.tau;
  summary["seed"] = run.seed;
  summary["steps"] = step;
  for (const auto& [model, rate] : run.acceptance) summary["acceptance/" + model] = rate;
  summary["plans"] = plans_text;
  for (const EventRecord& event : run.events) writer.add_event(event);
  writer.finish(summary);
}

void set_format_version(const fs::path& file, std::int64_t version) {
  const hid_t handle = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (handle < 0) throw std::runtime_error("cannot open " + file.string());
  const hid_t attribute = H5Aopen(handle, "format_version", H5P_DEFAULT);
  const herr_t written = attribute < 0 ? -1 : H5Awrite(attribute, H5T_NATIVE_INT64, &version);
  if (attribute >= 0) H5Aclose(attribute);
  H5Fclose(handle);
  if (written < 0) throw std::runtime_error("cannot rewrite format_version of " + file.string());
}

void remove_tree(const fs::path& path) {
  std::error_code error;
  if (fs::is_directory(fs::symlink_status(path, error))) {
    std::vector<fs::path> children;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) children.push_back(entry.path());
    for (const fs::path& child : children) remove_tree(child);
  }
  fs::remove(path, error);
}

int run_shell(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace specrouter::testing
