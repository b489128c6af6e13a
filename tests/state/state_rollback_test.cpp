// A ragged batch drafted, verified and rolled back (each sequence to its own accepted
// length, every model in one call) must be indistinguishable from a fresh manager that
// was only ever fed the accepted tokens: same token views, same K/V bytes at every held
// position, and bit-identical attention outputs for the next token through both
// paged_attention kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kv_test_util.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/state/state_manager.h"

void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);

namespace specrouter {
namespace {

using Tokens = std::vector<TokenId>;

// K/V "computed" by a model: a deterministic, irregular function of the token, the
// position it was computed at, the layer, head and dimension.
float pseudo_kv(TokenId token, std::int64_t position, std::int64_t layer, std::int64_t head, std::int64_t d, bool value) {
  const double x = 0.37 * token + 1.31 * static_cast<double>(position) + 0.7 * static_cast<double>(layer) +
                   0.19 * static_cast<double>(head) + 0.053 * static_cast<double>(d) + (value ? 2.1 : 0.0);
  return static_cast<float>(std::sin(x) + 0.25 * std::cos(3.0 * x));
}

void forward(StateManager& manager, KvModelId model, std::span<const SequenceTokens> batch, KvForwardBatch* out = nullptr) {
  const KvForwardBatch plan = manager.append(model, batch);
  const KvCacheSpec& spec = manager.pool(model).spec();
  std::vector<TokenId> tokens;
  for (const SequenceTokens& item : batch) tokens.insert(tokens.end(), item.tokens.begin(), item.tokens.end());
  const auto* positions = plan.positions.data_ptr<std::int64_t>();
  for (std::int64_t layer = 0; layer < spec.num_layers; ++layer) {
    at::Tensor keys = at::empty({plan.num_tokens, spec.num_kv_heads, spec.head_dim});
    at::Tensor values = at::empty({plan.num_tokens, spec.num_kv_heads, spec.head_dim});
    auto k = keys.accessor<float, 3>();
    auto v = values.accessor<float, 3>();
    for (std::int64_t t = 0; t < plan.num_tokens; ++t) {
      for (std::int64_t h = 0; h < spec.num_kv_heads; ++h) {
        for (std::int64_t d = 0; d < spec.head_dim; ++d) {
          k[t][h][d] = pseudo_kv(tokens[static_cast<std::size_t>(t)], positions[t], layer, h, d, false);
          v[t][h][d] = pseudo_kv(tokens[static_cast<std::size_t>(t)], positions[t], layer, h, d, true);
        }
      }
    }
    manager.pool(model).write(layer, plan.slot_mapping, keys, values);
  }
  if (out != nullptr) *out = plan;
}

// The K/V of positions [0, kv_length) of (model, sequence), gathered through the block
// table: [layers, kv_length, heads, head_dim] each.
std::pair<at::Tensor, at::Tensor> gathered(const StateManager& manager, KvModelId model, SequenceId sequence) {
  const KvBlockPool& pool = manager.pool(model);
  const std::span<const BlockId> table = manager.block_table(model, sequence);
  const at::Tensor index = at::tensor(std::vector<std::int64_t>(table.begin(), table.end()), at::kLong);
  const std::int64_t length = manager.kv_length(model, sequence);
  auto gather = [&](const at::Tensor& storage) {  // [layers, blocks, block_size, heads, dim]
    return storage.index_select(1, index)
        .reshape({storage.size(0), -1, storage.size(3), storage.size(4)})
        .narrow(1, 0, length);
  };
  return {gather(pool.keys()), gather(pool.values())};
}

struct Request {
  Tokens prompt;
  Tokens draft;
  std::int64_t accepted;  // draft tokens the verifier keeps
};

class RaggedRollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu_attention(registrar);
    registrar.commit(registries_);
    kernels_ = {make_paged_attention(registries_.kernels, "reference"), make_paged_attention(registries_.kernels, "cpu")};
  }

  // Two models (different block sizes and shapes), as a draft/target pair.
  static std::vector<KvModelId> add_models(StateManager& manager) {
    return {manager.add_model(testing::small_spec("draft", 4, 2, 2, 8), KvBudget::blocks(64)),
            manager.add_model(testing::small_spec("target", 3, 3, 1, 16), KvBudget::blocks(96))};
  }

