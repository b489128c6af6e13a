// A run's steps, requests and events turned into rows of its results file.
#include "specrouter/engine/run_recorder.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "specrouter/build_info.h"
#include "specrouter/results/run_environment.h"

namespace specrouter::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// First line of a command's output, "" when it fails.
std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::array<char, 256> buffer{};
  std::string text;
  if (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) text = buffer.data();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The commit of the source tree, "-dirty" when it has uncommitted changes; "unknown"
// outside a git checkout.
std::string git_commit(const std::filesystem::path& source_dir) {
  const std::string git = "git -C '" + source_dir.string() + "' ";
  const std::string commit = command_output(git + "rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  const std::string changes = command_output(git + "status --porcelain --untracked-files=no 2>/dev/null");
  return changes.empty() ? commit : commit + "-dirty";
}

}  // namespace

RunMetadata run_metadata(const ComposedConfig& config, const std::filesystem::path& source_dir,
                         const std::string& start_time) {
  RunMetadata metadata;
  metadata.config_yaml = config.to_yaml();
  metadata.overrides = config.overrides();
  metadata.git_commit = git_commit(source_dir);
  metadata.host = host_name();
  metadata.cpu = cpu_model_name();
  metadata.library_versions = {
      {"specrouter", SPECROUTER_VERSION},
      {"libtorch", SPECROUTER_TORCH_VERSION},
      {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." + std::to_string(NLOHMANN_JSON_VERSION_MINOR) +
                            "." + std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
  };
  metadata.start_time = start_time;
  return metadata;
}

RunRecorder::RunRecorder(const std::filesystem::path& path, const RunMetadata& metadata, std::vector<std::string> names,
                         std::string drafter)
    : writer_(path, metadata), statistics_(std::move(names), std::move(drafter)) {}

void RunRecorder::record(const StepOutcome& step) {
  const StepResult& result = *step.result;
  const std::size_t levels = step.executor_plan.chain.size();
  const std::vector<std::string>& names = statistics_.names();
  const std::string& drafter = statistics_.drafter();
  const std::string plan = plan_text(step.executor_plan, names, drafter);
  StepRecord record;
  record.time_seconds = step.start_seconds;
  record.duration_seconds = step.seconds;
  record.batch_size = step.batch_size;
  record.plan = plan;
  record.committed_tokens = step.committed_tokens;

  // What each model proposed upward: a level's stats count the tokens the level below it
  // (or the bottom drafter, below the first) proposed to it.
  std::vector<std::int64_t> drafted(levels, 0), accepted(levels, 0);
  std::int64_t drafter_drafted = 0, drafter_accepted = 0;
  const auto position_of = [&](int pool_index) -> int {
    const auto found = std::find(step.executor_plan.chain.begin(), step.executor_plan.chain.end(), pool_index);
    return found == step.executor_plan.chain.end() ? -1 : static_cast<int>(found - step.executor_plan.chain.begin());
  };
  for (const SequenceStepResult& sequence : result.sequences) {
    for (std::size_t i = 0; i < sequence.levels.size(); ++i) {
      const LevelStats& level = sequence.levels[i];
      if (i == 0) {
        drafter_drafted += level.drafted;
        drafter_accepted += level.accepted;
        continue;
      }
      const int below = position_of(sequence.levels[i - 1].pool_index);
      if (below < 0) continue;
      drafted[static_cast<std::size_t>(below)] += level.drafted;
      accepted[static_cast<std::size_t>(below)] += level.accepted;
    }
  }
  std::vector<double> level_seconds(levels, 0.0);
  double drafter_seconds = 0;
  for (const ModelCall& call : result.calls) {
    const int position = call.pool_index == kDrafterCall ? -1 : position_of(call.pool_index);
    if (position >= 0) level_seconds[static_cast<std::size_t>(position)] += call.seconds;
    if (call.pool_index == kDrafterCall) drafter_seconds += call.seconds;
    const std::int64_t sequences = std::max(call.sequences, 1);
    record.model_calls.push_back({position, call.pool_index == kDrafterCall ? drafter : names.at(static_cast<std::size_t>(call.pool_index)),
                                  call.sequences, call.tokens / sequences,
                                  static_cast<double>(call.context_positions) / static_cast<double>(sequences),
                                  call.seconds});
  }
  if (!drafter.empty() && (drafter_drafted > 0 || drafter_seconds > 0)) {
    record.levels.push_back({-1, -1, drafter, drafter_drafted, drafter_accepted, drafter_seconds});
  }
  for (std::size_t p = 0; p < levels; ++p) {
    const std::string& model = names.at(static_cast<std::size_t>(step.executor_plan.chain[p]));
    record.levels.push_back({-1, static_cast<int>(p), model, drafted[p], accepted[p], level_seconds[p]});
  }
  const std::int64_t index = writer_.add_step(record);

  const double tokens_per_sequence =
      static_cast<double>(step.committed_tokens) / static_cast<double>(std::max(step.batch_size, 1));
  writer_.add_estimate({index, plan, step.predicted_seconds_per_token,
                        tokens_per_sequence > 0 ? step.seconds / tokens_per_sequence : kNaN});

  statistics_.add_step(step);
}

void RunRecorder::record(const ServedRequest& request) {
  RequestRecord record;
  record.id = request.id;
  record.request_class = request.request_class;
  record.prompt_tokens = request.prompt_tokens;
  record.output_tokens = static_cast<std::int64_t>(request.tokens.size());
  record.arrival_seconds = request.arrival_seconds;
  record.first_token_seconds = request.first_token_seconds - request.arrival_seconds;  // NaN stays NaN
  record.latency_seconds = request.finish_seconds - request.arrival_seconds;
  record.tokens_per_second =
      record.latency_seconds > 0 ? static_cast<double>(record.output_tokens) / record.latency_seconds : kNaN;
  record.tau = request.steps > 0 ? static_cast<double>(record.output_tokens) / static_cast<double>(request.steps) : kNaN;
  record.steps = request.steps;
  record.finish_reason = request.finish_reason;
  writer_.add_request(record);
  writer_.add_output_tokens({request.id, std::vector<std::int64_t>(request.tokens.begin(), request.tokens.end())});
  statistics_.add_request(request);
}

void RunRecorder::record(const FiredEvent& event) {
  writer_.add_event({event.time_seconds, event.step, event.kind, event.description});
}

void RunRecorder::finish(const Summary& summary) {
  for (const auto& [model, totals] : statistics_.drafting()) {
    for (std::size_t k = 0; k < totals.at.size(); ++k) {
      writer_.add_draft_position({model, static_cast<std::int64_t>(k), totals.at[k].first, totals.at[k].second});
    }
  }
  writer_.finish(summary);
}

}  // namespace specrouter::engine
