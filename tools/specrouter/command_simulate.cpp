// `specrouter simulate`: schedulers against the best fixed plan on a simulated pool
// (docs/design/simulator.md). Every scheduler given runs the same workload on a fresh
// simulated pool, learning online; so does every fixed plan of the search space, and
// the fastest of those is the oracle (the best static plan in hindsight). Reports each
// scheduler's throughput, its ratio to the oracle and its regret, and for scenarios with
// events how many steps it took to move to the new best plan.

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <optional>

#include <c10/core/InferenceMode.h>
#include <yaml-cpp/yaml.h>

#include "command.h"
#include "command_line.h"
#include "flag_values.h"
#include "shared_flags.h"
#include "specrouter/engine/component_flags.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/engine/decoding_loop.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduling/plan_search.h"
#include "specrouter/simulation/simulated_model.h"

namespace specrouter::cli {
namespace {

const CommandHelp kHelp{
    "specrouter simulate --profile FILE [options]",
    "Runs a workload on a simulated pool (experiments/simulator/profiles/) with each\n"
    "scheduler, learning online from simulated time, and with every fixed plan of the\n"
    "search space; the fastest fixed plan is the oracle. Prints tokens per simulated\n"
    "second, the ratio to the oracle and the regret (extra simulated seconds for the same\n"
    "tokens) of each scheduler, and after each scenario event the steps it took to reach\n"
    "the plan the cost model calls best for the new conditions."};

struct Arguments {
  std::filesystem::path profile;
  std::vector<std::string> schedulers;
  std::map<std::string, std::map<std::string, std::string>> settings;  // scheduler -> key -> YAML text
  int prompts = 8;
  std::int64_t new_tokens = 512;
  std::string request_class;
  PlanSearchLimits limits{.max_draft_length = 6, .max_chain_length = 3};
  double prior_strength = 16;  // the learning schedulers' acceptance beliefs (robust_routing.md)
  std::string output;
  std::vector<std::filesystem::path> plugin_paths;
};

// `--set NAME.KEY=VALUE`: KEY=VALUE whose key has a scheduler's name before a dot.
void take_setting(Arguments& parsed, const std::string& setting) {
  const auto [key, text] = split_key_value(setting);
  const auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
    throw CLI::ValidationError("--set", "expects NAME.KEY=VALUE, e.g. bandit.policy=thompson, not '" + setting + "'");
  }
  parsed.settings[key.substr(0, dot)][key.substr(dot + 1)] = text;
}

void add_flags(CLI::App& app, Arguments& parsed) {
  app.add_option_function<std::string>(
         "--profile", [&](const std::string& file) { parsed.profile = file; }, "simulation profile (YAML)")
      ->type_name("FILE")
      ->required();
  add_repeatable(app, "--scheduler", [&](const std::string& name) { parsed.schedulers.push_back(name); },
                 "a scheduler plugin to compare (repeatable; default greedy, dp, bandit)")
      ->type_name("NAME");
  add_repeatable(app, "--set", [&](const std::string& setting) { take_setting(parsed, setting); },
                 "a parameter of scheduler NAME (repeatable), e.g. --set bandit.policy=thompson")
      ->type_name("NAME.KEY=VALUE")
      ->check(key_value("bandit.policy=thompson"));
  app.add_option("--prompts", parsed.prompts, "sequences decoded as one batch (default 8)")
      ->type_name("N")
      ->check(whole_number(1, std::numeric_limits<int>::max()));
  app.add_option("--new-tokens", parsed.new_tokens, "tokens per sequence (default 512)")
      ->type_name("N")
      ->check(whole_number(1));
  app.add_option("--class", parsed.request_class, "request class of every sequence (a key of the profile's classes)")
      ->type_name("NAME");
  app.add_option("--max-levels", parsed.limits.max_chain_length,
                 "pool models in a chain, oracle's search space (default 3; 0: the whole pool)")
      ->type_name("N")
      ->check(whole_number(0, std::numeric_limits<int>::max(), "0: the whole pool"));
  app.add_option("--max-draft-length", parsed.limits.max_draft_length,
                 "longest draft per level, oracle's search space (default 6)")
      ->type_name("N")
      ->check(whole_number(1, std::numeric_limits<int>::max()));
  app.add_option("--prior-strength", parsed.prior_strength,
                 "pseudo-tokens behind each pair's prior acceptance of 0.5 (default 16); 0 = no beliefs, acceptance "
                 "as first observed")
      ->type_name("S")
      ->check(real_number(0, true));
  app.add_option("--output", parsed.output, "also write the results as YAML")->type_name("FILE");
  add_plugin_path_flag(app, parsed.plugin_paths);
}

// The rules between flags, after CLI11 has checked each flag's value.
void check(Arguments& parsed) {
  if (parsed.schedulers.empty()) parsed.schedulers = {"greedy", "dp", "bandit"};
  for (const auto& [name, keys] : parsed.settings) {
    if (std::find(parsed.schedulers.begin(), parsed.schedulers.end(), name) == parsed.schedulers.end()) {
      throw UsageFault("--set names scheduler '" + name + "', which is not compared (add --scheduler " + name + ")");
    }
  }
}

// A scheduler from the registry with the command line's --set NAME.KEY=VALUE settings,
// checked as a config's `scheduler` section is.
std::shared_ptr<Scheduler> make_scheduler(const Registries& registries, const std::string& name,
                                          const std::map<std::string, std::string>& settings) {
  const auto& entry = registries.schedulers.at(name);  // UnknownComponentError lists the registered ones
  const ComponentFlags flags{"scheduler", name, "--scheduler", "--set", name + ".",
                             std::vector<std::pair<std::string, std::string>>(settings.begin(), settings.end())};
  return registries.schedulers.create(name, validate_component_flags(flags, entry.info));
}

// A scheduler that always returns one plan: how the oracle's candidates run.
class FixedPlan final : public Scheduler {
 public:
  explicit FixedPlan(Plan plan) : plan_(std::move(plan)) {}
  Plan plan(const SchedulingContext&) override { return plan_; }

