// Running an experiment: the workload's requests served with continuous batching, each
// step planned by the scheduler (learning from the run's measurements, or from a frozen
// profile) and decoded by the step executor (the drafter below the chain, the verifier
// at every level), with the configured events injected, into <output_dir>/results.h5.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <optional>
#include <thread>

#include "specrouter/engine/acceptance_priors.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/config_values.h"
#include "specrouter/engine/decoding_loop.h"
#include "specrouter/engine/experiment.h"
#include "specrouter/engine/pool.h"
#include "specrouter/engine/run_events.h"
#include "specrouter/engine/run_recorder.h"
#include "specrouter/engine/run_warm_up.h"
#include "specrouter/error.h"
#include "specrouter/model/threads.h"
#include "specrouter/results/run_environment.h"
#include "specrouter/engine/workload.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The prompts the KV caches must hold at once: the longest that fit, as many as a batch.
std::vector<std::vector<TokenId>> worst_case_batch(const std::vector<ServedPrompt>& prompts, std::int64_t max_context,
                                                   int max_batch_size) {
  std::vector<std::vector<TokenId>> fitting;
  for (const ServedPrompt& prompt : prompts) {
    if (static_cast<std::int64_t>(prompt.tokens.size()) <= max_context) fitting.push_back(prompt.tokens);
  }
  std::sort(fitting.begin(), fitting.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<std::vector<TokenId>> batch;
  for (std::size_t i = 0; !fitting.empty() && static_cast<int>(batch.size()) < max_batch_size; ++i) {
    batch.push_back(fitting[i % fitting.size()]);
  }
  return batch;
}

// The leaderboard's row label: run.method, else the scheduler with its fixed plan and the
// drafter ("target-only", "static [draft:3>target] +ngram", "greedy +ngram", "bandit").
std::string method_name(const ComposedConfig& config, const std::string& scheduler, const std::string& drafter,
                        const RunStatistics& statistics, bool baseline) {
  const std::string configured = config_value_or<std::string>(config, "run.method", "");
  if (!configured.empty()) return configured;
  if (baseline) return "target-only";
  std::string name = scheduler;
  if (scheduler == "static" && statistics.plan_order().size() == 1) name += " [" + statistics.plan_order().front() + "]";
  if (!drafter.empty()) name += " +" + drafter;
  return name;
}

}  // namespace

