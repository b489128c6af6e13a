// Sampled speculative decoding through the step executor is lossless up a three-level
// chain, tested by chi-square over 24,000 seeded trials: the first two tokens committed
// after a fixed prompt follow the target's own sampling distribution. A verifier fed the
// wrong draft rows (shifted by one position, the executor bug this guards against) fails
// the same test, so it has teeth.
//
// What every drafter and verifier must pass (sampled losslessness paired with each
// plugin, a sampler that skips the residual as the control) is the conformance kit's
// (testing/, docs/design/conformance_kit.md), called from each plugin's own test; this
// file keeps what concerns the executor: how it passes rows up a chain.
//
// The models are tiny (vocabulary 8) so that the exact two-token distribution has 64
// cells, computed from the target's logits. With fixed seeds the outcome is
// deterministic; a correct executor passes at p-value > 1e-4 (a 1-in-10,000 bar).

#include <gtest/gtest.h>

#include <array>
#include <sstream>

#include <c10/core/InferenceMode.h>

#include "decoding_test_util.h"

namespace specrouter::testing {
namespace {

constexpr int kSmall = 0, kMedium = 1, kTarget = 2;
constexpr std::int64_t kVocab = 8;
constexpr int kTrials = 24'000;
constexpr int kBatch = 2'000;
constexpr double kSignificance = 1e-4;
const std::vector<TokenId> kPrompt = {1, 5, 3};

ModelConfig tiny_config() {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = kVocab;
  config.hidden_size = 16;
  config.intermediate_size = 32;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.head_dim = 8;
  config.max_position_embeddings = 32;
  config.rms_norm_eps = 1e-5;
  config.layer_windows.assign(1, std::nullopt);
  return config;
}

// The target's exact distribution of (first, second) committed token: [first * vocab + second].
std::vector<double> exact_two_token_distribution(Model& target, const SamplingParams& sampling) {
  const auto distribution = [&](const std::vector<TokenId>& tokens) {
    const at::Tensor logits = full_forward_logits(target, tokens);
    return sampling_distribution(logits[logits.size(0) - 1].unsqueeze(0).to(at::kFloat), sampling).contiguous();
  };
  const at::Tensor first = distribution(kPrompt);
  std::vector<double> joint(kVocab * kVocab);
  for (TokenId a = 0; a < kVocab; ++a) {
    std::vector<TokenId> extended = kPrompt;
    extended.push_back(a);
    const at::Tensor second = distribution(extended);
    for (TokenId b = 0; b < kVocab; ++b) {
      joint[a * kVocab + b] = double{first.data_ptr<float>()[a]} * double{second.data_ptr<float>()[b]};
    }
  }
  return joint;
}

// Shifts the draft rows by one position (row j gets row j + 1's), as an off-by-one in
// the rows an executor passes up would: the draft no longer follows the rows claimed.
class RowShiftingVerifier final : public Verifier {
 public:
  explicit RowShiftingVerifier(std::shared_ptr<Verifier> inner) : inner_(std::move(inner)) {}
  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    if (request.draft_probs.empty() || request.draft_probs.rows < 2) return inner_->verify(request, rng);
    const ProbabilityRows& q = request.draft_probs;
    shifted_.assign(q.data + q.vocab_size, q.data + q.rows * q.vocab_size);
    shifted_.insert(shifted_.end(), q.data + (q.rows - 1) * q.vocab_size, q.data + q.rows * q.vocab_size);
    VerifyRequest altered = request;
    altered.draft_probs.data = shifted_.data();
    return inner_->verify(altered, rng);
  }

 private:
  std::shared_ptr<Verifier> inner_;
  std::vector<float> shifted_;
};

struct Outcome {
  std::vector<std::int64_t> counts = std::vector<std::int64_t>(kVocab * kVocab);
  std::array<std::int64_t, 3> drafted{}, accepted{};  // by level

