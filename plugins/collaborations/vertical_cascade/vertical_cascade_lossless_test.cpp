// Sampled decoding with the vertical cascade is lossless where it differs from the
// reference scheme (chains of two and three levels, with filters, are the conformance
// kit's: vertical_cascade_kit_test.cpp): the first two tokens committed after a fixed
// prompt follow the target's own sampling distribution (chi-square over 24,000 seeded
// trials) with bottom drafters that sample (their rows passed up) or choose
// deterministically (one-hot rows filled in beside the levels' real rows). A verifier fed the draft's rows shifted by one
// position (what a cascade misaligning the parts of its draft would do) fails the same
// test, so it has teeth. (Ignoring the rows altogether would not: treating every draft
// token as one-hot is lossless for any draft, only less often accepted.)

#include <gtest/gtest.h>

#include <array>
#include <sstream>

#include <c10/core/InferenceMode.h>

#include "../../../tests/decoding/decoding_test_util.h"
#include "vertical_cascade_test_support.h"

namespace specrouter::testing {
namespace {

constexpr int kSmall = 0, kMedium = 1, kTarget = 2;
constexpr std::int64_t kVocab = 8;
constexpr int kTrials = 24'000;
constexpr int kBatch = 2'000;
constexpr double kSignificance = 1e-4;
const std::vector<TokenId> kPrompt = {1, 5, 3};
const SamplingParams kPlainSampling{.temperature = 1.0};

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

// A broken verifier: row j of the draft's rows gets row j + 1's, so the draft no longer
// follows the rows claimed for it.
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
  std::array<std::int64_t, 3> added{};  // tokens each level added (the target's entry: tokens it verified)
  std::int64_t accepted = 0;            // by the target

  std::string describe() const {
    std::ostringstream out;
    out << "added by level 0 " << added[0] << ", level 1 " << added[1] << "; target verified " << added[2]
        << ", accepted " << accepted;
    return out.str();
  }
};

class VerticalCascadeLosslessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(tiny_config(), {0.8, 0.4, 0.0}, at::kDouble, /*blocks=*/8 * kBatch, /*debug_checks=*/false, 11);
  }
  static void TearDownTestSuite() { delete pool_; }

  // Runs kTrials sequences from kPrompt, each until it has two committed tokens, and
  // counts the pairs.
  static Outcome two_token_counts(const Plan& plan, const SamplingParams& sampling,
                                  std::shared_ptr<Verifier> verifier = token_verifier(),
                                  std::shared_ptr<Drafter> drafter = nullptr, int drafter_length = 2) {
    c10::InferenceMode guard;
    StepExecutor executor(*pool_->pool, pool_->state, std::move(verifier), std::move(drafter),
                          {.sampling = sampling, .drafter_length = drafter_length,
                           .collaboration = make_vertical_cascade()});
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
          for (std::size_t level = 0; level + 1 < result.levels.size(); ++level) outcome.added[level] += result.levels[level].produced;
          outcome.added[2] += result.levels.back().drafted;
          outcome.accepted += result.levels.back().accepted;
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
    RecordProperty(name, "p-value " + std::to_string(p) + "; " + outcome.describe());
    return p;
  }

  static TestPool* pool_;
};

TestPool* VerticalCascadeLosslessTest::pool_ = nullptr;

TEST_F(VerticalCascadeLosslessTest, DraftersBelowTheCascade) {
  // A sampling drafter: its rows go up with its tokens, the level's rows with the level's.
  const Outcome sampled = two_token_counts(plan_of({kMedium, kTarget}, {2}), kPlainSampling, token_verifier(),
                                           make_drafter("model", {{"model", std::string("m0")}}), 2);
  EXPECT_GT(p_value(sampled, kPlainSampling, "cascade_model_drafter_M_T"), kSignificance) << sampled.describe();
  EXPECT_GT(sampled.added[2], sampled.added[0]) << "the drafter's tokens reach the target";
  // The model drafter samples S as level S would, with the same random numbers: below
  // [M, T] it drafts exactly what the cascade [S, M, T] does.
  const Outcome as_level = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {2, 2}), kPlainSampling);
  EXPECT_EQ(sampled.counts, as_level.counts);

  // A greedy drafter under sampling: one-hot rows for its tokens beside real rows above.
  const Outcome argmax = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {1, 1}), kPlainSampling,
                                          token_verifier(),
                                          make_drafter("model", {{"model", std::string("m0")}, {"greedy", true}}), 1);
  EXPECT_GT(p_value(argmax, kPlainSampling, "cascade_greedy_drafter_S_M_T"), kSignificance) << argmax.describe();
}

TEST_F(VerticalCascadeLosslessTest, TheTestCatchesDraftRowsShiftedByOnePosition) {
  const auto broken = std::make_shared<RowShiftingVerifier>(token_verifier());
  const Outcome outcome = two_token_counts(plan_of({kSmall, kMedium, kTarget}, {2, 2}), kPlainSampling, broken);
  EXPECT_LT(p_value(outcome, kPlainSampling, "broken_cascade_S_M_T_2_2"), kSignificance) << outcome.describe();
}

}  // namespace
}  // namespace specrouter::testing