  // One more token per sequence, then attention of every layer of every model through
  // both kernels: [models * layers * kernels] outputs.
  std::vector<at::Tensor> next_token_attention(StateManager& manager, const std::vector<KvModelId>& models,
                                               const std::vector<SequenceId>& sequences) {
    std::vector<at::Tensor> outputs;
    const Tokens next{42};
    for (KvModelId model : models) {
      std::vector<SequenceTokens> batch;
      for (SequenceId sequence : sequences) batch.push_back({sequence, next, {}});
      KvForwardBatch plan;
      forward(manager, model, batch, &plan);
      const KvCacheSpec& spec = manager.pool(model).spec();
      at::manual_seed(7);
      const at::Tensor query = at::randn({plan.num_tokens, 2 * spec.num_kv_heads, spec.head_dim});
      for (std::int64_t layer = 0; layer < spec.num_layers; ++layer) {
        for (const auto& kernel : kernels_) {
          outputs.push_back(kernel->forward(attention_args(plan, manager.pool(model), layer, query,
                                                           1.0 / std::sqrt(static_cast<double>(spec.head_dim)))));
        }
      }
    }
    return outputs;
  }

  void expect_same_state(StateManager& rolled_back, const std::vector<SequenceId>& rolled_ids, StateManager& fresh,
                         const std::vector<SequenceId>& fresh_ids, const std::vector<KvModelId>& models) {
    for (std::size_t i = 0; i < rolled_ids.size(); ++i) {
      for (KvModelId model : models) {
        EXPECT_EQ(rolled_back.kv_tokens(model, rolled_ids[i]), fresh.kv_tokens(model, fresh_ids[i]));
        const auto [keys_a, values_a] = gathered(rolled_back, model, rolled_ids[i]);
        const auto [keys_b, values_b] = gathered(fresh, model, fresh_ids[i]);
        EXPECT_TRUE(at::equal(keys_a, keys_b)) << "keys of sequence " << i << " model " << model;
        EXPECT_TRUE(at::equal(values_a, values_b)) << "values of sequence " << i << " model " << model;
      }
    }
    const std::vector<at::Tensor> a = next_token_attention(rolled_back, models, rolled_ids);
    const std::vector<at::Tensor> b = next_token_attention(fresh, models, fresh_ids);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "attention output " << i;
  }

  Registries registries_;
  std::vector<std::shared_ptr<PagedAttention>> kernels_;
};

