// Running out of KV blocks: the typed error, thrown before anything changes. Every
// refused call must leave every sequence, every block table, the free list and every
// byte of the pools exactly as they were, and the debug check must pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "kv_test_util.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

using testing::append_and_write;
using testing::check_chain;
using testing::small_spec;
using Tokens = std::vector<TokenId>;

// Everything observable about a manager, to compare before and after a refused call.
struct Snapshot {
  std::map<SequenceId, Tokens> committed;
  std::map<std::pair<KvModelId, SequenceId>, Tokens> views;
  std::map<std::pair<KvModelId, SequenceId>, std::vector<BlockId>> tables;
  std::vector<std::vector<BlockId>> free_lists;
  std::vector<std::vector<std::int32_t>> ref_counts;
  std::vector<at::Tensor> keys, values;

  explicit Snapshot(const StateManager& manager) {
    for (SequenceId id : manager.sequences()) {
      const auto tokens = manager.committed_tokens(id);
      committed[id] = Tokens(tokens.begin(), tokens.end());
      for (KvModelId model = 0; model < manager.num_models(); ++model) {
        views[{model, id}] = manager.kv_tokens(model, id);
        const auto table = manager.block_table(model, id);
        tables[{model, id}] = std::vector<BlockId>(table.begin(), table.end());
      }
    }
    for (KvModelId model = 0; model < manager.num_models(); ++model) {
      const KvBlockPool& pool = manager.pool(model);
      free_lists.push_back(pool.free_list());
      std::vector<std::int32_t> counts;
      for (BlockId b = 0; b < pool.num_blocks(); ++b) counts.push_back(pool.ref_count(b));
      ref_counts.push_back(counts);
      keys.push_back(pool.keys().clone());
      values.push_back(pool.values().clone());
    }
  }

  void expect_equal(const Snapshot& other) const {
    EXPECT_EQ(committed, other.committed);
    EXPECT_EQ(views, other.views);
    EXPECT_EQ(tables, other.tables);
    EXPECT_EQ(free_lists, other.free_lists);
    EXPECT_EQ(ref_counts, other.ref_counts);
    for (std::size_t m = 0; m < keys.size(); ++m) {
      EXPECT_TRUE(at::equal(keys[m], other.keys[m])) << "keys of model " << m << " changed";
      EXPECT_TRUE(at::equal(values[m], other.values[m])) << "values of model " << m << " changed";
    }
  }
};

class ExhaustionTest : public ::testing::Test {
 protected:
  StateManager manager_{StateManagerOptions{.debug_checks = true}};
};

TEST_F(ExhaustionTest, APoolTooSmallForThePromptRaisesTheTypedError) {
  const KvModelId model = manager_.add_model(small_spec("target", 4), KvBudget::blocks(2));
  const Tokens prompt(20, 3);
  const SequenceId sequence = manager_.create_sequence(prompt);
  const Snapshot before(manager_);
  try {
    manager_.append(model, sequence, prompt);
    FAIL() << "no error";
  } catch (const OutOfKvMemory& error) {
    EXPECT_NE(std::string(error.what())
                  .find("model 'target' needs 5 free KV blocks of 4 positions, but only 2 of 2 are free"),
              std::string::npos)
        << error.what();
  }
  Snapshot(manager_).expect_equal(before);
  manager_.check_consistency();
  // The harness can catch it as any SpecRouter error, too.
  EXPECT_THROW(manager_.append(model, sequence, prompt), Error);
}

TEST_F(ExhaustionTest, ABatchThatDoesNotFitChangesNoSequence) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(10));
  const KvModelId other = manager_.add_model(small_spec("target", 4), KvBudget::blocks(10));
  std::vector<SequenceId> sequences;
  std::vector<Tokens> contents;
  for (TokenId first : {10, 20, 30}) {
    const Tokens prompt{first, first + 1, first + 2, first + 3, first + 4, first + 5};
    sequences.push_back(manager_.create_sequence(prompt));
    append_and_write(manager_, model, sequences.back(), prompt);  // 2 blocks each
    contents.push_back(prompt);
  }
  EXPECT_EQ(manager_.pool(model).free_blocks(), 4);
  // Each item alone fits (2 and 3 blocks), together they need 5.
  const Tokens ten(10, 1), thirteen(13, 2), none;
  const std::vector<SequenceTokens> batch{{sequences[0], none, {}}, {sequences[1], ten, {}}, {sequences[2], thirteen, {}}};
  const Snapshot before(manager_);
  EXPECT_THROW(manager_.append(model, batch), OutOfKvMemory);
  Snapshot(manager_).expect_equal(before);
  for (std::size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(check_chain(manager_, model, sequences[i], contents[i]), "");

  // Another model's pool is separate and still has room.
  append_and_write(manager_, other, sequences[0], contents[0]);
  // Freeing blocks makes the same call succeed.
  manager_.release(sequences[0]);
  const std::vector<SequenceTokens> retry{{sequences[1], ten, {}}, {sequences[2], thirteen, {}}};
  const KvForwardBatch forward = manager_.append(model, retry);
  EXPECT_EQ(forward.num_tokens, 23);
  EXPECT_EQ(manager_.pool(model).free_blocks(), 1);
}

