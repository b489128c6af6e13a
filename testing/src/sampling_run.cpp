#include "sampling_run.h"

#include <random>
#include <sstream>
#include <span>

#include <c10/core/InferenceMode.h>

#include "specrouter/conformance/chi_square.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/model/forward.h"
#include "test_models.h"

namespace specrouter::conformance::detail {
namespace {

constexpr int kTrials = 24'000;
constexpr int kBatch = 2'000;  // sequences decoded at once (the world has room for them)
const std::vector<TokenId> kPrompt = {1, 5, 3};

// The logits of the last position of `tokens`, run on a fresh sequence of a one-block KV
// pool: [1, vocab].
at::Tensor last_logits(Model& model, const std::vector<TokenId>& tokens) {
  StateManager state;
  const auto length = static_cast<std::int64_t>(tokens.size());
  const KvModelId kv = model.add_kv_cache(state, "exact", KvBudget::blocks(1), length);
  SequenceInput input;
  input.sequence = state.create_sequence(tokens);
  input.tokens = tokens;
  input.logits = LogitsWanted::kLast;
  const at::Tensor logits = model.forward({&input, 1}, state, kv).logits;
  return logits[logits.size(0) - 1].unsqueeze(0);
}

// The target's exact distribution of (first, second) committed token: [first * vocab + second].
std::vector<double> exact_two_token_distribution(Model& target, const SamplingParams& sampling) {
  const std::int64_t vocab = target.vocab_size();
  const auto distribution = [&](const std::vector<TokenId>& tokens) {
    return sampling_distribution(last_logits(target, tokens).to(at::kFloat), sampling).contiguous();
  };
  const at::Tensor first = distribution(kPrompt);
  std::vector<double> joint(static_cast<std::size_t>(vocab * vocab));
  for (TokenId a = 0; a < vocab; ++a) {
    std::vector<TokenId> extended = kPrompt;
    extended.push_back(a);
    const at::Tensor second = distribution(extended);
    for (TokenId b = 0; b < vocab; ++b) {
      joint[static_cast<std::size_t>(a * vocab + b)] = double{first.data_ptr<float>()[a]} * double{second.data_ptr<float>()[b]};
    }
  }
  return joint;
}

class ResidualSkippingVerifier final : public Verifier {
 public:
  explicit ResidualSkippingVerifier(std::shared_ptr<Verifier> inner) : inner_(std::move(inner)) {}
  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    Verdict verdict = inner_->verify(request, rng);
    if (!verdict.bonus) {
      // The row after the accepted path: after its last node (row node + 1), or after the
      // prefix (row 0); for a chain, the row of the first rejected position.
      const ProbabilityRows& p = request.target_probs;
      const std::int64_t row = verdict.accepted_path.empty() ? 0 : verdict.accepted_path.back() + 1;
      verdict.next_token = sample_from_distribution(p.row(row), next_uniform(rng));
    }
    return verdict;
  }

 private:
  std::shared_ptr<Verifier> inner_;
};

}  // namespace

std::string SamplingOutcome::describe() const {
  std::ostringstream out;
  out << "p-value " << p_value << ";";
  for (int level = 0; level < 3; ++level) out << " level " << level << " accepted " << accepted[level] << "/" << drafted[level];
  return out.str();
}

SamplingOutcome run_sampling_case(const SamplingCase& sampling_case) {
  c10::InferenceMode inference;
  SingleThreadedCompute single_thread;
  ModelWorld& world = sampling_world();
  const std::int64_t vocab = world.target().vocab_size();
  StepExecutorOptions options;
  options.sampling = sampling_case.sampling;
  options.drafter_length = sampling_case.drafter_length;
  options.collaboration = sampling_case.collaboration;
  StepExecutor executor(*world.pool, world.state, sampling_case.verifier, sampling_case.drafter, options);
  SamplingOutcome outcome;
  std::vector<std::int64_t> counts(static_cast<std::size_t>(vocab * vocab));
  const std::vector<std::vector<TokenId>> prompts(kBatch, kPrompt);
  engine::SpeculativeGenerationOptions generation;
  generation.max_new_tokens = 2;
  generation.on_step = [&](const StepOutcome& record) {
    const StepResult& step = *record.result;
    for (const SequenceStepResult& result : step.sequences) {
      for (std::size_t level = 0; level < result.levels.size() && level < 3; ++level) {
        outcome.drafted[level] += result.levels[level].drafted;
        outcome.accepted[level] += result.levels[level].accepted;
      }
    }
  };
  for (int first = 0; first < kTrials; first += kBatch) {
    // A batch of the engine's decoding loop; batch `first` samples from its own streams.
    generation.seed = 2024 + static_cast<std::uint64_t>(first);
    for (const GenerationResult& result : engine::speculative_generate(executor, prompts, sampling_case.plan, generation)) {
      ++counts[static_cast<std::size_t>(result.tokens.at(0) * vocab + result.tokens.at(1))];
    }
  }
  outcome.p_value = goodness_of_fit(counts, exact_two_token_distribution(world.target(), sampling_case.sampling));
  return outcome;
}

std::shared_ptr<Verifier> residual_skipping(std::shared_ptr<Verifier> inner) {
  return std::make_shared<ResidualSkippingVerifier>(std::move(inner));
}

}  // namespace specrouter::conformance::detail