// Prompts and drafts of different lengths, crossing block boundaries; acceptances from
// none to all.
std::vector<Request> requests() {
  return {{{1, 2, 3}, {4, 5, 6, 7, 8}, 2},
          {{9, 8, 7, 6, 5, 4, 3, 2, 1}, {11, 12, 13}, 0},
          {{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, {21, 22, 23, 24, 25, 26, 27}, 7},
          {{30}, {31, 32, 33, 34}, 3}};
}

TEST_F(RaggedRollbackTest, RollbackToEachAcceptedLengthEqualsAFreshManagerFedOnlyTheAcceptedTokens) {
  StateManager rolled_back{StateManagerOptions{.debug_checks = true}};
  StateManager fresh{StateManagerOptions{.debug_checks = true}};
  const std::vector<KvModelId> models = add_models(rolled_back);
  add_models(fresh);
  std::vector<SequenceId> rolled_ids, fresh_ids;
  std::vector<Tokens> drafted, accepted;
  for (const Request& request : requests()) {
    rolled_ids.push_back(rolled_back.create_sequence(request.prompt));
    Tokens all = request.prompt;
    all.insert(all.end(), request.draft.begin(), request.draft.end());
    drafted.push_back(all);
    fresh_ids.push_back(fresh.create_sequence(request.prompt));
    Tokens kept = request.prompt;
    kept.insert(kept.end(), request.draft.begin(), request.draft.begin() + request.accepted);
    accepted.push_back(kept);
  }
  // One ragged forward per model with prompt + draft; the fresh manager gets only what is kept.
  for (KvModelId model : models) {
    std::vector<SequenceTokens> batch, fresh_batch;
    for (std::size_t i = 0; i < rolled_ids.size(); ++i) {
      batch.push_back({rolled_ids[i], drafted[i], {}});
      fresh_batch.push_back({fresh_ids[i], accepted[i], {}});
    }
    forward(rolled_back, model, batch);
    forward(fresh, model, fresh_batch);
  }
  std::vector<SequenceLength> lengths;
  for (std::size_t i = 0; i < rolled_ids.size(); ++i) {
    lengths.push_back({rolled_ids[i], static_cast<std::int64_t>(accepted[i].size())});
  }
  const std::int64_t used_before = rolled_back.pool(models[1]).used_blocks();
  rolled_back.rollback(models, lengths);  // every sequence to its own length, both models, one call
  EXPECT_LT(rolled_back.pool(models[1]).used_blocks(), used_before);
  EXPECT_EQ(rolled_back.pool(models[1]).used_blocks(), fresh.pool(models[1]).used_blocks());
  expect_same_state(rolled_back, rolled_ids, fresh, fresh_ids, models);
}

TEST_F(RaggedRollbackTest, CommitOfAcceptedPlusRecoveredTokensEqualsAFreshManager) {
  // The same through commit(): the target's verdict (accepted + one recovered token) cuts
  // every model's draft where it disagrees; the recovered token is then caught up.
  StateManager rolled_back{StateManagerOptions{.debug_checks = true}};
  StateManager fresh{StateManagerOptions{.debug_checks = true}};
  const std::vector<KvModelId> models = add_models(rolled_back);
  add_models(fresh);
  std::vector<SequenceId> rolled_ids, fresh_ids;
  std::vector<Tokens> committed;
  for (const Request& request : requests()) {
    const SequenceId id = rolled_back.create_sequence(request.prompt);
    rolled_ids.push_back(id);
    Tokens all = request.prompt;
    all.insert(all.end(), request.draft.begin(), request.draft.end());
    for (KvModelId model : models) forward(rolled_back, model, std::vector<SequenceTokens>{{id, all, {}}});
    Tokens verdict(request.draft.begin(), request.draft.begin() + request.accepted);
    verdict.push_back(100 + static_cast<TokenId>(request.accepted));  // recovered (or bonus) token
    committed.push_back(request.prompt);
    committed.back().insert(committed.back().end(), verdict.begin(), verdict.end());
    rolled_back.commit(id, verdict);
    fresh_ids.push_back(fresh.create_sequence(committed.back()));
  }
  // Both catch up on what they lack (the recovered token; everything for the fresh one).
  for (KvModelId model : models) {
    std::vector<Tokens> catch_up_a, catch_up_b;
    std::vector<SequenceTokens> batch_a, batch_b;
    for (std::size_t i = 0; i < rolled_ids.size(); ++i) {
      const auto a = rolled_back.catch_up_tokens(model, rolled_ids[i]);
      EXPECT_EQ(a.size(), 1u);
      catch_up_a.emplace_back(a.begin(), a.end());
      const auto b = fresh.catch_up_tokens(model, fresh_ids[i]);
      catch_up_b.emplace_back(b.begin(), b.end());
    }
    for (std::size_t i = 0; i < rolled_ids.size(); ++i) {
      batch_a.push_back({rolled_ids[i], catch_up_a[i], {}});
      batch_b.push_back({fresh_ids[i], catch_up_b[i], {}});
    }
    forward(rolled_back, model, batch_a);
    forward(fresh, model, batch_b);
  }
  expect_same_state(rolled_back, rolled_ids, fresh, fresh_ids, models);
}

TEST_F(RaggedRollbackTest, TreeVerifiedThenKeepPathEqualsAFreshManagerFedTheAcceptedBranch) {
  StateManager rolled_back{StateManagerOptions{.debug_checks = true}};
  StateManager fresh{StateManagerOptions{.debug_checks = true}};
  const std::vector<KvModelId> models = add_models(rolled_back);
  add_models(fresh);
  const Tokens prompt{3, 1, 4, 1, 5};
  const SequenceId tree_id = rolled_back.create_sequence(prompt);
  for (KvModelId model : models) forward(rolled_back, model, std::vector<SequenceTokens>{{tree_id, prompt, {}}});
  const SequenceId forked = rolled_back.fork(tree_id);  // shares the prompt's blocks, partial last one included
  // Tree: two branches, 10 -> 12 -> 14 and 11 -> 13 (the shared partial block is copied first).
  const Tokens tokens{10, 11, 12, 13, 14};
  const std::vector<std::int32_t> parents{-1, -1, 0, 1, 2};
  for (KvModelId model : models) forward(rolled_back, model, std::vector<SequenceTokens>{{tree_id, tokens, parents}});
  const std::vector<std::int64_t> path{6, 8};  // 11 -> 13
  const KeptPath kept{tree_id, path};
  for (KvModelId model : models) rolled_back.keep_path(model, std::span<const KeptPath>(&kept, 1));

  const Tokens branch{3, 1, 4, 1, 5, 11, 13};
  const SequenceId fresh_id = fresh.create_sequence(prompt);
  const SequenceId fresh_fork = fresh.create_sequence(prompt);
  for (KvModelId model : models) {
    forward(fresh, model, std::vector<SequenceTokens>{{fresh_id, branch, {}}});
    forward(fresh, model, std::vector<SequenceTokens>{{fresh_fork, prompt, {}}});
  }
  expect_same_state(rolled_back, {tree_id, forked}, fresh, {fresh_id, fresh_fork}, models);
}

}  // namespace
}  // namespace specrouter
