// The state manager's operations one by one: what each does to token views, block tables,
// reference counts and K/V contents, and what it refuses.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kv_test_util.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

using testing::append_and_write;
using testing::check_chain;
using testing::check_contents;
using testing::small_spec;
using testing::write_pattern;
using Tokens = std::vector<TokenId>;

Tokens to_vector(std::span<const TokenId> span) { return Tokens(span.begin(), span.end()); }
Tokens concat(Tokens a, const Tokens& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class StateManagerTest : public ::testing::Test {
 protected:
  StateManager manager_{StateManagerOptions{.debug_checks = true}};
};

TEST_F(StateManagerTest, PromptIsEveryModelsCatchUpAndAppendReturnsSlotsAndTables) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const Tokens prompt{11, 12, 13, 14, 15};
  const SequenceId sequence = manager_.create_sequence(prompt);
  EXPECT_EQ(manager_.kv_length(model, sequence), 0);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), prompt);

  const KvForwardBatch batch = manager_.append(model, sequence, prompt);
  write_pattern(manager_, model, batch, prompt);
  EXPECT_EQ(batch.num_tokens, 5);
  EXPECT_EQ(batch.max_context_len, 5);
  EXPECT_EQ(batch.sequences, std::vector<SequenceId>{sequence});
  EXPECT_FALSE(batch.tree_parents.defined());
  // Blocks 0 and 1 are handed out first: slots 0..4.
  EXPECT_TRUE(at::equal(batch.slot_mapping, at::arange(5, at::kLong)));
  EXPECT_TRUE(at::equal(batch.positions, at::arange(5, at::kLong)));
  EXPECT_TRUE(at::equal(batch.query_start, at::tensor(std::vector<std::int64_t>{0, 5})));
  EXPECT_TRUE(at::equal(batch.context_lens, at::tensor(std::vector<std::int64_t>{5})));
  EXPECT_TRUE(at::equal(batch.block_tables, at::tensor(std::vector<std::int32_t>{0, 1}).view({1, 2})));
  EXPECT_EQ(manager_.kv_length(model, sequence), 5);
  EXPECT_TRUE(manager_.catch_up_tokens(model, sequence).empty());
  EXPECT_EQ(manager_.block_table(model, sequence).size(), 2u);
  EXPECT_EQ(check_chain(manager_, model, sequence, prompt), "");
}

TEST_F(StateManagerTest, CatchUpTokenThatDiffersFromTheCommittedOneIsRefused) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const SequenceId sequence = manager_.create_sequence(Tokens{1, 2, 3});
  try {
    manager_.append(model, sequence, Tokens{1, 9});
    FAIL() << "no error";
  } catch (const KvStateError& error) {
    EXPECT_NE(std::string(error.what()).find("token 9 at committed position 1 differs from the committed token 2"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(manager_.kv_length(model, sequence), 0);
  EXPECT_EQ(manager_.pool(model).used_blocks(), 0);
}

TEST_F(StateManagerTest, CommitKeepsAgreeingDraftInPlaceAndCutsAtTheFirstDisagreement) {
  const KvModelId drafter = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const KvModelId target = manager_.add_model(small_spec("target", 2), KvBudget::blocks(16));
  const Tokens prompt{1, 2, 3, 4, 5, 6};
  const SequenceId sequence = manager_.create_sequence(prompt);
  append_and_write(manager_, drafter, sequence, concat(prompt, {7, 8, 9}));
  append_and_write(manager_, target, sequence, Tokens{1, 2, 3});  // the target lags
  EXPECT_EQ(manager_.speculative_tokens(drafter, sequence), (Tokens{7, 8, 9}));

  manager_.commit(sequence, Tokens{7, 8, 5});
  const Tokens committed{1, 2, 3, 4, 5, 6, 7, 8, 5};
  EXPECT_EQ(to_vector(manager_.committed_tokens(sequence)), committed);
  // The drafter keeps 7, 8 (now committed K/V, not copied) and drops 9.
  EXPECT_EQ(manager_.kv_length(drafter, sequence), 8);
  EXPECT_TRUE(manager_.speculative_tokens(drafter, sequence).empty());
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(drafter, sequence)), (Tokens{5}));
  EXPECT_EQ(check_chain(manager_, drafter, sequence, concat(prompt, {7, 8})), "");
  EXPECT_EQ(manager_.pool(drafter).used_blocks(), 2);
  // The target is untouched and now has six tokens to catch up on.
  EXPECT_EQ(manager_.kv_length(target, sequence), 3);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(target, sequence)), (Tokens{4, 5, 6, 7, 8, 5}));
}

