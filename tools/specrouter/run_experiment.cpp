// Running an experiment: the workload's prompts through the plans the scheduler chooses
// step by step (learning from the run's measurements, or from a frozen profile), decoded
// by the step executor (the drafter below the chain, the verifier at every
// level), with timings and acceptance, into <output_dir>/summary.yaml.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>

#include "experiment.h"
#include "pool.h"
#include "scheduled_generation.h"
#include "specrouter/error.h"
#include "specrouter/decoding/speculative_generate.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/threads.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Request {
  std::string id;
  std::string request_class;
  std::string text;
};

template <class T>
T value_or(const ComposedConfig& config, const std::string& path, T fallback) {
  const YAML::Node node = config.find(path);
  if (!node.IsDefined() || node.IsNull()) return fallback;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(config.describe_key(path) + ": cannot read '" + YAML::Dump(node) + "' as the expected type");
  }
}

std::vector<Request> read_prompts(const ComposedConfig& config) {
  const YAML::Node prompts = config.at("workload.prompts");
  if (!prompts.IsSequence() || prompts.size() == 0) {
    throw ConfigError(config.describe_key("workload.prompts") + ": expected a non-empty list of {id, class, text}");
  }
  std::vector<Request> requests;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const std::string entry = "workload.prompts[" + std::to_string(i) + "]";
    for (const char* field : {"id", "class", "text"}) {
      if (!config.has(entry + "." + field)) throw ConfigError(config.describe_key(entry) + ": missing field '" + field + "'");
    }
    requests.push_back({config.at(entry + ".id").as<std::string>(), config.at(entry + ".class").as<std::string>(),
                        config.at(entry + ".text").as<std::string>()});
  }
  return requests;
}

// Writes under a temporary name and renames, so an interrupted run leaves no half file.
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error("cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
}

std::string describe_plan(const Plan& plan, const LoadedPool& pool) {
  std::string text = "[";
  for (std::size_t i = 0; i < plan.chain.size(); ++i) text += (i ? ", " : "") + pool.members.at(plan.chain[i]).name;
  return text + "]";
}


}  // namespace