TEST_F(ExhaustionTest, CopyOnWriteThatFindsNoFreeBlockChangesNothing) {
  const KvModelId model = manager_.add_model(small_spec("draft", 4), KvBudget::blocks(4));
  const Tokens prompt{1, 2, 3, 4, 5, 6};
  const SequenceId parent = manager_.create_sequence(prompt);
  append_and_write(manager_, model, parent, prompt);
  const SequenceId child = manager_.fork(parent);
  append_and_write(manager_, model, parent, Tokens{7, 8, 9});  // copy of block 1, then a new block: pool full
  EXPECT_EQ(manager_.pool(model).free_blocks(), 0);
  // The parent's block 1 is now its own; the child's partial last block is shared with nobody
  // else, so it can write in place even with no free block.
  append_and_write(manager_, model, child, Tokens{70});
  const SequenceId grandchild = manager_.fork(child);
  const Snapshot before(manager_);
  // Writing into the shared partial block needs one copy, and no block is free.
  EXPECT_THROW(manager_.append(model, grandchild, Tokens{71}), OutOfKvMemory);
  Snapshot(manager_).expect_equal(before);
  EXPECT_EQ(check_chain(manager_, model, parent, {1, 2, 3, 4, 5, 6, 7, 8, 9}), "");
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 4, 5, 6, 70}), "");
  EXPECT_EQ(check_chain(manager_, model, grandchild, {1, 2, 3, 4, 5, 6, 70}), "");
  // Dropping the fork returns nothing (all its blocks are shared) but rolling back the
  // parent frees a block, and the copy then succeeds.
  manager_.rollback(model, parent, 8);
  append_and_write(manager_, model, grandchild, Tokens{71});
  EXPECT_EQ(check_chain(manager_, model, grandchild, {1, 2, 3, 4, 5, 6, 70, 71}), "");
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 4, 5, 6, 70}), "");
}

TEST_F(ExhaustionTest, KeepPathThatMustCopyASharedBlockWithNoFreeBlockChangesNothing) {
  const KvModelId model = manager_.add_model(small_spec("target", 4), KvBudget::blocks(2));
  const SequenceId parent = manager_.create_sequence(Tokens{1, 2, 3});
  append_and_write(manager_, model, parent, Tokens{1, 2, 3});
  const Tokens tree{10, 11, 12};
  const std::vector<std::int32_t> parents{-1, -1, 1};
  const SequenceTokens item{parent, tree, parents};
  testing::write_pattern(manager_, model, manager_.append(model, std::span<const SequenceTokens>(&item, 1)), tree);
  const SequenceId child = manager_.fork(parent);
  EXPECT_EQ(manager_.pool(model).free_blocks(), 0);
  const std::vector<std::int64_t> path{4, 5};
  const KeptPath kept{child, path};
  const Snapshot before(manager_);
  EXPECT_THROW(manager_.keep_path(model, std::span<const KeptPath>(&kept, 1)), OutOfKvMemory);
  Snapshot(manager_).expect_equal(before);
  manager_.release(parent);  // now the child owns both blocks and moves in place
  manager_.keep_path(model, std::span<const KeptPath>(&kept, 1));
  EXPECT_EQ(check_chain(manager_, model, child, {1, 2, 3, 11, 12}), "");
}

TEST_F(ExhaustionTest, ExhaustingOnePoolRepeatedlyNeverCorruptsTheOthers) {
  // Sequences grow until the pool refuses, again and again; the debug check runs after
  // every call and the contents are verified after every refusal.
  const KvModelId model = manager_.add_model(small_spec("draft", 3, 1, 1), KvBudget::blocks(12));
  std::vector<SequenceId> sequences;
  std::vector<Tokens> contents;
  for (int i = 0; i < 4; ++i) {
    sequences.push_back(manager_.create_sequence(Tokens{}));
    contents.emplace_back();
  }
  int refusals = 0;
  for (int round = 0; round < 200; ++round) {
    const std::size_t i = static_cast<std::size_t>(round) % sequences.size();
    const Tokens more{static_cast<TokenId>(round), static_cast<TokenId>(round + 1)};
    try {
      append_and_write(manager_, model, sequences[i], more);
      contents[i].insert(contents[i].end(), more.begin(), more.end());
    } catch (const OutOfKvMemory&) {
      ++refusals;
      for (std::size_t s = 0; s < sequences.size(); ++s) {
        ASSERT_EQ(check_chain(manager_, model, sequences[s], contents[s]), "") << "round " << round;
      }
      // Make room: drop the longest sequence's last half.
      const std::size_t longest = static_cast<std::size_t>(
          std::max_element(contents.begin(), contents.end(),
                           [](const Tokens& a, const Tokens& b) { return a.size() < b.size(); }) -
          contents.begin());
      contents[longest].resize(contents[longest].size() / 2);
      manager_.rollback(model, sequences[longest], static_cast<std::int64_t>(contents[longest].size()));
    }
  }
  EXPECT_GT(refusals, 5);
  manager_.check_consistency();
}

}  // namespace
}  // namespace specrouter