TEST_F(StateManagerTest, CommitLongerThanTheDraftKeepsItAllAndLeavesTheRestToCatchUp) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const SequenceId sequence = manager_.create_sequence(Tokens{1, 2});
  append_and_write(manager_, model, sequence, Tokens{1, 2, 3, 4});
  manager_.commit(sequence, Tokens{3, 4, 5});
  EXPECT_EQ(manager_.kv_length(model, sequence), 4);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), (Tokens{5}));
  // Catching up and drafting in one forward.
  append_and_write(manager_, model, sequence, Tokens{5, 6, 7});
  EXPECT_EQ(manager_.speculative_tokens(model, sequence), (Tokens{6, 7}));
  EXPECT_EQ(check_chain(manager_, model, sequence, Tokens{1, 2, 3, 4, 5, 6, 7}), "");
}

TEST_F(StateManagerTest, RollbackFreesWholeBlocksAndLeavesKeptContentsAlone) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const Tokens prompt{1, 2, 3};
  const SequenceId sequence = manager_.create_sequence(prompt);
  append_and_write(manager_, model, sequence, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  EXPECT_EQ(manager_.pool(model).used_blocks(), 3);
  const std::vector<BlockId> before(manager_.block_table(model, sequence).begin(),
                                    manager_.block_table(model, sequence).end());
  manager_.rollback(model, sequence, 5);
  EXPECT_EQ(manager_.kv_length(model, sequence), 5);
  EXPECT_EQ(manager_.pool(model).used_blocks(), 2);
  EXPECT_EQ(std::vector<BlockId>(manager_.block_table(model, sequence).begin(), manager_.block_table(model, sequence).end()),
            std::vector<BlockId>(before.begin(), before.begin() + 2));
  EXPECT_EQ(check_chain(manager_, model, sequence, {1, 2, 3, 4, 5}), "");
  EXPECT_EQ(manager_.speculative_tokens(model, sequence), (Tokens{4, 5}));
  // Below the committed length: the model lags and must catch up.
  manager_.rollback(model, sequence, 1);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), (Tokens{2, 3}));
  EXPECT_EQ(manager_.pool(model).used_blocks(), 1);
  // A longer target than what is held changes nothing.
  manager_.rollback(model, sequence, 100);
  EXPECT_EQ(manager_.kv_length(model, sequence), 1);
  manager_.rollback(model, sequence, 0);
  EXPECT_EQ(manager_.pool(model).used_blocks(), 0);
}

TEST_F(StateManagerTest, RaggedBatchRollbackOfEveryModelInOneCall) {
  const KvModelId drafter = manager_.add_model(small_spec("draft", 2), KvBudget::blocks(32));
  const KvModelId middle = manager_.add_model(small_spec("middle", 3), KvBudget::blocks(32));
  const KvModelId target = manager_.add_model(small_spec("target", 4), KvBudget::blocks(32));
  std::vector<SequenceId> sequences;
  for (TokenId first : {10, 20, 30}) {
    const Tokens tokens{first, first + 1, first + 2, first + 3, first + 4, first + 5, first + 6};
    const SequenceId sequence = manager_.create_sequence(Tokens(tokens.begin(), tokens.begin() + 2));
    for (KvModelId model : {drafter, middle, target}) append_and_write(manager_, model, sequence, tokens);
    sequences.push_back(sequence);
  }
  const std::vector<KvModelId> chain{drafter, target};  // the middle model is not rolled back
  const std::vector<SequenceLength> lengths{{sequences[0], 3}, {sequences[1], 7}, {sequences[2], 0}};
  manager_.rollback(chain, lengths);
  for (KvModelId model : chain) {
    EXPECT_EQ(manager_.kv_length(model, sequences[0]), 3);
    EXPECT_EQ(manager_.kv_length(model, sequences[1]), 7);
    EXPECT_EQ(manager_.kv_length(model, sequences[2]), 0);
    EXPECT_EQ(check_chain(manager_, model, sequences[0], {10, 11, 12}), "");
  }
  for (SequenceId sequence : sequences) EXPECT_EQ(manager_.kv_length(middle, sequence), 7);

  manager_.rollback_to_committed(std::vector<KvModelId>{middle}, sequences);
  for (SequenceId sequence : sequences) EXPECT_EQ(manager_.kv_length(middle, sequence), 2);
}

