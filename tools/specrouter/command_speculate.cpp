// `specrouter speculate`: speculative decoding of prompts with a chain of checkpoints given
// on the command line (cheapest first, target last), a verifier and an optional bottom
// drafter; prints the continuations and the step statistics.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

#include "cli_args.h"
#include "command.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/engine/pool.h"
#include "specrouter/engine/speculation_stats.h"
#include "specrouter/engine/component_flags.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/error.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/threads.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: specrouter speculate --model DIR [--model DIR]... (--prompt TEXT | --tokens IDS)... [options]\n\n"
    "Decodes each prompt by speculative decoding with a chain of models: the cheapest\n"
    "drafts, each next one verifies and corrects, the last (the target) commits. With\n"
    "greedy decoding the output equals `specrouter generate` with the target alone;\n"
    "sampled output follows the target's distribution. Several prompts run as one batch.\n"
    "Prints each continuation on stdout and the step statistics on stderr.\n\n"
    "  --model DIR           a checkpoint folder of the chain (repeatable): cheapest first,\n"
    "                        the last one is the target; all must share one vocabulary\n"
    "  --draft-lengths L,..  tokens each level below the target proposes to the next per\n"
    "                        round, one per level below the target (default 4 each)\n"
    "  --verifier NAME       verifier plugin at every level (default token; or tree)\n"
    "  --verifier-param K=V  a parameter of the verifier (repeatable), checked as --drafter-param\n"
    "  --collaboration NAME  how the chain's levels draft and verify (default\n"
    "                        collaborative_verification: each level verifies the one below;\n"
    "                        vertical_cascade: lower levels only extend the draft, the target\n"
    "                        alone verifies)\n"
    "  --drafter NAME        bottom drafter plugin below the chain's first model (ngram,\n"
    "                        ngram_lm, model, ...; default none)\n"
    "  --drafter-param K=V   a parameter of the drafter (repeatable), e.g. max_ngram=4, or\n"
    "                        model=NAME for the model drafter (NAME: a pool name, below)\n"
    "  --drafter-length N    tokens the drafter proposes per round (default 4)\n"
    "  --drafter-model DIR   load DIR into the pool below the chain without making it a\n"
    "                        level, for a drafter that runs it (repeatable); e.g. classic\n"
    "                        two-model drafting: --model T --drafter model\n"
    "                        --drafter-model S --drafter-param model=S\n"
    "  --ids                 print token ids (`[i] tokens: 5,17,3 (max_tokens)`, as\n"
    "                        `generate` does) instead of text\n"
    "  --stats FILE          write the statistics to FILE (JSON if it ends in .json, else\n"
    "                        YAML) instead of printing them\n\n"
    "Pool names: each model is named after its folder's base name (`models/llama-1b/`\n"
    "is `llama-1b`); a repeated name gets `-2`, `-3`, ... in command-line order. The pool\n"
    "is the --drafter-model folders, then the --model folders.\n\n";

void print_help(std::ostream& out) { out << kUsage << kDecodingFlagsHelp; }

struct Arguments {
  std::vector<std::string> chain;          // --model, target last
  std::vector<std::string> drafter_models;  // --drafter-model
  std::vector<int> draft_lengths;          // empty: 4 each
  std::string verifier = "token";
  std::string collaboration = "collaborative_verification";
  std::string drafter;
  std::vector<std::pair<std::string, std::string>> drafter_params;
  std::vector<std::pair<std::string, std::string>> verifier_params;
  int drafter_length = 4;
  bool drafter_length_given = false;
  bool print_ids = false;
  std::string stats_file;
  DecodingArguments decoding;
};