void run_experiment(const ComposedConfig& config, const ExperimentComponents& components,
                    const fs::path& output_dir, std::ostream& log) {
  const std::string start_time = utc_timestamp_now();
  const int threads = set_compute_threads(config_value_or<int>(config, "run.threads", 0));
  const fs::path source_dir = project_data_dir();  // relative workload files, git commit
  // Everything read from files is checked before any model loads.
  const Workload workload = read_workload(config, source_dir);
  std::vector<RunEvent> events = read_events(config);
  if (!components.scheduler) throw ConfigError("the config selects no scheduler (section `scheduler`)");
  if (!components.verifier) throw ConfigError("the config selects no verifier (section `verifier`)");
  const auto seed = config_value_or<std::uint64_t>(config, "run.seed", 0);
  const std::string scheduler_name = config_value_or<std::string>(config, "scheduler.plugin", "");
  const std::string drafter_name = components.drafter ? config_value_or<std::string>(config, "drafter.plugin", "drafter") : "";

  LoadedPool pool = load_pool(config, components.kernels, log);
  std::vector<ServedPrompt> prompts;
  std::int64_t longest_output = 0;
  for (const WorkloadPrompt& prompt : workload.prompts) {
    prompts.push_back({prompt.id, prompt.request_class, pool.tokenizer->encode(prompt.prompt, true), prompt.max_new_tokens});
    longest_output = std::max(longest_output, prompt.max_new_tokens);
  }

  // Every pool model's KV cache lives in one state manager, sized for the fullest batch
  // (drafts of up to 32 tokens beyond max_new_tokens).
  constexpr std::int64_t kDraftSlack = 32;
  StateManager state;
  std::vector<PoolMember> members =
      register_kv_caches(state, pool.members, worst_case_batch(prompts, pool.target().max_context(), workload.max_batch_size),
                         longest_output, kDraftSlack, components.kernels);
  // Every model can be slowed down by an event; at factor 1 the wrapper only forwards.
  std::vector<std::unique_ptr<SlowableModel>> slowable;
  std::map<std::string, SlowableModel*> by_name;
  std::vector<std::string> names;
  for (PoolMember& member : members) {
    slowable.push_back(std::make_unique<SlowableModel>(*member.model));
    member.model = slowable.back().get();
    by_name[member.name] = slowable.back().get();
    names.push_back(member.name);
  }
  EventSchedule schedule(std::move(events), by_name, [&](const std::string& request_class) {
    return std::any_of(prompts.begin(), prompts.end(), [&](const ServedPrompt& p) { return p.request_class == request_class; });
  });

  StepExecutorOptions executor_options;
  executor_options.sampling = {.temperature = workload.temperature, .top_k = workload.top_k, .top_p = workload.top_p};
  executor_options.drafter_length = config_value_or<int>(config, "speculation.drafter_length", 4);
  executor_options.collaboration = components.collaboration;
  StepExecutor executor(ModelPool(std::move(members)), state, components.verifier, components.drafter,
                        executor_options);

  // With scheduling.route_drafter, the bottom drafter is pool model 0 of the schedulers'
  // view: they choose, step by step, whether it drafts and how much.
  std::optional<DrafterRouting> routing;
  if (components.drafter && config_value_or<bool>(config, "scheduling.route_drafter", false)) {
    routing.emplace(drafter_name, executor.pool().members());
  }
  const std::span<const PoolMember> pool_view = routing ? routing->view() : executor.pool().members();
  const std::vector<std::string> estimate_names = routing ? routing->names() : names;

  // What the scheduler plans with: learned online from this run's steps, or a profile
  // saved by an earlier run, frozen, so its decisions repeat exactly. Learning starts
  // from priors: the measured agreement per pair (pool.acceptance_prior) and, with
  // scheduling.warm_up, every model's forward cost timed on a small grid of shapes before
  // the clock starts (docs/design/robust_routing.md).
  const std::string profile = config_value_or<std::string>(config, "scheduling.profile", "");
  OnlineEstimatesOptions estimate_options = adaptive_estimates_options(read_acceptance_beliefs(config, estimate_names));
  estimate_options.profiler.forgetting_factor = config_value_or<double>(config, "scheduling.cost_forgetting", 0.98);
  if (!(estimate_options.profiler.forgetting_factor > 0 && estimate_options.profiler.forgetting_factor <= 1)) {
    throw ConfigError(config.describe_key("scheduling.cost_forgetting") + ": must be in (0, 1]");
  }
  OnlineEstimates estimates = profile.empty() ? OnlineEstimates(estimate_names, estimate_options)
                                              : OnlineEstimates::load(profile, estimate_names);
  if (profile.empty() && config_value_or<bool>(config, "scheduling.warm_up", false)) {
    const int calls = warm_up(estimates.profiler(), executor, components.drafter, prompts, longest_output,
                              workload.max_batch_size, routing ? 1 : 0, routing ? 0 : -1);
    log << "warm-up: " << calls << " timed calls fitted the schedulers' cost of every model\n";
  }

  RunRecorder recorder(output_dir / "results.h5", run_metadata(config, source_dir, start_time), names, drafter_name);
  std::int64_t plain_steps = 0;  // steps that ran the target alone
  BatchingOptions options;
  options.max_batch_size = workload.max_batch_size;
  options.arrival = workload.arrival;
  options.requests = workload.requests;
  options.seed = seed;
  options.eos_token_ids = pool.eos_token_ids;
  options.request_class = [&] { return schedule.request_class(); };
  options.before_step = [&](double now, std::int64_t step) {
    for (const FiredEvent& event : schedule.advance(now, step)) {
      recorder.record(event);
      log << "event at " << std::fixed << std::setprecision(2) << event.time_seconds << " s, step " << event.step
          << ": " << event.description << "\n";
    }
  };
  options.on_step = [&](const StepOutcome& step) {
    recorder.record(step);
    plain_steps += step.executor_plan.chain.size() == 1;
  };
  options.on_request = [&](const ServedRequest& request) { recorder.record(request); };
  options.routing = routing ? &*routing : nullptr;
  const std::function<double()> clock = [] {
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  };
  const std::function<void(double)> sleep = [](double seconds) {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  };

  const double start = clock();
  const std::vector<ServedRequest> served =
      run_decoding_loop(executor, prompts, *components.scheduler, pool_view, &estimates, options, clock, sleep);
  const double seconds = clock() - start;
  estimates.save(output_dir / "profile.json");

  const RunStatistics& statistics = recorder.statistics();
  const bool baseline = scheduler_name == "static" && !components.drafter && plain_steps == statistics.steps();
  const double tokens_per_second = seconds > 0 ? static_cast<double>(statistics.new_tokens()) / seconds : 0.0;
  Summary summary = {
      {"method", method_name(config, scheduler_name, drafter_name, statistics, baseline)},
      {"workload", workload.name},
      {"pool", config_value_or<std::string>(config, "pool.name", "")},
      {"target", names.back()},
      {"baseline", std::int64_t{baseline ? 1 : 0}},
      {"scheduler", scheduler_name},
      {"drafter", drafter_name},
      {"tokens_per_second", tokens_per_second},
      {"new_tokens", statistics.new_tokens()},
      {"seconds", seconds},
      {"steps", statistics.steps()},
      {"tau", statistics.new_tokens_per_sequence_step()},
      {"requests", statistics.requests()},
      {"refused_requests", statistics.refused_requests()},
      {"max_batch_size", std::int64_t{workload.max_batch_size}},
      {"seed", static_cast<std::int64_t>(seed)},
      {"threads", std::int64_t{threads}},
      {"plans", statistics.plans()},
  };
  for (const auto& [model, proposed] : statistics.drafting()) {
    if (proposed.drafted > 0) {
      summary["acceptance/" + model] = static_cast<double>(proposed.accepted) / static_cast<double>(proposed.drafted);
    }
  }
  recorder.finish(summary);

  log << std::left << std::setw(14) << "request" << std::setw(12) << "class" << std::right << std::setw(8) << "prompt"
      << std::setw(8) << "new" << "  finish\n";
  for (const ServedRequest& request : served) {
    log << std::left << std::setw(14) << request.id << std::setw(12) << request.request_class << std::right
        << std::setw(8) << request.prompt_tokens << std::setw(8) << request.tokens.size() << "  "
        << request.finish_reason << "\n";
  }
  for (const std::string& plan : statistics.plan_order()) log << "plan " << plan << ": " << statistics.plan_steps().at(plan) << " steps\n";
  log << statistics.new_tokens() << " tokens in " << std::fixed << std::setprecision(3) << seconds << " s ("
      << std::setprecision(1) << tokens_per_second << " tokens/s, tau " << std::setprecision(2) << statistics.new_tokens_per_sequence_step()
      << ", " << statistics.requests() << " requests";
  if (statistics.refused_requests() > 0) log << ", " << statistics.refused_requests() << " refused";
  log << ", batches of up to " << workload.max_batch_size << ", " << threads << " threads)\n"
      << "wrote " << recorder.path().string() << " and profile.json (scheduling.profile=... replays it)\n";
}

}  // namespace specrouter::engine