TEST_F(StateManagerTest, ForkSharesEveryBlockAndCopiesTheSharedPartialBlockOnFirstWrite) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const Tokens prompt{1, 2, 3, 4, 5, 6};
  const SequenceId parent = manager_.create_sequence(prompt);
  append_and_write(manager_, model, parent, prompt);
  const SequenceId child = manager_.fork(parent);
  KvBlockPool& pool = manager_.pool(model);
  EXPECT_EQ(pool.used_blocks(), 2);
  for (BlockId block : manager_.block_table(model, child)) EXPECT_EQ(pool.ref_count(block), 2);
  EXPECT_EQ(to_vector(manager_.committed_tokens(child)), prompt);

  // The child writes into the shared partial block: it gets its own copy first.
  append_and_write(manager_, model, child, {7, 8, 9});
  EXPECT_EQ(pool.used_blocks(), 4);  // 2 shared/owned + the copy + one new block
  EXPECT_EQ(manager_.block_table(model, child)[0], manager_.block_table(model, parent)[0]);
  EXPECT_NE(manager_.block_table(model, child)[1], manager_.block_table(model, parent)[1]);
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 4, 5, 6, 7, 8, 9}), "");
  EXPECT_EQ(check_chain(manager_, model, parent, prompt), "");
  // The parent now owns its partial block alone and writes in place.
  append_and_write(manager_, model, parent, {70});
  EXPECT_EQ(pool.used_blocks(), 4);
  EXPECT_EQ(check_chain(manager_, model, parent, {1, 2, 3, 4, 5, 6, 70}), "");

  // Releasing the parent keeps the shared first block alive for the child.
  manager_.release(parent);
  EXPECT_EQ(pool.used_blocks(), 3);
  EXPECT_EQ(pool.ref_count(manager_.block_table(model, child)[0]), 1);
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 4, 5, 6, 7, 8, 9}), "");
  manager_.release(child);
  EXPECT_EQ(pool.used_blocks(), 0);
  EXPECT_EQ(pool.peak_used_blocks(), 4);
}

TEST_F(StateManagerTest, ForksOfAPromptShareItsPrefix) {
  const KvModelId model = manager_.add_model(small_spec("target", 8), KvBudget::blocks(16));
  Tokens prompt(32);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<TokenId>(100 + i);
  const SequenceId shared = manager_.create_sequence(prompt);
  append_and_write(manager_, model, shared, prompt);
  std::vector<SequenceId> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(manager_.fork(shared));
  manager_.release(shared);
  MemoryReport report = manager_.memory_report();
  EXPECT_EQ(report.pools[0].used_blocks, 4);
  EXPECT_EQ(report.pools[0].shared_blocks, 4);
  EXPECT_EQ(report.pools[0].stored_positions, 96);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    append_and_write(manager_, model, requests[i], {static_cast<TokenId>(i)});
  }
  report = manager_.memory_report();
  EXPECT_EQ(report.pools[0].used_blocks, 7);  // the prompt once, one new block per request
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(check_chain(manager_, model, requests[i], concat(prompt, {static_cast<TokenId>(i)})), "");
  }
}

