// Sampled speculative decoding through the step executor is lossless: the first two
// tokens committed after a fixed prompt follow the target's own sampling distribution,
// for two- and three-level chains, sampling filters and the model drafter (fixed length
// and stopping early; token trees with the tree verifier), tested by chi-square over
// 24,000 seeded trials each. Two broken samplers fail the same test, so it has teeth: a
// verifier fed the wrong draft rows (shifted by one position, the executor bug this
// guards against), and one that samples a rejection's token from p, skipping the residual.
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

// A broken sampler: on a rejection it draws the next token from p itself instead of the
// residual max(0, p - q), so tokens the draft favours come out too often.
class ResidualSkippingVerifier final : public Verifier {
 public:
  explicit ResidualSkippingVerifier(std::shared_ptr<Verifier> inner) : inner_(std::move(inner)) {}
  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    Verdict verdict = inner_->verify(request, rng);
    if (!verdict.bonus) {
      const ProbabilityRows& p = request.target_probs;
      const std::span<const float> row(p.data + static_cast<std::int64_t>(verdict.accepted_path.size()) * p.vocab_size,
                                       static_cast<std::size_t>(p.vocab_size));
      verdict.next_token = sample_from_distribution(row, next_uniform(rng));
    }
    return verdict;
  }

 private:
  std::shared_ptr<Verifier> inner_;
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
  static Outcome two_token_counts(const Plan& plan, const SamplingParams& sampling, std::shared_ptr<Verifier> verifier,
                                  std::shared_ptr<Drafter> drafter = nullptr, int drafter_length = 3) {
    c10::InferenceMode guard;
    StepExecutor executor(*pool_->pool, pool_->state, std::move(verifier), std::move(drafter),
                          {.sampling = sampling, .drafter_length = drafter_length});
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

TEST_F(SamplingLosslessTest, TwoLevelChain) {
  const Outcome outcome = two_token_counts(plan_of({kSmall, kTarget}, {3}), kPlainSampling, token_verifier());
  EXPECT_GT(p_value(outcome, kPlainSampling, "S_T_3"), kSignificance) << outcome.describe();
  EXPECT_GT(outcome.accepted[1], 0);
  EXPECT_LT(outcome.accepted[1], outcome.drafted[1]);
}

TEST_F(SamplingLosslessTest, ThreeLevelChains) {
  const Outcome even = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {2, 2}), kPlainSampling, token_verifier());
  EXPECT_GT(p_value(even, kPlainSampling, "S_M_T_2_2"), kSignificance) << even.describe();
  EXPECT_GT(even.accepted[1], 0);
  EXPECT_GT(even.accepted[2], 0);
  EXPECT_LT(even.accepted[2], even.drafted[2]);

  // Filters: temperature, top-k and top-p apply at every level, and zero some tokens.
  const SamplingParams filtered{.temperature = 0.7, .top_k = 6, .top_p = 0.9};
  const Outcome uneven = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {1, 3}), filtered, token_verifier());
  EXPECT_GT(p_value(uneven, filtered, "S_M_T_1_3_filtered"), kSignificance) << uneven.describe();
}

TEST_F(SamplingLosslessTest, ModelDrafterBelowTheChain) {
  const Outcome fixed = two_token_counts(plan_of({kMedium, kTarget}, {4}), kPlainSampling, token_verifier(),
                                         make_drafter("model", {{"model", std::string("m0")}}), 2);
  EXPECT_GT(p_value(fixed, kPlainSampling, "model_drafter_M_T"), kSignificance) << fixed.describe();
  EXPECT_GT(fixed.accepted[0], 0);

  // Greedy drafts under sampling: one-hot rows, accepted with probability p(x).
  const Outcome argmax = two_token_counts(plan_of({kMedium, kTarget}, {3}), kPlainSampling, token_verifier(),
                                          make_drafter("model", {{"model", std::string("m0")}, {"greedy", true}}), 2);
  EXPECT_GT(p_value(argmax, kPlainSampling, "model_drafter_greedy_M_T"), kSignificance) << argmax.describe();
  EXPECT_GT(argmax.accepted[0], 0);

  const Outcome early = two_token_counts(plan_of({kTarget}, {}), kPlainSampling, token_verifier(),
                                         make_drafter("model", {{"model", std::string("m0")}, {"min_confidence", 0.5}}), 4);
  EXPECT_GT(p_value(early, kPlainSampling, "model_drafter_T_min_confidence"), kSignificance) << early.describe();
  EXPECT_GT(early.accepted[0], 0);
}

TEST_F(SamplingLosslessTest, TreeDraftsWithTheTreeVerifier) {
  const std::shared_ptr<Verifier> tree = make_verifier("tree");
  const Outcome wide = two_token_counts(plan_of({kTarget}, {}), kPlainSampling, tree,
                                        make_drafter("model", {{"model", std::string("m0")},
                                                               {"branching", std::vector<std::int64_t>{3, 2}}}), 2);
  EXPECT_GT(p_value(wide, kPlainSampling, "tree_3_2_T"), kSignificance) << wide.describe();
  EXPECT_GT(wide.accepted[0], 0);

  // A tree drafted for the middle level of a chain; the medium model then drafts a chain.
  const SamplingParams filtered{.temperature = 0.8, .top_k = 5};
  const Outcome chained = two_token_counts(plan_of({kMedium, kTarget}, {3}), filtered, tree,
                                           make_drafter("model", {{"model", std::string("m0")},
                                                                  {"branching", std::vector<std::int64_t>{2, 2}}}), 2);
  EXPECT_GT(p_value(chained, filtered, "tree_2_2_M_T_filtered"), kSignificance) << chained.describe();
  EXPECT_GT(chained.accepted[0], 0);
}

TEST_F(SamplingLosslessTest, TheTestCatchesASamplerThatSkipsTheResidual) {
  const auto broken = std::make_shared<ResidualSkippingVerifier>(token_verifier());
  const Outcome two = two_token_counts(plan_of({kSmall, kTarget}, {3}), kPlainSampling, broken);
  EXPECT_LT(p_value(two, kPlainSampling, "no_residual_S_T_3"), kSignificance) << two.describe();
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
