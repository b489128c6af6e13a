// The decoding loop (continuous batching): arrivals into a queue, the queue into the
// batch between steps, finished sequences out; one scheduler plan per step.
#include "specrouter/engine/decoding_loop.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/error.h"
#include "specrouter/model/model.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/state/running_sequences.h"

namespace specrouter::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Which prompt the next request is: the workload's order, cycled; after a class switch,
// that class's prompts in order, cycled. Ids repeat with "#2", "#3", ... suffixes.
class RequestSource {
 public:
  RequestSource(std::span<const ServedPrompt> prompts, std::int64_t total)
      : prompts_(prompts), total_(total > 0 ? total : static_cast<std::int64_t>(prompts.size())) {}

  bool exhausted() const { return issued_ < 0 || issued_ >= total_; }
  std::int64_t issued() const { return issued_; }

  // The next prompt (of `request_class` when not empty) and the id it is issued under.
  std::pair<const ServedPrompt*, std::string> next(const std::string& request_class) {
    const ServedPrompt* prompt = nullptr;
    if (request_class.empty()) {
      prompt = &prompts_[static_cast<std::size_t>(in_order_++ % static_cast<std::int64_t>(prompts_.size()))];
    } else {
      std::vector<const ServedPrompt*> of_class;
      for (const ServedPrompt& p : prompts_) {
        if (p.request_class == request_class) of_class.push_back(&p);
      }
      std::int64_t& count = per_class_[request_class];
      prompt = of_class[static_cast<std::size_t>(count++ % static_cast<std::int64_t>(of_class.size()))];
    }
    ++issued_;
    const std::int64_t repeat = ++issues_of_[prompt->id];
    return {prompt, repeat == 1 ? prompt->id : prompt->id + "#" + std::to_string(repeat)};
  }

 private:
  std::span<const ServedPrompt> prompts_;
  std::int64_t total_;
  std::int64_t issued_ = 0;
  std::int64_t in_order_ = 0;
  std::map<std::string, std::int64_t> per_class_;
  std::map<std::string, std::int64_t> issues_of_;
};

struct Waiting {
  ServedRequest request;
  const ServedPrompt* prompt = nullptr;
};

struct Running {
  ServedRequest request;
  std::int64_t max_new_tokens = 0;
  SequenceId sequence = 0;
  std::mt19937_64 rng;
};

}  // namespace

OnlineEstimatesOptions adaptive_estimates_options(AcceptanceBeliefOptions beliefs) {
  OnlineEstimatesOptions options;
  options.beliefs = std::move(beliefs);
  options.similarity.neighbour_prior = false;
  options.similarity.default_acceptance = 0.9;
  return options;
}

std::vector<double> poisson_arrival_times(std::int64_t count, double rate, std::uint64_t seed) {
  // A stream of its own, apart from every request's sampling stream.
  std::mt19937_64 rng = make_sequence_rng(seed, std::numeric_limits<std::uint64_t>::max());
  std::vector<double> times;
  double now = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const double uniform = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
    now += -std::log1p(-uniform) / rate;
    times.push_back(now);
  }
  return times;
}

