#pragma once
/// @file
/// @brief The decoding loop, the one loop of the engine: requests arrive (closed loop
/// or Poisson), wait in a queue, join the batch between steps up to a maximum batch size
/// and leave it when they finish (end-of-sequence, token limit, context); the scheduler
/// plans every step from the batch's shape and the current estimates, and learns from
/// what the step did. `run`, `speculate` (speculative_generate()) and `simulate` (a
/// simulated pool is a pool) all decode through it; a single sequence is a batch of one.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/model/generate.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/engine/drafter_routing.h"
#include "specrouter/engine/workload.h"

namespace specrouter::engine {

/// A prompt of the workload, tokenized.
struct ServedPrompt {
  std::string id;                   ///< the workload's id
  std::string request_class;        ///< its class
  std::vector<TokenId> tokens;      ///< the prompt, tokenized (BOS included)
  std::int64_t max_new_tokens = 0;  ///< stop after this many generated tokens
};

/// What became of one request.
struct ServedRequest {
  std::int64_t index = 0;          ///< issue order: 0, 1, 2, ...; its sampling stream
  std::string id;                  ///< the prompt's id, "#2", "#3", ... on its later issues
  std::string request_class;       ///< its class
  std::int64_t prompt_tokens = 0;  ///< tokens in its prompt
  std::vector<TokenId> tokens;     ///< generated, cut at EOS and max_new_tokens
  double arrival_seconds = 0;      ///< run time it arrived
  double first_token_seconds = 0;  ///< run time of the step that gave its first token; NaN when none
  double finish_seconds = 0;       ///< run time it finished (or was refused)
  std::int64_t steps = 0;          ///< steps it took part in
  FinishReason reason = FinishReason::kMaxTokens;  ///< why it stopped (not meaningful when refused)
  std::string finish_reason;       ///< as results files write it: "length", "eos", "context" or "refused: ..."
  bool refused = false;            ///< never decoded (prompt too long)
};

/// How the loop serves.
struct BatchingOptions {
  int max_batch_size = 4;        ///< sequences per step at most
  ArrivalProcess arrival;        ///< closed loop or Poisson
  std::int64_t requests = 0;     ///< requests to issue; 0 = every prompt once
  std::uint64_t seed = 0;        ///< request i samples with make_sequence_rng(seed, i); Poisson gaps too
  std::vector<TokenId> eos_token_ids;  ///< a request stops after one of these
  /// Run time -> class of the next requests ("" = workload order); called before each
  /// issue. Empty: workload order throughout.
  std::function<std::string()> request_class;
  /// Called at each step boundary with the run time and the next step's index, before
  /// arrivals are admitted (events fire here).
  std::function<void(double, std::int64_t)> before_step;
  /// Called after each step, while its sequences still exist.
  std::function<void(const StepOutcome&)> on_step;
  /// Called when a request finishes or is refused.
  std::function<void(const ServedRequest&)> on_request;
  /// When set, the scheduler plans over routing->view() (the bottom drafter as pool model
  /// 0; `pool_view` must be that view) and the estimates cover it; StepOutcome::executor_plan
  /// is the executor's plan. Null: plans are the executor's.
  const DrafterRouting* routing = nullptr;
};

/// The Poisson arrival times of `count` requests at `rate` per second, seeded: the same
/// seed gives the same times on every machine (inverse-CDF sampling of mt19937_64).
std::vector<double> poisson_arrival_times(std::int64_t count, double rate, std::uint64_t seed);

/// Estimates for a run that adapts online: acceptance as the Beta `beliefs` (prior and
/// forgetting, acceptance_beliefs.h) when they are on; with beliefs off, the similarity
/// tracker's prediction with a pair never observed assumed accepted at 0.9 rather than
/// like its neighbours (the behaviour before priors, which one rejected probe can lock
/// out: docs/design/robust_routing.md).
OnlineEstimatesOptions adaptive_estimates_options(AcceptanceBeliefOptions beliefs = {});

/// Decodes `prompts` with `executor`, planning each step with `scheduler` (and
/// `estimates`, which may be null; they learn from every step unless frozen, per request
/// class when the batch has one class). `clock` gives seconds; `sleep` waits for the
/// given seconds when no request is running and the next arrives later. A prompt longer
/// than the target's context is refused (reported through on_request, not thrown).
/// Returns every request in the order they finished.
std::vector<ServedRequest> run_decoding_loop(StepExecutor& executor, std::span<const ServedPrompt> prompts, Scheduler& scheduler,
                                 std::span<const PoolMember> pool_view, OnlineEstimates* estimates,
                                 const BatchingOptions& options, const std::function<double()>& clock,
                                 const std::function<void(double)>& sleep);

}  // namespace specrouter::engine