 private:
  Plan plan_;
};

// What one scheduler did on the simulated pool: its steps on the simulated clock.
struct SimulatedRun {
  std::vector<StepOutcome> steps;  // in order (StepOutcome::result is not kept)
  double seconds = 0;             // first step to last

  std::int64_t tokens() const {
    std::int64_t total = 0;
    for (const StepOutcome& step : steps) total += step.committed_tokens;
    return total;
  }
  double tokens_per_second() const { return seconds > 0 ? static_cast<double>(tokens()) / seconds : 0.0; }
  // How often each plan was chosen, by plan_to_string().
  std::map<std::string, std::int64_t> plan_counts() const {
    std::map<std::string, std::int64_t> counts;
    for (const StepOutcome& step : steps) ++counts[plan_to_string(step.plan)];
    return counts;
  }
};

// The workload on a fresh simulated pool with `scheduler`, through the decoding loop: all
// prompts arrive at once and decode as one batch.
SimulatedRun simulate(const SimulationProfile& profile, const Arguments& arguments, Scheduler& scheduler,
                      const Registries& registries, bool learn) {
  SimulatedWorld world(profile);
  StateManager state;
  std::vector<std::unique_ptr<SimulatedModel>> models;
  std::vector<PoolMember> members;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < profile.models.size(); ++i) {
    models.push_back(std::make_unique<SimulatedModel>(world, static_cast<int>(i)));
    const std::string& name = profile.models[i].name;
    const std::int64_t blocks = arguments.prompts * ((arguments.new_tokens + 64 + 64) / 16 + 2);
    members.push_back({name, models.back().get(), models.back()->add_kv_cache(state, name, KvBudget::blocks(blocks), 16)});
    names.push_back(name);
  }
  const auto verifier = registries.verifiers.create(
      "token", Params::from_specs("verifier 'token'", registries.verifiers.at("token").info.params));
  StepExecutor executor(ModelPool(std::move(members)), state, verifier, nullptr,
                        {.sampling = {.temperature = 0.0}, .clock = world.clock()});
  std::vector<ServedPrompt> prompts;
  for (int p = 0; p < arguments.prompts; ++p) {
    std::vector<TokenId> prompt;
    for (int t = 0; t < 16; ++t) prompt.push_back(static_cast<TokenId>((p * 131 + t * 17 + 7) % profile.vocab_size));
    prompts.push_back({std::to_string(p), "", prompt, arguments.new_tokens});
  }
  std::optional<OnlineEstimates> estimates;
  AcceptanceBeliefOptions beliefs;
  beliefs.prior_strength = arguments.prior_strength;
  if (learn) estimates.emplace(names, adaptive_estimates_options(beliefs));
  BatchingOptions batching;
  batching.max_batch_size = arguments.prompts;
  batching.arrival.concurrency = arguments.prompts;
  SimulatedRun run;
  batching.on_step = [&](const StepOutcome& step) {
    run.steps.push_back(step);
    run.steps.back().result = nullptr;
  };
  world.set_default_class(arguments.request_class);
  c10::InferenceMode guard;
  const std::function<double()> clock = world.clock();
  const double start = clock();
  run_decoding_loop(executor, prompts, scheduler, executor.pool().members(), estimates ? &*estimates : nullptr, batching, clock,
                    [](double) {});
  run.seconds = clock() - start;
  return run;
}