std::vector<ServedRequest> run_decoding_loop(StepExecutor& executor, std::span<const ServedPrompt> prompts, Scheduler& scheduler,
                                 std::span<const PoolMember> pool_view, OnlineEstimates* estimates,
                                 const BatchingOptions& options, const std::function<double()>& clock,
                                 const std::function<void(double)>& sleep) {
  StateManager& state = executor.state();
  const PoolMember& target = executor.pool().target();
  const std::int64_t max_context = target.model->max_context();
  const int target_index = executor.pool().size() - 1;
  RequestSource source(prompts, options.requests);
  const bool poisson = options.arrival.kind == ArrivalProcess::Kind::kPoisson;
  const std::vector<double> arrivals =
      poisson ? poisson_arrival_times(options.requests > 0 ? options.requests : static_cast<std::int64_t>(prompts.size()),
                                      options.arrival.rate, options.seed)
              : std::vector<double>{};

  std::vector<ServedRequest> done;
  std::deque<Waiting> queue;
  RunningSequences running_sequences(state);  // sequences still running are released however the loop ends
  std::vector<Running> running;

  const auto finish = [&](ServedRequest request) {
    if (options.on_request) options.on_request(request);
    done.push_back(std::move(request));
  };
  // A request arrives: refused at once if its prompt cannot fit, else queued.
  const auto issue = [&](double arrival) {
    const std::int64_t index = source.issued();
    auto [prompt, id] = source.next(options.request_class ? options.request_class() : std::string());
    ServedRequest request;
    request.index = index;
    request.id = id;
    request.request_class = prompt->request_class;
    request.prompt_tokens = static_cast<std::int64_t>(prompt->tokens.size());
    request.arrival_seconds = arrival;
    request.first_token_seconds = kNaN;
    if (request.prompt_tokens > max_context) {
      request.refused = true;
      request.finish_seconds = arrival;
      request.finish_reason = "refused: prompt of " + std::to_string(request.prompt_tokens) +
                              " tokens exceeds the context of " + std::to_string(max_context) + " of '" +
                              target.name + "'";
      finish(std::move(request));
      return;
    }
    queue.push_back({std::move(request), prompt});
  };

  const double start = clock();
  std::int64_t step_index = 0;
  while (true) {
    double now = clock() - start;
    if (options.before_step) options.before_step(now, step_index);
    if (poisson) {
      while (!source.exhausted() && arrivals[static_cast<std::size_t>(source.issued())] <= now) {
        issue(arrivals[static_cast<std::size_t>(source.issued())]);
      }
    } else {
      while (!source.exhausted() &&
             static_cast<int>(queue.size() + running.size()) < options.arrival.concurrency) {
        issue(now);
      }
    }
    // Joining: a new sequence starts with its prompt; every model catches up lazily.
    while (static_cast<int>(running.size()) < options.max_batch_size && !queue.empty()) {
      Waiting waiting = std::move(queue.front());
      queue.pop_front();
      const auto stream = static_cast<std::uint64_t>(waiting.request.index);
      running.push_back({std::move(waiting.request), waiting.prompt->max_new_tokens,
                         running_sequences.create_sequence(waiting.prompt->tokens),
                         make_sequence_rng(options.seed, stream)});
    }
    if (running.empty()) {
      if (source.exhausted() && queue.empty()) break;
      if (poisson && !source.exhausted()) sleep(arrivals[static_cast<std::size_t>(source.issued())] - now);
      continue;
    }

    // Plan: one plan for the batch, from its shape and (per class when it has one) the estimates.
    StepOutcome step;
    step.index = step_index;
    double committed = 0;
    for (const Running& r : running) {
      committed += static_cast<double>(state.committed_length(r.sequence));
      step.request_classes.push_back(r.request.request_class);
    }
    step.batch_size = static_cast<int>(running.size());
    step.context_length = committed / static_cast<double>(running.size());
    const BatchShape shape{step.batch_size, step.context_length};
    const std::vector<std::string>& classes = step.request_classes;
    const bool one_class =
        std::all_of(classes.begin(), classes.end(), [&](const std::string& c) { return c == classes.front(); });
    const std::string step_class = one_class ? classes.front() : std::string();
    SchedulingContext context{pool_view, step.batch_size, step.context_length};
    std::optional<FrozenEstimates> snapshot;
    if (estimates != nullptr) {
      snapshot.emplace(estimates->snapshot(step_class));
      context.estimates = &*snapshot;
    }
    step.plan = scheduler.plan(context);
    check_plan(step.plan, static_cast<int>(pool_view.size()));
    step.executor_plan = options.routing != nullptr ? options.routing->to_executor(step.plan) : step.plan;
    step.predicted_seconds_per_token = snapshot ? predict_time_per_token(step.plan, *snapshot, shape) : kNaN;

    std::vector<SequencePlan> batch;
    for (Running& r : running) batch.push_back({r.sequence, step.executor_plan, &r.rng});
    step.start_seconds = clock() - start;
    const StepResult result = [&] {
      try {
        return executor.step(batch);
      } catch (const NumericalError& error) {  // name the step: where in the run it broke
        throw NumericalError("step " + std::to_string(step.index) + ": " + error.what());
      }
    }();
    now = clock() - start;
    step.seconds = now - step.start_seconds;
    step.result = &result;
    for (const SequenceStepResult& sequence : result.sequences) {
      step.committed_tokens += static_cast<std::int64_t>(sequence.committed.size());
    }
    for (const ModelCall& call : result.calls) step.target_passes += call.pool_index == target_index;
    scheduler.observe(step);
    if (estimates != nullptr) {
      estimates->observe(options.routing != nullptr ? options.routing->to_routed(result, step.plan) : result, step_class);
    }
    if (options.on_step) options.on_step(step);

    // Leaving: cut each sequence's commits at EOS and its limit; finished ones go.
    std::vector<Running> still_running;
    std::vector<SequenceId> finished;
    for (std::size_t b = 0; b < running.size(); ++b) {
      Running& r = running[b];
      ServedRequest& request = r.request;
      ++request.steps;
      bool stop = false;
      for (TokenId token : result.sequences[b].committed) {
        if (request.tokens.empty()) request.first_token_seconds = now;
        request.tokens.push_back(token);
        if (std::find(options.eos_token_ids.begin(), options.eos_token_ids.end(), token) != options.eos_token_ids.end()) {
          request.reason = FinishReason::kEos;
          stop = true;
        } else if (static_cast<std::int64_t>(request.tokens.size()) >= r.max_new_tokens) {
          request.reason = FinishReason::kMaxTokens;
          stop = true;
        }
        if (stop) break;
      }
      if (!stop && state.committed_length(r.sequence) > max_context) {
        request.reason = FinishReason::kContext;
        stop = true;
      }
      if (stop) {
        request.finish_reason = request.reason == FinishReason::kMaxTokens ? "length" : to_string(request.reason);
        request.finish_seconds = now;
        finished.push_back(r.sequence);
        finish(std::move(request));
      } else {
        still_running.push_back(std::move(r));
      }
    }
    running_sequences.release(finished);
    running = std::move(still_running);
    ++step_index;
  }
  return done;
}

}  // namespace specrouter::engine
