// `specrouter speculate`: speculative decoding of prompts with a chain of checkpoints given
// on the command line (cheapest first, target last), a verifier and an optional bottom
// drafter; prints the continuations and the step statistics.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <limits>
#include <numeric>
#include <sstream>

#include "command.h"
#include "command_line.h"
#include "component_choice.h"
#include "decoding_flags.h"
#include "flag_values.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/engine/pool.h"
#include "specrouter/engine/speculation_stats.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/error.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/threads.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter speculate --model DIR [--model DIR]... (--prompt TEXT | --tokens IDS)... [options]",
    "Decodes each prompt by speculative decoding with a chain of models: the cheapest\n"
    "drafts, each next one verifies and corrects, the last (the target) commits. With\n"
    "greedy decoding the output equals `specrouter generate` with the target alone;\n"
    "sampled output follows the target's distribution. Several prompts run as one batch.\n"
    "Prints each continuation on stdout and the step statistics on stderr.",
    "Pool names: each model is named after its folder's base name (`models/llama-1b/`\n"
    "is `llama-1b`); a repeated name gets `-2`, `-3`, ... in command-line order. The pool\n"
    "is the --drafter-model folders, then the --model folders."};

struct Arguments {
  std::vector<std::string> chain;          // --model, target last
  std::vector<std::string> drafter_models;  // --drafter-model
  std::vector<int> draft_lengths;          // empty: 4 each
  ComponentChoice verifier{"verifier", "token"};
  ComponentChoice collaboration{"collaboration", "collaborative_verification"};
  ComponentChoice drafter{"drafter", ""};  // none unless --drafter
  int drafter_length = 4;
  bool print_ids = false;
  std::string stats_file;
  DecodingArguments decoding;
};

// Defines the flags of `speculate` on `app`, writing into `parsed`.
void add_flags(CLI::App& app, Arguments& parsed) {
  add_repeatable(app, "--model", [&](const std::string& dir) { parsed.chain.push_back(dir); },
                 "a checkpoint folder of the chain (repeatable): cheapest first, the last one is the target; all "
                 "must share one vocabulary")
      ->type_name("DIR")
      ->required();
  app.add_option_function<std::string>(
         "--draft-lengths", [&](const std::string& list) { parsed.draft_lengths = split_numbers<int>(list); },
         "tokens each level below the target proposes to the next per round, one per level below the target "
         "(default 4 each)")
      ->type_name("L,..")
      ->check(number_list(1, std::numeric_limits<int>::max()));
  parsed.verifier.add_flags(app, "verifier plugin at every level (default token; or tree)",
                            "a parameter of the verifier (repeatable), checked as --drafter-param", "name=value");
  parsed.collaboration.add_flags(
      app,
      "how the chain's levels draft and verify (default collaborative_verification: each level verifies the one "
      "below; vertical_cascade: lower levels only extend the draft, the target alone verifies)",
      "a parameter of the collaboration scheme (repeatable), checked as --drafter-param", "name=value");
  parsed.drafter.add_flags(app, "bottom drafter plugin below the chain's first model (ngram, ngram_lm, model, ...; "
                                "default none)",
                           "a parameter of the drafter (repeatable), e.g. max_ngram=4, or model=NAME for the model "
                           "drafter (NAME: a pool name, below)",
                           "max_ngram=4");
  app.add_option("--drafter-length", parsed.drafter_length, "tokens the drafter proposes per round (default 4)")
      ->type_name("N")
      ->check(whole_number(1, std::numeric_limits<int>::max()));
  add_repeatable(app, "--drafter-model", [&](const std::string& dir) { parsed.drafter_models.push_back(dir); },
                 "load DIR into the pool below the chain without making it a level, for a drafter that runs it "
                 "(repeatable); e.g. classic two-model drafting: --model T --drafter model --drafter-model S "
                 "--drafter-param model=S")
      ->type_name("DIR");
  app.add_flag("--ids", parsed.print_ids,
               "print token ids (`[i] tokens: 5,17,3 (max_tokens)`, as `generate` does) instead of text");
  app.add_option("--stats", parsed.stats_file,
                 "write the statistics to FILE (JSON if it ends in .json, else YAML) instead of printing them")
      ->type_name("FILE");
  parsed.decoding.add_flags(app);
}

// The rules between flags, after CLI11 has checked each flag's value.
void check(const CLI::App& app, Arguments& parsed) {
  parsed.decoding.require_prompts();
  const std::size_t below_target = parsed.chain.size() - 1;
  if (parsed.draft_lengths.empty()) parsed.draft_lengths.assign(below_target, 4);
  if (parsed.draft_lengths.size() != below_target) {
    throw UsageFault("--draft-lengths gives " + std::to_string(parsed.draft_lengths.size()) +
                     " length(s) but the chain of " + std::to_string(parsed.chain.size()) + " model(s) has " +
                     std::to_string(below_target) + " level(s) below the target");
  }
  if (parsed.drafter.name.empty() && (app.count("--drafter-length") > 0 || !parsed.drafter.params.empty())) {
    throw UsageFault("--drafter-length and --drafter-param need --drafter NAME");
  }
}