  std::string describe() const {
    std::ostringstream out;
    for (int level = 0; level < 3; ++level) out << " level " << level << " accepted " << accepted[level] << "/" << drafted[level];
    return out.str();
  }
};

class SamplingLosslessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(tiny_config(), {0.8, 0.4, 0.0}, at::kDouble, /*blocks=*/8 * kBatch, /*debug_checks=*/false, 11);
  }
  static void TearDownTestSuite() { delete pool_; }

  // Runs kTrials sequences from kPrompt, each until it has two committed tokens, and
  // counts the pairs.
  static Outcome two_token_counts(const Plan& plan, const SamplingParams& sampling, std::shared_ptr<Verifier> verifier) {
    c10::InferenceMode guard;
    StepExecutor executor(*pool_->pool, pool_->state, std::move(verifier), nullptr, {.sampling = sampling});
    Outcome outcome;
    for (int first = 0; first < kTrials; first += kBatch) {
      std::vector<SequenceId> sequences;
      std::vector<std::mt19937_64> rngs;
      std::vector<std::vector<TokenId>> committed(kBatch);
      for (int i = 0; i < kBatch; ++i) {
        sequences.push_back(pool_->state.create_sequence(kPrompt));
        rngs.push_back(make_sequence_rng(2024, static_cast<std::uint64_t>(first + i)));
      }
      for (;;) {
        std::vector<SequencePlan> batch;
        std::vector<int> which;
        for (int i = 0; i < kBatch; ++i) {
          if (committed[i].size() >= 2) continue;
          batch.push_back({sequences[i], plan, &rngs[i]});
          which.push_back(i);
        }
        if (batch.empty()) break;
        const StepResult step = executor.step(batch);
        for (std::size_t b = 0; b < batch.size(); ++b) {
          const SequenceStepResult& result = step.sequences[b];
          committed[which[b]].insert(committed[which[b]].end(), result.committed.begin(), result.committed.end());
          for (std::size_t level = 0; level < result.levels.size(); ++level) {
            outcome.drafted[level] += result.levels[level].drafted;
            outcome.accepted[level] += result.levels[level].accepted;
          }
        }
      }
      for (const auto& tokens : committed) ++outcome.counts[tokens[0] * kVocab + tokens[1]];
      pool_->state.release(sequences);
    }
    return outcome;
  }

  // The p-value of the counts against the target's exact distribution.
  static double p_value(const Outcome& outcome, const SamplingParams& sampling, const std::string& name) {
    const double p = goodness_of_fit(outcome.counts, exact_two_token_distribution(pool_->target(), sampling));
    RecordProperty(name, "p-value " + std::to_string(p) + ";" + outcome.describe());
    return p;
  }

  static TestPool* pool_;
};

TestPool* SamplingLosslessTest::pool_ = nullptr;

const SamplingParams kPlainSampling{.temperature = 1.0};

// Two levels drafting for the target, each verifying what the one below really sampled.
TEST_F(SamplingLosslessTest, ThreeLevelChain) {
  const Outcome even = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {2, 2}), kPlainSampling, token_verifier());
  EXPECT_GT(p_value(even, kPlainSampling, "S_M_T_2_2"), kSignificance) << even.describe();
  EXPECT_GT(even.accepted[1], 0);
  EXPECT_GT(even.accepted[2], 0);
  EXPECT_LT(even.accepted[2], even.drafted[2]);
}

TEST_F(SamplingLosslessTest, TheTestCatchesDraftRowsShiftedByOnePosition) {
  const auto broken = std::make_shared<RowShiftingVerifier>(token_verifier());
  const Outcome two = two_token_counts(plan_of({kSmall, kTarget}, {3}), kPlainSampling, broken);
  EXPECT_LT(p_value(two, kPlainSampling, "broken_S_T_3"), kSignificance) << two.describe();
  const Outcome three = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {2, 2}), kPlainSampling, broken);
  EXPECT_LT(p_value(three, kPlainSampling, "broken_S_M_T_2_2"), kSignificance) << three.describe();
}

}  // namespace
}  // namespace specrouter::testing