void run_experiment(const ComposedConfig& config, const ExperimentComponents& components,
                    const fs::path& output_dir, std::ostream& log) {
  const int threads = set_compute_threads(value_or<int>(config, "run.threads", 0));
  const std::vector<Request> requests = read_prompts(config);
  LoadedPool pool = load_pool(config, components.kernels, log);

  GenerationOptions options;
  options.max_new_tokens = value_or<std::int64_t>(config, "workload.max_new_tokens", 32);
  options.sampling.temperature = value_or<double>(config, "workload.sampling.temperature", 0.0);
  options.sampling.top_k = value_or<std::int64_t>(config, "workload.sampling.top_k", 0);
  options.sampling.top_p = value_or<double>(config, "workload.sampling.top_p", 1.0);
  options.seed = value_or<std::uint64_t>(config, "run.seed", 0);
  options.eos_token_ids = pool.eos_token_ids;

  if (!components.scheduler) throw ConfigError("the config selects no scheduler (section `scheduler`)");
  if (!components.verifier) throw ConfigError("the config selects no verifier (section `verifier`)");
  const std::vector<PoolModel> view = pool.scheduler_view();

  std::vector<std::vector<TokenId>> prompts;
  for (const Request& request : requests) prompts.push_back(pool.tokenizer->encode(request.text, true));

  // Every pool model's KV cache lives in one state manager, sized for the whole workload
  // (drafts of up to 32 tokens beyond max_new_tokens).
  constexpr std::int64_t kDraftSlack = 32;
  StateManager state;
  std::vector<PoolMember> members =
      register_kv_caches(state, pool.members, prompts, options.max_new_tokens, kDraftSlack, components.kernels);
  std::vector<std::string> names;
  for (const PoolMember& member : members) names.push_back(member.name);
  StepExecutorOptions executor_options;
  executor_options.sampling = options.sampling;
  executor_options.drafter_length = value_or<int>(config, "speculation.drafter_length", 4);
  StepExecutor executor(ModelPool(std::move(members)), state, components.verifier, components.drafter,
                        executor_options);

  // What the scheduler plans with: learned online from this run's steps, or a profile
  // saved by an earlier run, frozen, so its decisions repeat exactly.
  const std::string profile = value_or<std::string>(config, "scheduling.profile", "");
  OnlineEstimates estimates =
      profile.empty() ? OnlineEstimates(names, adaptive_estimates_options()) : OnlineEstimates::load(profile, names);

  SpeculativeGenerationOptions generation;
  generation.max_new_tokens = options.max_new_tokens;
  generation.seed = options.seed;
  generation.eos_token_ids = options.eos_token_ids;
  const std::function<double()> wall_clock = [] {
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  };
  const ScheduledRun run = run_scheduled(executor, prompts, *components.scheduler, view, &estimates, generation, wall_clock);
  const std::vector<GenerationResult>& results = run.results;
  const double seconds = run.seconds;
  estimates.save(output_dir / "profile.json");

  // How often each plan ran, by pool names, in order of first use.
  std::vector<std::pair<std::string, std::int64_t>> plans;
  for (const ScheduledStep& step : run.steps) {
    const std::string name = describe_plan(step.plan, pool);
    auto found = std::find_if(plans.begin(), plans.end(), [&](const auto& p) { return p.first == name; });
    if (found == plans.end()) {
      plans.emplace_back(name, 1);
    } else {
      ++found->second;
    }
  }
  const std::vector<LevelTotals>& levels = run.levels;
  const std::int64_t steps = static_cast<std::int64_t>(run.steps.size());
  const std::int64_t sequence_steps = run.sequence_steps;

  YAML::Emitter out;
  std::int64_t total_new = 0;
  out << YAML::BeginMap;
  out << YAML::Key << "plans" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, count] : plans) out << YAML::Key << name << YAML::Value << count;
  out << YAML::EndMap;
  out << YAML::Key << "threads" << YAML::Value << threads;
  out << YAML::Key << "requests" << YAML::Value << YAML::BeginSeq;
  log << std::left << std::setw(14) << "request" << std::setw(12) << "class" << std::right << std::setw(8)
      << "prompt" << std::setw(8) << "new" << "  finish\n";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const GenerationResult& result = results[i];
    total_new += static_cast<std::int64_t>(result.tokens.size());
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << requests[i].id << YAML::Key << "class"
        << YAML::Value << requests[i].request_class << YAML::Key << "prompt_tokens" << YAML::Value
        << prompts[i].size() << YAML::Key << "new_tokens" << YAML::Value << result.tokens.size() << YAML::Key
        << "finish_reason" << YAML::Value << to_string(result.finish_reason) << YAML::Key << "output_tokens"
        << YAML::Value << YAML::Flow << result.tokens << YAML::Key << "output_text" << YAML::Value
        << YAML::DoubleQuoted << pool.tokenizer->decode(result.tokens, true) << YAML::EndMap;
    log << std::left << std::setw(14) << requests[i].id << std::setw(12) << requests[i].request_class << std::right
        << std::setw(8) << prompts[i].size() << std::setw(8) << result.tokens.size() << "  "
        << to_string(result.finish_reason) << "\n";
  }
  out << YAML::EndSeq;
  const double tokens_per_second = seconds > 0 ? static_cast<double>(total_new) / seconds : 0.0;
  // tau: tokens committed per sequence per step (1 for plain decoding).
  const double tau = sequence_steps > 0 ? static_cast<double>(total_new) / static_cast<double>(sequence_steps) : 0.0;
  out << YAML::Key << "summary" << YAML::Value << YAML::BeginMap << YAML::Key << "new_tokens" << YAML::Value
      << total_new << YAML::Key << "seconds" << YAML::Value << seconds << YAML::Key << "tokens_per_second"
      << YAML::Value << tokens_per_second << YAML::Key << "steps" << YAML::Value << steps << YAML::Key << "tau"
      << YAML::Value << tau << YAML::Key << "levels" << YAML::Value << YAML::BeginSeq;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].drafted == 0) continue;
    out << YAML::BeginMap << YAML::Key << "model" << YAML::Value << pool.members[i].name << YAML::Key << "drafted"
        << YAML::Value << levels[i].drafted << YAML::Key << "accepted" << YAML::Value << levels[i].accepted
        << YAML::Key << "acceptance" << YAML::Value
        << static_cast<double>(levels[i].accepted) / static_cast<double>(levels[i].drafted) << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndMap;
  write_atomically(output_dir / "summary.yaml", std::string(out.c_str()) + "\n");
  for (const auto& [name, count] : plans) log << "plan " << name << ": " << count << " steps\n";
  log << total_new << " tokens in " << std::fixed
      << std::setprecision(3) << seconds << " s (" << std::setprecision(1) << tokens_per_second
      << " tokens/s, tau " << std::setprecision(2) << tau << ", batch of " << requests.size() << ", " << threads
      << " threads)\n"
      << "wrote " << (output_dir / "summary.yaml").string() << " and profile.json (scheduling.profile=... replays it)\n";
}

}  // namespace specrouter::cli