TEST_F(StateManagerTest, TreeAppendGivesDepthPositionsAndKeepPathCompactsTheAcceptedBranch) {
  const KvModelId model = manager_.add_model(small_spec("target", 4), KvBudget::blocks(8));
  const Tokens prompt{1, 2, 3, 4, 5};
  const SequenceId sequence = manager_.create_sequence(prompt);
  append_and_write(manager_, model, sequence, prompt);
  // Tree: 10 and 11 children of the prompt, 12 under 10, 13 under 11, 14 under 13.
  const Tokens tree{10, 11, 12, 13, 14};
  const std::vector<std::int32_t> parents{-1, -1, 0, 1, 3};
  const SequenceTokens item{sequence, tree, parents};
  const KvForwardBatch batch = manager_.append(model, std::span<const SequenceTokens>(&item, 1));
  write_pattern(manager_, model, batch, tree);
  EXPECT_TRUE(at::equal(batch.positions, at::tensor(std::vector<std::int64_t>{5, 5, 6, 6, 7})));
  EXPECT_TRUE(at::equal(batch.tree_parents, at::tensor(parents)));
  EXPECT_EQ(check_contents(manager_, model, sequence, concat(prompt, tree), {0, 1, 2, 3, 4, 5, 5, 6, 6, 7}), "");
  // New tokens would attend to every branch: refused until the tree is resolved.
  EXPECT_THROW(manager_.append(model, sequence, Tokens{99}), KvStateError);

  // The verifier accepted 11 -> 13 -> 14 (storage positions 6, 8, 9).
  const std::vector<std::int64_t> path{6, 8, 9};
  const KeptPath kept{sequence, path};
  manager_.keep_path(model, std::span<const KeptPath>(&kept, 1));
  EXPECT_EQ(manager_.kv_tokens(model, sequence), (Tokens{1, 2, 3, 4, 5, 11, 13, 14}));
  EXPECT_EQ(check_chain(manager_, model, sequence, {1, 2, 3, 4, 5, 11, 13, 14}), "");
  EXPECT_EQ(manager_.pool(model).used_blocks(), 2);
  manager_.commit(sequence, Tokens{11, 13, 14, 15});
  EXPECT_TRUE(manager_.speculative_tokens(model, sequence).empty());
  EXPECT_EQ(manager_.kv_length(model, sequence), 8);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), (Tokens{15}));
}

TEST_F(StateManagerTest, CommitKeepsOnlyTheTreesLeadingChain) {
  const KvModelId model = manager_.add_model(small_spec("target", 4), KvBudget::blocks(8));
  const SequenceId sequence = manager_.create_sequence(Tokens{1, 2});
  append_and_write(manager_, model, sequence, Tokens{1, 2});
  const Tokens tree{10, 12, 11};
  const std::vector<std::int32_t> parents{-1, 0, -1};  // 10 -> 12 is a chain, 11 a sibling of 10
  const SequenceTokens item{sequence, tree, parents};
  write_pattern(manager_, model, manager_.append(model, std::span<const SequenceTokens>(&item, 1)), tree);
  manager_.commit(sequence, Tokens{10, 12, 11});  // 11 at position 4 was computed at position 2
  EXPECT_EQ(manager_.kv_tokens(model, sequence), (Tokens{1, 2, 10, 12}));
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), (Tokens{11}));
}

TEST_F(StateManagerTest, KeepPathCopiesABlockAForkStillReads) {
  const KvModelId model = manager_.add_model(small_spec("target", 4), KvBudget::blocks(8));
  const SequenceId parent = manager_.create_sequence(Tokens{1, 2, 3});
  append_and_write(manager_, model, parent, Tokens{1, 2, 3});
  const Tokens tree{10, 11, 12};
  const std::vector<std::int32_t> parents{-1, -1, 1};
  const SequenceTokens item{parent, tree, parents};
  write_pattern(manager_, model, manager_.append(model, std::span<const SequenceTokens>(&item, 1)), tree);
  const SequenceId child = manager_.fork(parent);
  const std::vector<std::int64_t> path{4, 5};  // 11 -> 12
  const KeptPath kept{child, path};
  manager_.keep_path(model, std::span<const KeptPath>(&kept, 1));
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 11, 12}), "");
  EXPECT_EQ(check_contents(manager_, model, parent, {1, 2, 3, 10, 11, 12}, {0, 1, 2, 3, 3, 4}), "");
}