// A folder's base name, ignoring a trailing slash.
std::string base_name(const std::string& dir) {
  fs::path path = fs::path(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  const std::string name = path.filename().string();
  return name.empty() || name == "." || name == ".." ? "model" : name;
}

// The pool in order (drafter models, then the chain), each named after its folder.
std::vector<PoolSource> pool_sources(const Arguments& parsed, const ModelOptions& options) {
  std::vector<PoolSource> pool;
  const auto add = [&](const std::string& flag, const std::string& dir) {
    const std::string base = base_name(dir);
    std::string name = base;
    for (int suffix = 2; std::any_of(pool.begin(), pool.end(), [&](const PoolSource& other) { return other.name == name; });
         ++suffix) {
      name = base + "-" + std::to_string(suffix);
    }
    pool.push_back({name, dir, options, flag + " " + dir});
  };
  for (const std::string& dir : parsed.drafter_models) add("--drafter-model", dir);
  for (const std::string& dir : parsed.chain) add("--model", dir);
  return pool;
}

int run_speculate_command(std::span<const std::string> args) {
  Arguments parsed;
  CommandLine line("speculate", kHelp);
  add_flags(line.app(), parsed);
  if (const auto exit_code = line.parse(args, [&] { check(line.app(), parsed); })) return *exit_code;
  DecodingArguments& decoding = parsed.decoding;
  decoding.resolve_seed(std::cerr);

  const int threads = set_compute_threads(decoding.threads);
  Registries registries;
  load_plugins(registries, decoding.plugin_paths, std::cerr);
  const std::shared_ptr<Verifier> verifier = parsed.verifier.create(registries.verifiers);
  const std::shared_ptr<Collaboration> collaboration = parsed.collaboration.create(registries.collaborations);
  const std::shared_ptr<Drafter> drafter =
      parsed.drafter.name.empty() ? nullptr : parsed.drafter.create(registries.drafters);
  const ModelKernels kernels =
      make_model_kernels(registries, decoding.kernels, [](const std::string& op) { return "--kernel " + op; });
  kernels.apply(decoding.model_options);

  std::ostringstream load_log;  // speculate prints only results and statistics
  LoadedPool pool = load_pool_folders(pool_sources(parsed, decoding.model_options), load_log);
  std::unique_ptr<Tokenizer> tokenizer;
  if (decoding.has_text_prompts() || !parsed.print_ids || !decoding.tokenizer.empty()) {
    tokenizer = load_tokenizer(decoding.tokenizer.empty() ? pool.target_folder : fs::path(decoding.tokenizer));
  }
  const TransformerModel& target = pool.target();
  const std::vector<std::vector<TokenId>> prompts = decoding.encode_prompts(tokenizer.get());

  // Speculative K/V beyond the committed tokens: at most every level's draft plus the
  // drafter's, and a step may commit up to the target's draft length past max_new_tokens.
  const int drafter_length = drafter ? parsed.drafter_length : 0;
  const std::int64_t draft_slack =
      std::accumulate(parsed.draft_lengths.begin(), parsed.draft_lengths.end(), 0) * 2 + drafter_length + 2;
  StateManager state;
  std::vector<PoolMember> members =
      register_kv_caches(state, pool.members, prompts, decoding.generation.max_new_tokens, draft_slack, kernels);
  StepExecutorOptions executor_options;
  executor_options.sampling = decoding.generation.sampling;
  executor_options.drafter_length = parsed.drafter_length;
  executor_options.collaboration = collaboration;
  StepExecutor executor(ModelPool(std::move(members)), state, verifier, drafter, executor_options);

  Plan plan;
  const int chain_start = static_cast<int>(parsed.drafter_models.size());
  for (int i = chain_start; i < static_cast<int>(pool.members.size()); ++i) plan.chain.push_back(i);
  plan.draft_lengths = parsed.draft_lengths;

  SpeculationSetup setup;
  for (const PoolMember& member : pool.members) setup.pool_names.push_back(member.name);
  setup.plan = plan;
  setup.verifier = parsed.verifier.name;
  setup.drafter = parsed.drafter.name;
  setup.drafter_length = drafter_length;
  setup.sampling = decoding.generation.sampling;
  setup.seed = decoding.generation.seed;
  setup.threads = threads;
  setup.batch = prompts.size();

  SpeculativeGenerationOptions generation;
  generation.max_new_tokens = decoding.generation.max_new_tokens;
  generation.seed = decoding.generation.seed;
  if (!decoding.ignore_eos) generation.eos_token_ids = target.config().eos_token_ids;
  SpeculationStats stats(setup);
  generation.on_step = [&](const StepOutcome& step) { stats.add_step(step); };

  const auto start = std::chrono::steady_clock::now();
  const std::vector<GenerationResult> results = speculative_generate(executor, prompts, plan, generation);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::int64_t new_tokens = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const GenerationResult& result = results[i];
    new_tokens += static_cast<std::int64_t>(result.tokens.size());
    if (parsed.print_ids) {
      std::cout << "[" << i << "] tokens: " << join_ids(result.tokens) << " (" << to_string(result.finish_reason)
                << ")\n";
    } else {
      std::cout << tokenizer->decode(result.tokens, /*skip_special_tokens=*/true) << "\n";
    }
  }
  std::cout.flush();
  stats.finish(seconds, new_tokens);
  if (parsed.stats_file.empty()) {
    stats.print(std::cerr);
  } else {
    stats.write_file(parsed.stats_file);
    std::cerr << "speculated " << new_tokens << " tokens for " << results.size() << " prompt(s) in " << seconds
              << " s, tau " << stats.tau() << "; statistics in " << parsed.stats_file << "\n";
  }
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"speculate", "speculative decoding with a chain of checkpoints (cheapest first, target last)",
     &run_speculate_command}};

}  // namespace
}  // namespace specrouter::cli