Arguments parse(std::span<const std::string> args) {
  Arguments parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (parsed.decoding.take_switch(flag)) continue;
    if (flag == "--ids") {
      parsed.print_ids = true;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageFault("unexpected argument '" + flag + "'");
    const std::string& value = args[++i];
    if (flag == "--model") {
      parsed.chain.push_back(value);
    } else if (flag == "--drafter-model") {
      parsed.drafter_models.push_back(value);
    } else if (flag == "--draft-lengths") {
      parsed.draft_lengths = parse_number_list<int>(flag, value);
    } else if (flag == "--verifier") {
      parsed.verifier = value;
    } else if (flag == "--collaboration") {
      parsed.collaboration = value;
    } else if (flag == "--drafter") {
      parsed.drafter = value;
    } else if (flag == "--drafter-param") {
      parsed.drafter_params.push_back(parse_key_value(flag, value, "max_ngram=4"));
    } else if (flag == "--verifier-param") {
      parsed.verifier_params.push_back(parse_key_value(flag, value, "name=value"));
    } else if (flag == "--drafter-length") {
      parsed.drafter_length = parse_number<int>(flag, value);
      parsed.drafter_length_given = true;
    } else if (flag == "--stats") {
      parsed.stats_file = value;
    } else if (!parsed.decoding.take_option(flag, value)) {
      throw UsageFault("unexpected argument '" + flag + "'");
    }
  }
  if (parsed.chain.empty()) throw UsageFault("--model is required (repeat it for a chain, target last)");
  parsed.decoding.require_prompts();
  const std::size_t below_target = parsed.chain.size() - 1;
  if (parsed.draft_lengths.empty()) parsed.draft_lengths.assign(below_target, 4);
  if (parsed.draft_lengths.size() != below_target) {
    throw UsageFault("--draft-lengths gives " + std::to_string(parsed.draft_lengths.size()) +
                     " length(s) but the chain of " + std::to_string(parsed.chain.size()) + " model(s) has " +
                     std::to_string(below_target) + " level(s) below the target");
  }
  for (int length : parsed.draft_lengths) {
    if (length < 1) throw UsageFault("--draft-lengths: every length must be >= 1, got " + std::to_string(length));
  }
  if (parsed.drafter.empty() && (parsed.drafter_length_given || !parsed.drafter_params.empty())) {
    throw UsageFault("--drafter-length and --drafter-param need --drafter NAME");
  }
  if (parsed.drafter_length < 1) {
    throw UsageFault("--drafter-length must be >= 1, got " + std::to_string(parsed.drafter_length));
  }
  return parsed;
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

template <class Interface>
const typename Registry<Interface>::Entry& find_component(const Registry<Interface>& registry, const std::string& flag,
                                                          const std::string& name) {
  try {
    return registry.at(name);
  } catch (const UnknownComponentError& e) {
    throw ConfigError(flag + ": " + e.what());
  }
}

// A component's parameters from its --<kind>-param flags, checked as a config section is.
Params component_params(const std::string& kind, const ComponentInfo& info,
                        const std::vector<std::pair<std::string, std::string>>& given) {
  return validate_component_flags({kind, info.name, "--" + kind, "--" + kind + "-param", "", given}, info);
}

int run_speculate_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    print_help(std::cout);
    return kExitSuccess;
  }
  Arguments parsed;
  try {
    parsed = parse(args);
  } catch (const UsageFault& e) {
    std::cerr << "specrouter speculate: " << e.what() << "\n";
    print_help(std::cerr);
    return kExitUsage;
  }
  DecodingArguments& decoding = parsed.decoding;

  const int threads = set_compute_threads(decoding.threads);
  Registries registries;
  load_plugins(registries, decoding.plugin_paths, std::cerr);
  const auto& verifier_entry = find_component(registries.verifiers, "--verifier", parsed.verifier);
  std::shared_ptr<Verifier> verifier = registries.verifiers.create(
      parsed.verifier, component_params("verifier", verifier_entry.info, parsed.verifier_params));
  const auto& collaboration_entry = find_component(registries.collaborations, "--collaboration", parsed.collaboration);
  std::shared_ptr<Collaboration> collaboration = registries.collaborations.create(
      parsed.collaboration, component_params("collaboration", collaboration_entry.info, {}));
  std::shared_ptr<Drafter> drafter;
  if (!parsed.drafter.empty()) {
    const auto& entry = find_component(registries.drafters, "--drafter", parsed.drafter);
    drafter = registries.drafters.create(parsed.drafter, component_params("drafter", entry.info, parsed.drafter_params));
  }
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
  setup.verifier = parsed.verifier;
  setup.drafter = parsed.drafter;
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
