// The same model computed different ways must agree: incremental decoding through the
// paged KV (blocks of 4 positions) versus one full pass in a single block (contiguous
// memory), a ragged batch versus each sequence alone, a tree-masked pass versus each
// root-to-leaf branch, rollback and forks (copy-on-write of a shared partial block)
// versus never having run the discarded tokens. Every variant of the family, in float64
// and float32, through both paged attention kernels.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include <ATen/ops/cat.h>
#include <c10/core/InferenceMode.h>

#include "model_test_util.h"
#include "specrouter/error.h"

namespace specrouter::testing {
namespace {

// A random tree of `size` nodes (parents precede children; about one node in ten is a root).
std::vector<std::int32_t> random_tree(std::int32_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> parents = {-1};
  for (std::int32_t i = 1; i < size; ++i) {
    parents.push_back(rng() % 10 == 0 ? -1 : static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(i)));
  }
  return parents;
}

// One test per variant, running every check in float64 and float32 on the variant
// loaded from a checkpoint folder (float32 weights: zero-copy for the float32 model,
// converted for the float64 one). One process per variant rather than per check keeps
// the suite fast under ctest, where every test pays for loading libtorch.
class ForwardConsistency : public ::testing::TestWithParam<std::string> {
 protected:
  void check_all(c10::ScalarType dtype, const std::string& attention) {
    SCOPED_TRACE(std::string(dtype == at::kDouble ? "float64" : "float32") + ", paged_attention/" + attention);
    config_ = variant_config(GetParam());
    model_ = loaded_model(GetParam(), dtype, cpu_plugin_attention(attention));
    tolerance_ = tolerance_for(dtype);
    worst_diff() = 0.0;
    incremental_decoding_matches_one_full_pass();
    ragged_batch_matches_each_sequence_alone();
    // Two roots; depth up to 3 (longer than the windows of 4 and 5 with the prefix).
    check_tree(*model_, config_, {-1, 0, 0, 1, 1, 2, -1, 6, 3}, tolerance_);
    // Deep chains inside a tree.
    check_tree(*model_, config_, {-1, 0, 1, 2, 3, 4, 5, 6, 0, 8, 9, 10, 11, 1, 13, 14, -1, 16, 17, 2}, tolerance_);
    // 70 nodes: two attention chunks of queries, each with its stored tree mask.
    check_tree(*model_, config_, random_tree(70, 5), tolerance_);
    kept_tree_path_continues_like_a_linear_run();
    rollback_and_fork_match_never_having_run_the_tokens();
    RecordProperty("max_abs_diff", std::to_string(worst_diff()));
    std::printf("%s %s %s: largest logit difference %.3g (tolerance %.0e)\n", GetParam().c_str(),
                dtype == at::kDouble ? "float64" : "float32", attention.c_str(), worst_diff(), tolerance_);
  }

  void incremental_decoding_matches_one_full_pass();
  void ragged_batch_matches_each_sequence_alone();
  void kept_tree_path_continues_like_a_linear_run();
  void rollback_and_fork_match_never_having_run_the_tokens();
  static void check_tree(Model& model, const ModelConfig& config, const std::vector<std::int32_t>& parents,
                         double tolerance);