// The cost model's view of the true conditions at simulated time `at`: costs with the
// slowdowns then active, acceptances 1 - |a_i - a_j| from the agreements then in force.
FrozenEstimates true_estimates_at(const SimulationProfile& profile, double at, const Arguments& arguments) {
  SimulatedWorld world(profile);
  world.advance(at);
  world.set_default_class(arguments.request_class);
  const std::size_t n = profile.models.size();
  std::vector<ForwardCost> costs;
  std::vector<std::vector<double>> acceptance(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    ForwardCost cost = profile.models[i].cost;
    const double factor = world.cost_factor(static_cast<int>(i));
    cost.fixed_seconds *= factor;
    cost.seconds_per_token *= factor;
    cost.seconds_per_context_position *= factor;
    cost.seconds_per_attended_pair *= factor;
    costs.push_back(cost);
    for (std::size_t j = 0; j < n; ++j) {
      acceptance[i][j] = 1 - std::abs(world.agreement(static_cast<int>(i), 0) - world.agreement(static_cast<int>(j), 0));
    }
  }
  return FrozenEstimates(costs, acceptance);
}

// Event times of the scenario, in order.
std::vector<double> event_times(const SimulationProfile& profile) {
  std::vector<double> times;
  for (const AgreementChange& change : profile.changes) times.push_back(change.at_seconds);
  for (const Slowdown& slowdown : profile.slowdowns) {
    times.push_back(slowdown.from_seconds);
    times.push_back(slowdown.to_seconds);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

int run_simulate_command(std::span<const std::string> args) {
  Arguments arguments;
  CommandLine line("simulate", kHelp);
  add_flags(line.app(), arguments);
  if (const auto exit_code = line.parse(args, [&] { check(arguments); })) return *exit_code;
  const SimulationProfile profile = load_simulation_profile(arguments.profile);
  if (!arguments.request_class.empty() && profile.classes.count(arguments.request_class) == 0) {
    throw ConfigError(arguments.profile.string() + ": no request class '" + arguments.request_class + "'");
  }
  Registries registries;
  load_plugins(registries, arguments.plugin_paths, std::cerr);

  // Each scheduler once before anything runs, so a bad name or parameter fails fast.
  for (const std::string& name : arguments.schedulers) make_scheduler(registries, name, arguments.settings[name]);

  // The oracle: every fixed plan, fastest first.
  std::vector<std::pair<double, Plan>> fixed;
  for (const Plan& plan : enumerate_plans(static_cast<int>(profile.models.size()), arguments.limits)) {
    FixedPlan scheduler(plan);
    fixed.emplace_back(simulate(profile, arguments, scheduler, registries, false).tokens_per_second(), plan);
  }
  std::sort(fixed.begin(), fixed.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const double oracle = fixed.front().first;
  const double target_only = std::find_if(fixed.begin(), fixed.end(), [](const auto& f) { return f.second.chain.size() == 1; })->first;

  std::cout << "profile " << profile.name << ": " << arguments.prompts << " sequences x " << arguments.new_tokens
            << " tokens, " << fixed.size() << " fixed plans\n"
            << std::fixed << std::setprecision(1) << "oracle " << plan_to_string(fixed.front().second) << ": "
            << oracle << " tokens/s; target only: " << target_only << " tokens/s\n";
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "profile" << YAML::Value << profile.name << YAML::Key << "oracle"
      << YAML::Value << YAML::BeginMap << YAML::Key << "plan" << YAML::Value << plan_to_string(fixed.front().second)
      << YAML::Key << "tokens_per_second" << YAML::Value << oracle << YAML::EndMap << YAML::Key
      << "target_only_tokens_per_second" << YAML::Value << target_only << YAML::Key << "schedulers" << YAML::Value
      << YAML::BeginSeq;

  const std::vector<double> events = event_times(profile);
  for (const std::string& name : arguments.schedulers) {
    const auto scheduler = make_scheduler(registries, name, arguments.settings[name]);
    const SimulatedRun run = simulate(profile, arguments, *scheduler, registries, true);
    const std::int64_t tokens = run.tokens();
    const double ratio = run.tokens_per_second() / oracle;
    const double regret = run.seconds - static_cast<double>(tokens) / oracle;  // extra seconds for the same tokens
    std::cout << std::left << std::setw(10) << name << std::right << std::setprecision(1) << std::setw(9)
              << run.tokens_per_second() << " tokens/s  ratio " << std::setprecision(3) << ratio << "  regret "
              << regret << " s of " << run.seconds << " s\n";
    out << YAML::BeginMap << YAML::Key << "scheduler" << YAML::Value << name << YAML::Key << "tokens_per_second"
        << YAML::Value << run.tokens_per_second() << YAML::Key << "ratio_to_oracle" << YAML::Value << ratio
        << YAML::Key << "regret_seconds" << YAML::Value << regret << YAML::Key << "seconds" << YAML::Value
        << run.seconds << YAML::Key << "plans" << YAML::Value << YAML::BeginMap;
    for (const auto& [plan, count] : run.plan_counts()) out << YAML::Key << plan << YAML::Value << count;
    out << YAML::EndMap << YAML::Key << "events" << YAML::Value << YAML::BeginSeq;
    // After each event during the run: steps until the scheduler first chose a plan the
    // cost model, under the new true conditions, predicts within 5% of the best.
    for (double at : events) {
      if (at >= run.seconds) continue;
      const FrozenEstimates truth = true_estimates_at(profile, at, arguments);
      const BatchShape shape{.batch_size = arguments.prompts, .context_length = 16.0 + arguments.new_tokens / 2.0};
      const PredictedPlan best = best_plan_dp(truth, shape, arguments.limits);
      std::int64_t after = -1, steps_until = -1;
      for (std::size_t s = 0; s < run.steps.size(); ++s) {
        if (run.steps[s].start_seconds + run.steps[s].seconds <= at) continue;
        if (after < 0) after = static_cast<std::int64_t>(s);
        if (predict_time_per_token(run.steps[s].plan, truth, shape) <= 1.05 * best.seconds_per_token) {
          steps_until = static_cast<std::int64_t>(s) - after;
          break;
        }
      }
      std::cout << "  event at " << std::setprecision(1) << at << " s: best " << plan_to_string(best.plan)
                << ", within 5% of it "
                << (steps_until < 0 ? std::string("never") : "after " + std::to_string(steps_until) + " steps") << "\n";
      out << YAML::BeginMap << YAML::Key << "at_seconds" << YAML::Value << at << YAML::Key << "best_plan"
          << YAML::Value << plan_to_string(best.plan) << YAML::Key << "steps_to_within_5_percent" << YAML::Value
          << steps_until << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  if (!arguments.output.empty()) {
    std::ofstream file(arguments.output);
    if (!(file << out.c_str() << "\n")) throw ConfigError(arguments.output + ": cannot write the results");
  }
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"simulate", "compare schedulers with the best fixed plan on a simulated pool", &run_simulate_command}};

}  // namespace
}  // namespace specrouter::cli
