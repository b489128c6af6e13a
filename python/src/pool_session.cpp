#include "pool_session.h"

#include <chrono>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "shared_registries.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/engine/speculation_stats.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/error.h"
#include "specrouter/model/forward.h"
#include "specrouter/state/state_manager.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::python {
namespace {

constexpr std::int64_t kBlockSize = 16;

}  // namespace

PoolSession::PoolSession(std::vector<engine::PoolSource> sources, const engine::KernelChoices& kernels)
    : kernels_(engine::make_model_kernels(shared_registries(), kernels,
                                          [](const std::string& op) { return "kernels['" + op + "']"; })) {
  for (engine::PoolSource& source : sources) kernels_.apply(source.options);
  std::ostringstream log;  // loading is quiet; errors carry their own message
  pool_ = engine::load_pool_folders(sources, log);
  if (std::filesystem::is_regular_file(pool_.target_folder / "tokenizer.json")) {
    pool_.tokenizer = load_tokenizer(pool_.target_folder);
    if (pool_.eos_token_ids.empty() && pool_.tokenizer->eos_id()) pool_.eos_token_ids.push_back(*pool_.tokenizer->eos_id());
  }
}

std::vector<std::string> PoolSession::names() const {
  std::vector<std::string> names;
  for (const PoolMember& member : pool_.members) names.push_back(member.name);
  return names;
}

int PoolSession::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < pool_.members.size(); ++i) {
    if (pool_.members[i].name == name) return static_cast<int>(i);
  }
  std::string known;
  for (const PoolMember& member : pool_.members) known += (known.empty() ? "" : ", ") + member.name;
  throw UsageError("no pool model named '" + name + "' (the pool: " + known + ")");
}

std::vector<GenerationResult> PoolSession::generate(const std::vector<std::vector<TokenId>>& prompts,
                                                    const GenerationOptions& options) {
  return specrouter::generate(pool_.target(), prompts, options);
}

SpeculateOutput PoolSession::speculate(const std::vector<std::vector<TokenId>>& prompts,
                                       const SpeculateRequest& request) {
  const Registries& registries = shared_registries();
  std::shared_ptr<Verifier> verifier = create_component(registries.verifiers, request.verifier, request.verifier_params);
  std::shared_ptr<Collaboration> collaboration =
      create_component(registries.collaborations, request.collaboration, request.collaboration_params);
  std::shared_ptr<Drafter> drafter;
  if (!request.drafter.empty()) drafter = create_component(registries.drafters, request.drafter, request.drafter_params);
  std::shared_ptr<Scheduler> scheduler;
  if (!request.scheduler.empty()) {
    scheduler = create_component(registries.schedulers, request.scheduler, request.scheduler_params);
  }

  Plan plan;
  if (request.chain.empty()) {
    plan.chain.resize(pool_.members.size());
    std::iota(plan.chain.begin(), plan.chain.end(), 0);
  } else {
    for (const std::string& name : request.chain) plan.chain.push_back(index_of(name));
  }
  if (plan.chain.back() != static_cast<int>(pool_.members.size()) - 1) {
    throw UsageError("the chain must end at the target '" + pool_.members.back().name + "'");
  }
  plan.draft_lengths = request.draft_lengths;
  if (plan.draft_lengths.empty()) plan.draft_lengths.assign(plan.chain.size() - 1, 4);

  // Speculative K/V beyond the committed tokens, as `specrouter speculate` sizes it; a
  // scheduler's plans may draft more than the fixed plan, so leave room for 16 per level.
  const int drafter_length = drafter ? request.drafter_length : 0;
  const int planned = std::accumulate(plan.draft_lengths.begin(), plan.draft_lengths.end(), 0);
  const int scheduled = scheduler ? 16 * static_cast<int>(pool_.members.size()) : 0;
  const std::int64_t draft_slack = std::max(planned, scheduled) * 2 + drafter_length + 2;
  StateManager state;
  std::vector<PoolMember> members = engine::register_kv_caches(state, pool_.members, prompts,
                                                               request.generation.max_new_tokens, draft_slack, kernels_);
  StepExecutorOptions executor_options;
  executor_options.sampling = request.generation.sampling;
  executor_options.drafter_length = request.drafter_length;
  executor_options.collaboration = collaboration;
  StepExecutor executor(ModelPool(members), state, verifier, drafter, executor_options);

  engine::SpeculationSetup setup;
  setup.pool_names = names();
  setup.plan = plan;
  setup.verifier = request.verifier;
  setup.drafter = request.drafter;
  setup.drafter_length = drafter_length;
  setup.sampling = request.generation.sampling;
  setup.seed = request.generation.seed;
  setup.batch = prompts.size();
  engine::SpeculationStats stats(setup);

  engine::SpeculativeGenerationOptions options;
  options.max_new_tokens = request.generation.max_new_tokens;
  options.seed = request.generation.seed;
  options.eos_token_ids = request.generation.eos_token_ids;
  options.on_step = [&](const StepOutcome& step) {
    stats.add_step(step);
    if (scheduler) scheduler->observe(step);
  };
  if (scheduler) {
    options.choose_plan = [&](const BatchShape& shape) {
      SchedulingContext context;
      context.pool = members;
      context.batch_size = shape.batch_size;
      context.context_length = shape.context_length;
      return scheduler->plan(context);
    };
  }
  const auto start = std::chrono::steady_clock::now();
  SpeculateOutput output;
  output.results = engine::speculative_generate(executor, prompts, plan, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::int64_t new_tokens = 0;
  for (const GenerationResult& result : output.results) new_tokens += static_cast<std::int64_t>(result.tokens.size());
  stats.finish(seconds, new_tokens);
  output.statistics_json = stats.to_json();
  return output;
}

at::Tensor PoolSession::logits(const std::string& name, const std::vector<TokenId>& tokens) {
  if (tokens.empty()) throw UsageError("logits: no tokens given");
  const PoolMember& member = pool_.members[name.empty() ? pool_.members.size() - 1 : index_of(name)];
  Model& model = *member.model;
  StateManager state;
  const std::int64_t blocks = static_cast<std::int64_t>(tokens.size()) / kBlockSize + 2;
  const KvModelId kv = model.add_kv_cache(state, member.name, KvBudget::blocks(blocks), kBlockSize, kernels_.block_copy);
  const SequenceId sequence = state.create_sequence(tokens);
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  input.logits = LogitsWanted::kAll;
  ForwardOutput output = model.forward({&input, 1}, state, kv);
  state.release(sequence);
  return output.logits;
}

}  // namespace specrouter::python