  ModelConfig config_;
  std::unique_ptr<TransformerModel> model_;
  double tolerance_ = 0;
  c10::InferenceMode inference_;
};

TEST_P(ForwardConsistency, Float64) { check_all(at::kDouble, "reference"); }
TEST_P(ForwardConsistency, Float32) { check_all(at::kFloat, "reference"); }
TEST_P(ForwardConsistency, Float64CpuAttention) { check_all(at::kDouble, "cpu"); }
TEST_P(ForwardConsistency, Float32CpuAttention) { check_all(at::kFloat, "cpu"); }

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const Variant& variant : all_variants()) names.push_back(variant.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Variants, ForwardConsistency, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

void ForwardConsistency::incremental_decoding_matches_one_full_pass() {
  SCOPED_TRACE("incremental decoding");
  // 80 tokens: the full pass spans two query chunks (masks derived from positions),
  // the increments fit one chunk each (stored masks); the windows of 4 and 5 cut into
  // the cached prefix.
  const std::vector<TokenId> tokens = make_tokens(80, config_.vocab_size, 7);
  const at::Tensor full = full_forward_logits(*model_, tokens);
  ASSERT_EQ(full.size(0), 80);

  ModelKv kv(*model_);  // blocks of 4: most increments straddle a block boundary
  const SequenceId sequence = kv.add(tokens);
  std::vector<at::Tensor> pieces;
  std::size_t done = 0;
  for (std::size_t chunk : {7u, 1u, 3u, 1u, 1u, 9u, 2u, 6u, 50u}) {
    const std::vector<TokenId> part(tokens.begin() + static_cast<long>(done),
                                    tokens.begin() + static_cast<long>(done + chunk));
    const SequenceInput input = chain_input(sequence, part);
    pieces.push_back(kv.forward(*model_, input).logits);
    done += chunk;
  }
  ASSERT_EQ(done, tokens.size());
  EXPECT_EQ(kv.state.kv_length(kv.kv, sequence), 80);
  EXPECT_LT(max_abs_diff(at::cat(pieces), full), tolerance_);
}

void ForwardConsistency::ragged_batch_matches_each_sequence_alone() {
  SCOPED_TRACE("ragged batch");
  // Three sequences with different cached prefixes and new-token counts.
  const std::vector<std::vector<TokenId>> prefixes = {
      make_tokens(5, config_.vocab_size, 1), make_tokens(11, config_.vocab_size, 2), make_tokens(1, config_.vocab_size, 3)};
  const std::vector<std::vector<TokenId>> news = {
      make_tokens(1, config_.vocab_size, 4), make_tokens(20, config_.vocab_size, 5), make_tokens(4, config_.vocab_size, 6)};

  ModelKv kv(*model_);
  std::vector<SequenceId> ids;
  std::vector<SequenceInput> prefill;
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    ids.push_back(kv.add(prefixes[i]));  // committed: the prefill is catch-up, the step speculative
    prefill.push_back(chain_input(ids[i], prefixes[i], LogitsWanted::kNone));
  }
  kv.forward(*model_, prefill);
  std::vector<SequenceInput> step;
  for (std::size_t i = 0; i < news.size(); ++i) step.push_back(chain_input(ids[i], news[i]));
  const ForwardOutput together = kv.forward(*model_, step);
  ASSERT_EQ(together.row_offsets, (std::vector<std::int64_t>{0, 1, 21, 25}));

  for (std::size_t i = 0; i < news.size(); ++i) {
    std::vector<TokenId> whole = prefixes[i];
    whole.insert(whole.end(), news[i].begin(), news[i].end());
    const at::Tensor alone = full_forward_logits(*model_, whole).narrow(0, static_cast<std::int64_t>(prefixes[i].size()),
                                                                        static_cast<std::int64_t>(news[i].size()));
    const at::Tensor rows = together.logits.narrow(0, together.row_offsets[i], static_cast<std::int64_t>(news[i].size()));
    EXPECT_LT(max_abs_diff(rows, alone), tolerance_) << "sequence " << i;
  }
}

// A tree of new tokens after a cached prefix, and every root-to-leaf path run as a chain.
void ForwardConsistency::check_tree(Model& model, const ModelConfig& config, const std::vector<std::int32_t>& parents,
                                    double tolerance) {
  SCOPED_TRACE("tree of " + std::to_string(parents.size()) + " nodes");
  const std::vector<TokenId> prefix = make_tokens(9, config.vocab_size, 11);
  const std::vector<TokenId> nodes = make_tokens(static_cast<std::int64_t>(parents.size()), config.vocab_size, 12);
  ModelKv kv(model);
  const SequenceId sequence = kv.add(prefix);
  kv.forward(model, chain_input(sequence, prefix, LogitsWanted::kNone));
  SequenceInput tree = chain_input(sequence, nodes, LogitsWanted::kAll);
  tree.parents = parents;
  const at::Tensor tree_logits = kv.forward(model, tree).logits;

  std::vector<bool> is_parent(parents.size(), false);
  for (std::int32_t parent : parents) {
    if (parent >= 0) is_parent[static_cast<std::size_t>(parent)] = true;
  }
  int leaves = 0;
  for (std::size_t leaf = 0; leaf < parents.size(); ++leaf) {
    if (is_parent[leaf]) continue;
    ++leaves;
    std::vector<std::int64_t> path;
    for (auto node = static_cast<std::int32_t>(leaf); node >= 0; node = parents[static_cast<std::size_t>(node)]) {
      path.insert(path.begin(), node);
    }
    std::vector<TokenId> chain = prefix;
    for (std::int64_t node : path) chain.push_back(nodes[static_cast<std::size_t>(node)]);
    const at::Tensor chain_logits = full_forward_logits(model, chain);
    for (std::size_t depth = 0; depth < path.size(); ++depth) {
      EXPECT_LT(max_abs_diff(tree_logits[path[depth]], chain_logits[static_cast<std::int64_t>(prefix.size() + depth)]),
                tolerance)
          << "leaf " << leaf << " node " << path[depth];
    }
  }
  EXPECT_GE(leaves, 2);
}