TEST_F(StateManagerTest, BadArgumentsAreRefusedWithoutChanges) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const SequenceId sequence = manager_.create_sequence(Tokens{1, 2, 3});
  append_and_write(manager_, model, sequence, Tokens{1, 2, 3, 4});
  EXPECT_THROW(manager_.append(model, 12345, Tokens{1}), KvStateError);
  EXPECT_THROW(manager_.append(7, sequence, Tokens{4}), KvStateError);
  EXPECT_THROW(manager_.rollback(model, sequence, -1), KvStateError);
  EXPECT_THROW(manager_.release(999), KvStateError);
  EXPECT_THROW(manager_.model_id("nope"), KvStateError);
  EXPECT_THROW(manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8)), KvStateError);
  EXPECT_THROW(manager_.add_model(small_spec("tiny", 4), KvBudget::bytes(10)), KvStateError);
  const Tokens token{5};
  const std::vector<SequenceTokens> twice{{sequence, token, {}}, {sequence, token, {}}};
  EXPECT_THROW(manager_.append(model, twice), KvStateError);
  EXPECT_THROW(manager_.commit(twice), KvStateError);
  const std::vector<std::int32_t> bad_parents{1};
  const SequenceTokens bad_tree{sequence, token, bad_parents};
  EXPECT_THROW(manager_.append(model, std::span<const SequenceTokens>(&bad_tree, 1)), KvStateError);
  const std::vector<std::int64_t> not_a_tree{1};
  const KeptPath bad_path{sequence, not_a_tree};  // position 1 is committed, not speculative
  EXPECT_THROW(manager_.keep_path(model, std::span<const KeptPath>(&bad_path, 1)), KvStateError);
  // The partially valid release refuses everything.
  const std::vector<SequenceId> mixed{sequence, 999};
  EXPECT_THROW(manager_.release(mixed), KvStateError);
  EXPECT_TRUE(manager_.contains(sequence));
  EXPECT_EQ(manager_.kv_tokens(model, sequence), (Tokens{1, 2, 3, 4}));
  EXPECT_EQ(check_chain(manager_, model, sequence, {1, 2, 3, 4}), "");
  EXPECT_EQ(manager_.model_id("draft"), model);
}

TEST_F(StateManagerTest, ModelAddedLaterStartsEmptyAndCatchesUp) {
  const SequenceId sequence = manager_.create_sequence(Tokens{4, 5, 6});
  manager_.commit(sequence, Tokens{7});
  const KvModelId model = manager_.add_model(small_spec("late", 2), KvBudget::blocks(4));
  EXPECT_EQ(manager_.kv_length(model, sequence), 0);
  EXPECT_EQ(to_vector(manager_.catch_up_tokens(model, sequence)), (Tokens{4, 5, 6, 7}));
}

TEST_F(StateManagerTest, BudgetInBytesAndMemoryReport) {
  KvCacheSpec spec = small_spec("target", 16, /*layers=*/3, /*heads=*/2, /*head_dim=*/8);
  // 2 (K,V) * 3 layers * 2 heads * 8 dims * 4 bytes.
  EXPECT_EQ(spec.bytes_per_token(), 384);
  EXPECT_EQ(spec.bytes_per_block(), 384 * 16);
  const KvModelId model = manager_.add_model(spec, KvBudget::bytes(384 * 16 * 10 + 100));
  EXPECT_EQ(manager_.pool(model).num_blocks(), 10);
  const SequenceId sequence = manager_.create_sequence(Tokens(20, 1));
  append_and_write(manager_, model, sequence, Tokens(20, 1));
  const KvPoolUsage usage = manager_.memory_report().pools.at(0);
  EXPECT_EQ(usage.used_blocks, 2);
  EXPECT_EQ(usage.free_blocks, 8);
  EXPECT_EQ(usage.peak_used_blocks, 2);
  EXPECT_EQ(usage.reserved_bytes, 10 * 384 * 16);
  EXPECT_DOUBLE_EQ(usage.used_bytes_per_position(), 2.0 * 384 * 16 / 20);
  EXPECT_NE(manager_.memory_report().to_string().find("target"), std::string::npos);
}

