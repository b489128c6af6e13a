// Speculative generation as a batch of the decoding loop: every prompt a request that
// arrives at once, one plan (or a callback's) for every step.
#include "specrouter/engine/speculative_generate.h"

#include <chrono>
#include <string>

#include "specrouter/engine/decoding_loop.h"
#include "specrouter/error.h"
#include "specrouter/model/model.h"

namespace specrouter::engine {
namespace {

// The plan of every step: the fixed one, or what the caller's callback chooses.
class CallbackPlanner final : public Scheduler {
 public:
  CallbackPlanner(Plan plan, std::function<Plan(const BatchShape&)> choose)
      : plan_(std::move(plan)), choose_(std::move(choose)) {}
  Plan plan(const SchedulingContext& context) override {
    return choose_ ? choose_({context.batch_size, context.context_length}) : plan_;
  }

 private:
  Plan plan_;
  std::function<Plan(const BatchShape&)> choose_;
};

}  // namespace

std::vector<GenerationResult> speculative_generate(StepExecutor& executor,
                                                   std::span<const std::vector<TokenId>> prompts, const Plan& plan,
                                                   const SpeculativeGenerationOptions& options) {
  const PoolMember& target = executor.pool().target();
  check_plan(plan, executor.pool().size());
  std::vector<ServedPrompt> requests;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto length = static_cast<std::int64_t>(prompts[i].size());
    if (length == 0) throw UsageError("speculative_generate: prompt " + std::to_string(i) + " is empty");
    if (length > target.model->max_context()) {
      throw CapacityError("speculative_generate: prompt " + std::to_string(i) + " has " + std::to_string(length) +
                          " tokens, more than the context of " + std::to_string(target.model->max_context()) +
                          " of the target '" + target.name + "'");
    }
    requests.push_back({std::to_string(i), "", prompts[i], options.max_new_tokens});
  }
  std::vector<GenerationResult> results(prompts.size());
  if (options.max_new_tokens <= 0 || prompts.empty()) return results;

  CallbackPlanner planner(plan, options.choose_plan);
  BatchingOptions batching;
  batching.max_batch_size = static_cast<int>(prompts.size());
  batching.arrival.concurrency = static_cast<int>(prompts.size());
  batching.requests = static_cast<std::int64_t>(prompts.size());
  batching.seed = options.seed;
  batching.eos_token_ids = options.eos_token_ids;
  batching.on_step = options.on_step;
  const auto start = std::chrono::steady_clock::now();
  const auto clock = [start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const auto no_wait = [](double) {};  // every request arrives at once: the loop never waits
  for (ServedRequest& request : run_decoding_loop(executor, requests, planner, executor.pool().members(), nullptr, batching, clock, no_wait)) {
    GenerationResult& result = results[static_cast<std::size_t>(request.index)];
    result.tokens = std::move(request.tokens);
    result.finish_reason = request.reason;
  }
  return results;
}

}  // namespace specrouter::engine