void ForwardConsistency::kept_tree_path_continues_like_a_linear_run() {
  SCOPED_TRACE("kept tree path");
  const std::vector<TokenId> prefix = make_tokens(6, config_.vocab_size, 21);
  const std::vector<TokenId> nodes = make_tokens(6, config_.vocab_size, 22);
  const std::vector<std::int32_t> parents = {-1, 0, 0, 2, 1, 4};  // paths 0-1-4-5 and 0-2-3
  ModelKv kv(*model_);
  const SequenceId sequence = kv.add(prefix);
  kv.forward(*model_, chain_input(sequence, prefix, LogitsWanted::kNone));
  SequenceInput tree = chain_input(sequence, nodes, LogitsWanted::kNone);
  tree.parents = parents;
  kv.forward(*model_, tree);

  const std::vector<std::int64_t> accepted = {0, 2, 3};
  std::vector<std::int64_t> positions;  // storage positions of the accepted nodes
  for (std::int64_t node : accepted) positions.push_back(static_cast<std::int64_t>(prefix.size()) + node);
  const KeptPath kept{sequence, positions};
  kv.state.keep_path(kv.kv, {&kept, 1});
  ASSERT_EQ(kv.state.kv_length(kv.kv, sequence), 9);
  const std::vector<TokenId> next = make_tokens(3, config_.vocab_size, 23);
  const at::Tensor continued = kv.forward(*model_, chain_input(sequence, next)).logits;

  std::vector<TokenId> linear = prefix;
  for (std::int64_t node : accepted) linear.push_back(nodes[static_cast<std::size_t>(node)]);
  linear.insert(linear.end(), next.begin(), next.end());
  EXPECT_LT(max_abs_diff(continued, full_forward_logits(*model_, linear).narrow(0, 9, 3)), tolerance_);
}

void ForwardConsistency::rollback_and_fork_match_never_having_run_the_tokens() {
  SCOPED_TRACE("rollback and fork");
  // 10 prefix tokens in blocks of 4: the fork shares a half-full last block, so both
  // sequences' next writes copy it first (copy-on-write).
  const std::vector<TokenId> prefix = make_tokens(10, config_.vocab_size, 31);
  const std::vector<TokenId> rejected = make_tokens(5, config_.vocab_size, 32);
  const std::vector<TokenId> next = make_tokens(2, config_.vocab_size, 33);
  ModelKv kv(*model_);
  const SequenceId original = kv.add(prefix);
  kv.forward(*model_, chain_input(original, prefix, LogitsWanted::kNone));
  const SequenceId forked = kv.state.fork(original);
  kv.forward(*model_, chain_input(original, rejected, LogitsWanted::kNone));
  kv.state.rollback(kv.kv, original, 10);

  std::vector<SequenceInput> both = {chain_input(original, next), chain_input(forked, next)};
  const ForwardOutput output = kv.forward(*model_, both);
  std::vector<TokenId> linear = prefix;
  linear.insert(linear.end(), next.begin(), next.end());
  const at::Tensor expected = full_forward_logits(*model_, linear).narrow(0, 10, 2);
  EXPECT_LT(max_abs_diff(output.logits.narrow(0, 0, 2), expected), tolerance_);
  EXPECT_LT(max_abs_diff(output.logits.narrow(0, 2, 2), expected), tolerance_);
}

TEST(ForwardPass, SlidingWindowChangesLongSequences) {
  // The window must matter: the same weights without it give different late logits,
  // and identical logits while the sequence fits in the window.
  c10::InferenceMode guard;
  const ModelConfig windowed = variant_config("mistral_window");
  ModelConfig full = windowed;
  full.layer_windows.assign(2, std::nullopt);
  auto a = random_model(windowed, at::kDouble);
  auto b = random_model(full, at::kDouble);
  const std::vector<TokenId> tokens = make_tokens(12, windowed.vocab_size, 41);
  const at::Tensor la = full_forward_logits(*a, tokens);
  const at::Tensor lb = full_forward_logits(*b, tokens);
  EXPECT_LT(max_abs_diff(la.narrow(0, 0, 5), lb.narrow(0, 0, 5)), 1e-12);
  EXPECT_GT(max_abs_diff(la.narrow(0, 5, 7), lb.narrow(0, 5, 7)), 1e-3);
}