// A block_copy kernel that copies with memcpy and counts its calls.
class CountingBlockCopy final : public BlockCopyKernel {
 public:
  int calls = 0;
  std::size_t pairs = 0;

 protected:
  void run(const BlockBuffer& buffer, std::span<const BlockCopyPair> copy_pairs, void*) override {
    ++calls;
    pairs += copy_pairs.size();
    auto* base = static_cast<char*>(buffer.data);
    for (const BlockCopyPair& pair : copy_pairs) {
      std::memcpy(base + pair.dst * buffer.block_bytes, base + pair.src * buffer.block_bytes,
                  static_cast<std::size_t>(buffer.block_bytes));
    }
  }
};

TEST_F(StateManagerTest, CopyOnWriteGoesThroughTheBlockCopyKernelOnceForAWholeBatch) {
  auto block_copy = std::make_shared<CountingBlockCopy>();
  const KvModelId model = manager_.add_model(small_spec("draft", 4, /*layers=*/3), KvBudget::blocks(16), block_copy);
  const SequenceId parent = manager_.create_sequence(Tokens{1, 2, 3, 4, 5});
  append_and_write(manager_, model, parent, Tokens{1, 2, 3, 4, 5});
  const SequenceId first = manager_.fork(parent);
  const SequenceId second = manager_.fork(parent);
  const Tokens a{6}, b{7};
  const std::vector<SequenceTokens> batch{{first, a, {}}, {second, b, {}}};
  const KvForwardBatch forward = manager_.append(model, batch);
  write_pattern(manager_, model, forward, Tokens{6, 7});
  EXPECT_EQ(block_copy->calls, 1);
  EXPECT_EQ(block_copy->pairs, 2u * 2u * 3u);  // two blocks, K and V, three layers
  EXPECT_EQ(check_chain(manager_, model, first, {1, 2, 3, 4, 5, 6}), "");
  EXPECT_EQ(check_chain(manager_, model, second, {1, 2, 3, 4, 5, 7}), "");
  EXPECT_EQ(check_chain(manager_, model, parent, {1, 2, 3, 4, 5}), "");
}

TEST_F(StateManagerTest, ConsistencyCheckCatchesAStaleSlotAndABadReferenceCount) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(8));
  const SequenceId sequence = manager_.create_sequence(Tokens{1, 2, 3, 4, 5, 6});
  append_and_write(manager_, model, sequence, Tokens{1, 2, 3, 4, 5, 6});
  manager_.check_consistency();
  KvBlockPool& pool = manager_.pool(model);
  const std::int64_t slot = manager_.block_table(model, sequence)[1] * 4 + 1;  // position 5
  detail::StateTestAccess::record(pool, slot, 42, 5);
  try {
    manager_.check_consistency();
    FAIL() << "no error";
  } catch (const KvConsistencyError& error) {
    EXPECT_NE(std::string(error.what()).find("model 'draft': sequence " + std::to_string(sequence) +
                                             " position 5: slot " + std::to_string(slot) +
                                             " holds token 42 (position 5), expected token 6 (position 5)"),
              std::string::npos)
        << error.what();
  }
  detail::StateTestAccess::record(pool, slot, 6, 5);
  manager_.check_consistency();
  detail::StateTestAccess::retain(pool, manager_.block_table(model, sequence)[0]);
  EXPECT_THROW(manager_.check_consistency(), KvConsistencyError);
  detail::StateTestAccess::release(pool, manager_.block_table(model, sequence)[0]);
  manager_.check_consistency();
}

}  // namespace
}  // namespace specrouter
