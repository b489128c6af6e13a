// Tests of the model drafter, through the registry as the harness uses it, on tiny random
// models: greedy drafts are the model's greedy continuation, sampled drafts report the
// rows they were drawn from, early stopping follows the confidence rule, and the K/V the
// drafter leaves is its context plus its draft minus the last token.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

#include <ATen/ops/max.h>
#include <ATen/ops/softmax.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/model/weights.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/sampling/sampling.h"

// Defined by SPECROUTER_PLUGIN in model_drafter.cpp.
void specrouter_register_model_drafter(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::Draft;
using specrouter::DraftContext;
using specrouter::DraftRequest;
using specrouter::ParamValue;
using specrouter::SamplingParams;
using specrouter::TokenId;
using ::testing::HasSubstr;
using Tokens = std::vector<TokenId>;

specrouter::ModelConfig tiny_config() {
  specrouter::ModelConfig config;
  config.vocab_size = 97;
  config.hidden_size = 32;
  config.intermediate_size = 48;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 8;
  config.max_position_embeddings = 40;
  config.rms_norm_eps = 1e-5;
  config.layer_windows.assign(2, std::nullopt);
  return config;
}

Tokens tokens(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tokens out(count);
  for (TokenId& token : out) token = static_cast<TokenId>(rng() % 97);
  return out;
}

class ModelDrafterTest : public ::testing::Test {
 protected:
  ModelDrafterTest()
      : state_(specrouter::StateManagerOptions{.debug_checks = true}),
        drafting_model_(make_model(3)),
        other_model_(make_model(4)),
        pool_({{"small", drafting_model_.get(), drafting_model_->add_kv_cache(state_, "small", specrouter::KvBudget::blocks(64), 4)},
               {"target", other_model_.get(), other_model_->add_kv_cache(state_, "target", specrouter::KvBudget::blocks(64), 4)}}) {
    specrouter::set_compute_threads(1);  // tiny models: two spin-waiting threads only slow them down
    specrouter::PluginRegistrar registrar;
    specrouter_register_model_drafter(registrar);
    registrar.commit(registries_);
  }

  static std::unique_ptr<specrouter::TransformerModel> make_model(std::uint64_t seed) {
    specrouter::ModelOptions options;
    options.dtype = at::kDouble;
    return specrouter::TransformerModel::create(tiny_config(), specrouter::random_weights(tiny_config(), seed), options);
  }

  std::shared_ptr<specrouter::Drafter> make(const std::map<std::string, ParamValue>& overrides) const {
    const auto& info = registries_.drafters.at("model").info;
    return registries_.drafters.create("model", specrouter::Params::from_specs("drafter 'model'", info.params, overrides));
  }

  DraftContext context(const SamplingParams& sampling) {
    sampling_ = sampling;
    return {&state_, &pool_, &sampling_};
  }

  // The drafting model's greedy continuation of `prompt`.
  Tokens greedy_continuation(const Tokens& prompt, int count) {
    specrouter::GenerationOptions options;
    options.max_new_tokens = count;
    const std::vector<Tokens> prompts = {prompt};
    return specrouter::generate(*drafting_model_, prompts, options)[0].tokens;
  }

  // The drafting model's logits after every prefix of `tokens`: [tokens, vocab].
  at::Tensor logits_of(const Tokens& tokens) {
    specrouter::StateManager scratch;
    const auto kv = drafting_model_->add_kv_cache(scratch, "m", specrouter::KvBudget::blocks(16), 4);
    const auto sequence = scratch.create_sequence(tokens);
    specrouter::SequenceInput input;
    input.sequence = sequence;
    input.tokens = tokens;
    input.logits = specrouter::LogitsWanted::kAll;
    return drafting_model_->forward({&input, 1}, scratch, kv).logits.to(at::kFloat);
  }

  c10::InferenceMode guard_;
  specrouter::Registries registries_;
  specrouter::StateManager state_;
  std::unique_ptr<specrouter::TransformerModel> drafting_model_, other_model_;
  specrouter::ModelPool pool_;
  SamplingParams sampling_;
};

TEST_F(ModelDrafterTest, RegistersWithDocumentedParameters) {
  const auto& info = registries_.drafters.at("model").info;
  EXPECT_EQ(info.kind, "drafter");
  ASSERT_EQ(info.params.size(), 4u);
  std::map<std::string, std::string> defaults;
  for (const auto& spec : info.params) {
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    defaults[spec.name] = spec.required() ? "(required)" : specrouter::to_string(*spec.default_value);
  }
  EXPECT_EQ(defaults, (std::map<std::string, std::string>{
                          {"model", "(required)"}, {"greedy", "false"}, {"min_confidence", "0.0"}, {"branching", "[]"}}));
}

TEST_F(ModelDrafterTest, RejectsInvalidParametersAndUnknownModels) {
  auto message = [&](const std::map<std::string, ParamValue>& overrides) -> std::string {
    try {
      make(overrides);
    } catch (const specrouter::ConfigError& error) {
      return error.what();
    }
    return "(no error)";
  };
  EXPECT_THAT(message({{"model", std::string("")}}), HasSubstr("drafter 'model': model"));
  EXPECT_THAT(message({{"model", std::string("small")}, {"min_confidence", 1.5}}), HasSubstr("min_confidence"));
  EXPECT_THAT(message({{"model", std::string("small")}, {"min_confidence", -0.1}}), HasSubstr("min_confidence"));
  EXPECT_THAT(message({{"model", std::string("small")}, {"branching", std::vector<std::int64_t>{2, 0}}}),
              HasSubstr("branching entries must be in [1, 64], got 0"));

  const Tokens prompt = tokens(5, 1);
  const auto sequence = state_.create_sequence(prompt);
  const DraftRequest request{prompt, 3, sequence, nullptr};
  try {
    make({{"model", std::string("huge")}})->propose({&request, 1}, context({.temperature = 0.0}));
    ADD_FAILURE() << "an unknown model was accepted";
  } catch (const specrouter::ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("'huge'"));
    EXPECT_THAT(error.what(), HasSubstr("'small', 'target'"));
  }
  EXPECT_THROW(make({{"model", std::string("small")}})->propose({&request, 1}, DraftContext{}), specrouter::UsageError);
  EXPECT_THAT([&] {
    try {
      make({{"model", std::string("small")}})->propose({&request, 1}, context({.temperature = 1.0}));
    } catch (const specrouter::UsageError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  }(), HasSubstr("no rng"));
}

TEST_F(ModelDrafterTest, GreedyDraftsAreTheModelsGreedyContinuation) {
  const Tokens first = tokens(5, 1), second = tokens(9, 2);
  const auto a = state_.create_sequence(first), b = state_.create_sequence(second);
  const std::vector<DraftRequest> requests = {{first, 4, a, nullptr}, {second, 6, b, nullptr}};
  const std::vector<Draft> drafts = make({{"model", std::string("small")}})->propose(requests, context({.temperature = 0.0}));
  ASSERT_EQ(drafts.size(), 2u);
  EXPECT_EQ(drafts[0].tokens, greedy_continuation(first, 4));
  EXPECT_EQ(drafts[1].tokens, greedy_continuation(second, 6));
  EXPECT_TRUE(drafts[0].probs.empty());
  // It ran its context and every draft token but the last.
  Tokens expected = first;
  expected.insert(expected.end(), drafts[0].tokens.begin(), drafts[0].tokens.end() - 1);
  EXPECT_EQ(state_.kv_tokens(pool_.at(0).kv, a), expected);
  EXPECT_EQ(state_.kv_length(pool_.at(1).kv, a), 0) << "the other model was not run";

  // A second call continues from what it holds (here: its view runs past the context).
  const std::vector<DraftRequest> again = {{first, 2, a, nullptr}};
  EXPECT_EQ(make({{"model", std::string("small")}})->propose(again, context({.temperature = 0.0}))[0].tokens,
            greedy_continuation(first, 2));
}

TEST_F(ModelDrafterTest, SampledDraftsReportTheRowsTheyWereDrawnFrom) {
  const SamplingParams sampling{.temperature = 0.8, .top_k = 20};
  const Tokens prompt = tokens(6, 3);
  const auto sequence = state_.create_sequence(prompt);
  std::mt19937_64 rng(5), replay(5);
  const DraftRequest request{prompt, 5, sequence, &rng};
  const Draft draft = make({{"model", std::string("small")}})->propose({&request, 1}, context(sampling))[0];
  ASSERT_EQ(draft.tokens.size(), 5u);
  ASSERT_EQ(draft.probs.size(), 5u * 97);

  Tokens path = prompt;
  path.insert(path.end(), draft.tokens.begin(), draft.tokens.end());
  const at::Tensor expected = specrouter::sampling_distribution(logits_of(path), sampling).contiguous();
  for (std::size_t i = 0; i < draft.tokens.size(); ++i) {
    const std::int64_t row = static_cast<std::int64_t>(prompt.size() + i) - 1;
    for (std::int64_t v = 0; v < 97; ++v) {
      ASSERT_NEAR(draft.probs[i * 97 + static_cast<std::size_t>(v)], expected[row][v].item<float>(), 1e-5) << "token " << i;
    }
    EXPECT_GT(draft.probs[i * 97 + static_cast<std::size_t>(draft.tokens[i])], 0.0f) << "token " << i;
    // Drawn with one uniform number per token from the row it reports.
    const std::span<const float> reported(draft.probs.data() + i * 97, 97);
    EXPECT_EQ(draft.tokens[i], specrouter::sample_from_distribution(reported, specrouter::next_uniform(replay)));
  }
  EXPECT_EQ(rng, replay);
}

TEST_F(ModelDrafterTest, TheGreedyParameterDraftsTheArgmaxWhenTheRunSamples) {
  const Tokens prompt = tokens(4, 6);
  const auto sequence = state_.create_sequence(prompt);
  std::mt19937_64 rng(1);
  const std::mt19937_64 before = rng;
  const DraftRequest request{prompt, 4, sequence, &rng};
  const Draft draft = make({{"model", std::string("small")}, {"greedy", true}})->propose({&request, 1}, context({.temperature = 1.0}))[0];
  EXPECT_EQ(draft.tokens, greedy_continuation(prompt, 4));
  EXPECT_TRUE(draft.probs.empty());
  EXPECT_EQ(rng, before);
}

TEST_F(ModelDrafterTest, StopsAfterATokenDrawnFromAnUnconfidentDistribution) {
  const Tokens prompt = tokens(5, 7);
  const Tokens greedy = greedy_continuation(prompt, 8);
  Tokens path = prompt;
  path.insert(path.end(), greedy.begin(), greedy.end());
  const at::Tensor probs = at::softmax(logits_of(path), -1);
  std::vector<float> confidence;  // of the distribution draft token i is drawn from
  for (std::size_t i = 0; i < greedy.size(); ++i) {
    confidence.push_back(std::get<0>(at::max(probs[static_cast<std::int64_t>(prompt.size() + i) - 1], 0)).item<float>());
  }
  std::vector<double> thresholds = {0.0, 1.0};
  for (float c : confidence) thresholds.push_back(static_cast<double>(c) * (1 + 1e-6));
  for (double threshold : thresholds) {
    std::size_t expected = 1;  // token i is drafted while every distribution before it was confident
    while (expected < greedy.size() && confidence[expected - 1] >= threshold) ++expected;
    const auto sequence = state_.create_sequence(prompt);
    const DraftRequest request{prompt, 8, sequence, nullptr};
    const Draft draft =
        make({{"model", std::string("small")}, {"min_confidence", threshold}})->propose({&request, 1}, context({.temperature = 0.0}))[0];
    EXPECT_EQ(draft.tokens, Tokens(greedy.begin(), greedy.begin() + static_cast<std::ptrdiff_t>(expected)))
        << "threshold " << threshold;
    state_.release(sequence);
  }
}

TEST_F(ModelDrafterTest, DraftsNoFurtherThanTheModelsContext) {
  const std::int64_t limit = drafting_model_->max_context();
  const Tokens full = tokens(static_cast<std::size_t>(limit), 8), over = tokens(static_cast<std::size_t>(limit + 1), 9);
  const auto a = state_.create_sequence(full), b = state_.create_sequence(over);
  const std::vector<DraftRequest> requests = {{full, 4, a, nullptr}, {over, 4, b, nullptr}, {full, 0, a, nullptr}};
  const std::vector<Draft> drafts = make({{"model", std::string("small")}})->propose(
      std::span(requests).first(2), context({.temperature = 0.0}));
  EXPECT_EQ(drafts[0].tokens.size(), 1u) << "the last context position is the model's last";
  EXPECT_TRUE(drafts[1].tokens.empty());
  EXPECT_TRUE(make({{"model", std::string("small")}})->propose(std::span(requests).last(1), context({.temperature = 0.0}))[0].tokens.empty());
}

TEST_F(ModelDrafterTest, TreeDraftsBranchIntoTheMostProbableTokensOfEachNode) {
  const Tokens first = tokens(6, 5), second = tokens(3, 6);
  const auto a = state_.create_sequence(first), b = state_.create_sequence(second);
  // The second request allows depth 1 only: its tree is the 3 roots.
  const std::vector<DraftRequest> requests = {{first, 4, a, nullptr}, {second, 1, b, nullptr}};
  const std::vector<Draft> drafts = make({{"model", std::string("small")}, {"branching", std::vector<std::int64_t>{3, 2}}})
                                        ->propose(requests, context({.temperature = 1.0}));
  ASSERT_EQ(drafts.size(), 2u);
  EXPECT_TRUE(drafts[0].probs.empty()) << "children are chosen deterministically: one-hot rows";
  EXPECT_EQ(drafts[0].parents, (std::vector<std::int32_t>{-1, -1, -1, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(drafts[1].parents, (std::vector<std::int32_t>{-1, -1, -1}));

  // Node n's children are the top tokens of the model's distribution after n's path.
  auto top = [&](const Tokens& path, int k) {
    const at::Tensor logits = logits_of(path);
    const at::Tensor order = logits[logits.size(0) - 1].argsort(-1, /*descending=*/true);
    Tokens best;
    for (int i = 0; i < k; ++i) best.push_back(static_cast<TokenId>(order[i].item<std::int64_t>()));
    return best;
  };
  const Tokens roots = top(first, 3);
  EXPECT_EQ(Tokens(drafts[0].tokens.begin(), drafts[0].tokens.begin() + 3), roots);
  for (int root = 0; root < 3; ++root) {
    Tokens path = first;
    path.push_back(roots[static_cast<std::size_t>(root)]);
    const Tokens children = top(path, 2);
    EXPECT_EQ(drafts[0].tokens[static_cast<std::size_t>(3 + 2 * root)], children[0]) << "root " << root;
    EXPECT_EQ(drafts[0].tokens[static_cast<std::size_t>(4 + 2 * root)], children[1]) << "root " << root;
  }
  EXPECT_EQ(Tokens(drafts[1].tokens.begin(), drafts[1].tokens.end()), top(second, 3));
  // The tree is not left in the model's view: it holds the context, a chain.
  EXPECT_EQ(state_.kv_tokens(pool_.at(0).kv, a), first);
  EXPECT_EQ(state_.kv_tokens(pool_.at(0).kv, b), second);
}

}  // namespace