TEST(ForwardPass, ListedLogitsAndHiddenStates) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  auto model = random_model(config, at::kDouble);
  const std::vector<TokenId> tokens = make_tokens(6, config.vocab_size, 51);
  const at::Tensor all = full_forward_logits(*model, tokens);

  ModelKv kv(*model);
  const std::vector<std::int32_t> wanted = {4, 1, 4};
  SequenceInput input = chain_input(kv.add(tokens), tokens, LogitsWanted::kListed);
  input.logits_for = wanted;
  ForwardOptions options;
  options.return_hidden = true;
  const ForwardOutput output = kv.forward(*model, input, options);
  ASSERT_EQ(output.logits.size(0), 3);
  EXPECT_EQ(output.logits.scalar_type(), at::kDouble);
  EXPECT_LT(max_abs_diff(output.logits[0], all[4]), 1e-12);
  EXPECT_LT(max_abs_diff(output.logits[1], all[1]), 1e-12);
  ASSERT_EQ(output.hidden.sizes(), (std::vector<std::int64_t>{3, config.hidden_size}));
}

TEST(ForwardPass, BadInputsChangeNothing) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  auto model = random_model(config, at::kFloat);
  ModelKv kv(*model);
  const std::vector<TokenId> ok = {3, 4, 5};
  const SequenceId a = kv.add(ok);
  const SequenceId b = kv.add({});
  const std::vector<TokenId> bad_token = {3, 97};
  std::vector<SequenceInput> batch = {chain_input(a, ok), chain_input(b, bad_token)};
  EXPECT_THROW(kv.forward(*model, batch), UsageError);
  EXPECT_EQ(kv.state.kv_length(kv.kv, a), 0);

  SequenceInput tree = chain_input(a, ok);
  const std::vector<std::int32_t> forward_parent = {-1, 2, 0};
  tree.parents = forward_parent;
  EXPECT_THROW(kv.forward(*model, tree), UsageError);

  EXPECT_THROW(kv.forward(*model, chain_input(a + b + 7, ok)), UsageError);  // no such sequence
  batch = {chain_input(a, ok), chain_input(a, ok)};
  EXPECT_THROW(kv.forward(*model, batch), UsageError);
  // A catch-up token that is not the committed one.
  const std::vector<TokenId> wrong = {3, 9, 5};
  EXPECT_THROW(kv.forward(*model, chain_input(a, wrong)), UsageError);

  const std::vector<TokenId> too_long = make_tokens(config.max_position_embeddings + 1, config.vocab_size, 1);
  EXPECT_THROW(kv.forward(*model, chain_input(b, too_long)), CapacityError);
  EXPECT_EQ(kv.state.kv_length(kv.kv, a), 0);
  EXPECT_EQ(kv.state.kv_length(kv.kv, b), 0);

  // A pool made for another model's shape is refused by name.
  ModelConfig other = config;
  other.num_hidden_layers += 1;
  other.layer_windows.push_back(std::nullopt);
  auto deeper = random_model(other, at::kFloat);
  ModelKv foreign(*deeper);
  const SequenceId c = foreign.add(ok);
  try {
    model->forward(std::vector<SequenceInput>{chain_input(c, ok)}, foreign.state, foreign.kv);
    ADD_FAILURE() << "a pool of the wrong shape was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("KV pool 'model'"), std::string::npos) << e.what();
  }
  // And the model still works after all of that.
  EXPECT_EQ(kv.forward(*model, chain_input(a, ok)).logits.size(0), 3);
}

TEST(ForwardPass, BFloat16RunsCloseToFloat32) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("qwen3_qknorm");
  auto f32 = random_model(config, at::kFloat);
  auto bf16 = random_model(config, at::kBFloat16);
  const std::vector<TokenId> tokens = make_tokens(20, config.vocab_size, 61);
  const at::Tensor reference = full_forward_logits(*f32, tokens);
  const at::Tensor reduced = full_forward_logits(*bf16, tokens);
  EXPECT_EQ(reduced.scalar_type(), at::kFloat);
  // bfloat16 keeps 8 bits of mantissa: logits of magnitude ~1-5 land within a few tenths.
  EXPECT_LT(max_abs_diff(reduced, reference), 0.5);
  EXPECT_GT(max_abs_diff(reduced, reference), 0.0);
}

}  // namespace
}  // namespace specrouter::testing
