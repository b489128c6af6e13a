// Randomized property test: tens of thousands of random operations (append with
// catch-up, drafts and trees, commit, ragged rollback, rollback to committed, fork,
// release, keep_path, and calls that must be refused) over three models with different
// block sizes. After every operation the manager (debug checks on) must agree with a
// plain reference model, a vector of (token, position, parent) per (model, sequence),
// in its token views and in the K/V bytes of every held position. A failure prints the
// seed and the operation index; SPECROUTER_STATE_SEED=<n> replays one seed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kv_test_util.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

using Tokens = std::vector<TokenId>;

// What a model's cache should hold at one position.
struct RefEntry {
  TokenId token;
  std::int64_t position;  // position it was computed at
  std::int64_t parent;    // storage position of its parent
};

struct RefSequence {
  Tokens committed;
  std::vector<std::vector<RefEntry>> views;  // per model, one entry per held position
};

bool is_chain_link(const RefEntry& entry, std::int64_t storage) {
  return entry.position == storage && entry.parent == storage - 1;
}

class PropertyRun {
 public:
  PropertyRun(std::uint64_t seed, int num_ops) : seed_(seed), num_ops_(num_ops), rng_(seed) {
    models_.push_back(manager_.add_model(testing::small_spec("a", 1, 1, 1), KvBudget::blocks(260)));
    models_.push_back(manager_.add_model(testing::small_spec("b", 4, 2, 2), KvBudget::blocks(90)));
    models_.push_back(manager_.add_model(testing::small_spec("c", 16, 1, 2), KvBudget::blocks(22)));
  }

  void run() {
    for (op_ = 0; op_ < num_ops_; ++op_) {
      description_.clear();
      try {
        step();
      } catch (const std::exception& error) {
        FAIL() << "seed " << seed_ << " op " << op_ << " (" << description_ << "): unexpected exception: "
               << error.what();
      }
      const std::string mismatch = compare();
      ASSERT_EQ(mismatch, "") << "seed " << seed_ << " op " << op_ << " (" << description_ << ")";
    }
  }

  std::map<std::string, int> counts;  // operations done, by kind

 private:
  std::int64_t uniform(std::int64_t low, std::int64_t high) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(low, high)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  TokenId random_token() { return static_cast<TokenId>(uniform(0, 5)); }  // small vocabulary: drafts often agree

  SequenceId random_sequence() {
    auto it = reference_.begin();
    std::advance(it, uniform(0, static_cast<std::int64_t>(reference_.size()) - 1));
    return it->first;
  }
  KvModelId random_model() { return models_[static_cast<std::size_t>(uniform(0, 2))]; }

  static bool has_tree(const std::vector<RefEntry>& view) {
    for (std::size_t p = 0; p < view.size(); ++p) {
      if (!is_chain_link(view[p], static_cast<std::int64_t>(p))) return true;
    }
    return false;
  }

  void step() {
    const double pick = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (reference_.empty() || (pick < 0.08 && reference_.size() < 8)) return create();
    if (pick < 0.43) return append();
    if (pick < 0.58) return commit();
    if (pick < 0.70) return rollback();
    if (pick < 0.75) return rollback_to_committed();
    if (pick < 0.83) return reference_.size() < 10 ? fork() : release();
    if (pick < 0.90) return release();
    if (pick < 0.98) return keep_path();
    return refused();
  }

  void create() {
    Tokens prompt(static_cast<std::size_t>(uniform(0, 20)));
    for (TokenId& token : prompt) token = random_token();
    description_ = "create prompt of " + std::to_string(prompt.size());
    const SequenceId id = manager_.create_sequence(prompt);
    reference_[id] = RefSequence{prompt, std::vector<std::vector<RefEntry>>(models_.size())};
    ++counts["create"];
  }

  // Blocks an append needs, computed independently of the manager's planning.
  std::int64_t blocks_needed(KvModelId model, SequenceId sequence, std::int64_t count) const {
    const KvBlockPool& pool = manager_.pool(model);
    const std::int64_t block_size = pool.spec().block_size;
    const std::int64_t held = manager_.kv_length(model, sequence);
    const std::span<const BlockId> table = manager_.block_table(model, sequence);
    const bool copy = count > 0 && held % block_size != 0 && pool.ref_count(table.back()) > 1;
    return (held + count + block_size - 1) / block_size - (held + block_size - 1) / block_size + (copy ? 1 : 0);
  }

  void append() {
    const KvModelId model = random_model();
    std::vector<SequenceId> chosen;
    for (std::int64_t i = uniform(1, 3); i > 0; --i) {
      const SequenceId id = random_sequence();
      if (std::find(chosen.begin(), chosen.end(), id) == chosen.end() &&
          !has_tree(reference_[id].views[static_cast<std::size_t>(model)])) {
        chosen.push_back(id);
      }
    }
    if (chosen.empty()) return;
    std::vector<Tokens> tokens(chosen.size());
    std::vector<std::vector<std::int32_t>> parents(chosen.size());
    std::int64_t needed = 0;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const RefSequence& sequence = reference_[chosen[i]];
      const auto held = static_cast<std::int64_t>(sequence.views[static_cast<std::size_t>(model)].size());
      const auto committed = static_cast<std::int64_t>(sequence.committed.size());
      std::int64_t catch_up = std::max<std::int64_t>(0, committed - held);
      bool partial = false;
      if (catch_up > 0 && chance(0.3)) {
        catch_up = uniform(1, catch_up);
        partial = true;
      }
      for (std::int64_t p = held; p < held + catch_up; ++p) tokens[i].push_back(sequence.committed[static_cast<std::size_t>(p)]);
      const std::int64_t drafts = partial ? 0 : uniform(held >= committed ? 1 : 0, 6);
      for (std::int64_t d = 0; d < drafts; ++d) tokens[i].push_back(random_token());
      if (drafts >= 2 && chance(0.25)) {
        const auto first_draft = static_cast<std::int32_t>(catch_up);
        for (std::int32_t j = 0; j < static_cast<std::int32_t>(tokens[i].size()); ++j) {
          parents[i].push_back(j < first_draft ? j - 1
                                               : static_cast<std::int32_t>(uniform(first_draft - 1, j - 1)));
        }
      }
      needed += blocks_needed(model, chosen[i], static_cast<std::int64_t>(tokens[i].size()));
    }
    std::vector<SequenceTokens> batch;
    for (std::size_t i = 0; i < chosen.size(); ++i) batch.push_back({chosen[i], tokens[i], parents[i]});
    description_ = "append to model " + std::to_string(model) + " of " + std::to_string(chosen.size()) + " sequences";

    if (needed > manager_.pool(model).free_blocks()) {
      EXPECT_THROW(manager_.append(model, batch), OutOfKvMemory) << "seed " << seed_ << " op " << op_;
      ++counts["append refused: out of blocks"];
      return;
    }
    const KvForwardBatch forward = manager_.append(model, batch);
    Tokens all;
    for (const Tokens& t : tokens) all.insert(all.end(), t.begin(), t.end());
    testing::write_pattern(manager_, model, forward, all);
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      std::vector<RefEntry>& view = reference_[chosen[i]].views[static_cast<std::size_t>(model)];
      const auto start = static_cast<std::int64_t>(view.size());
      for (std::size_t j = 0; j < tokens[i].size(); ++j) {
        const std::int64_t parent = parents[i].empty() ? static_cast<std::int64_t>(j) - 1 : parents[i][j];
        const std::int64_t parent_storage = parent < 0 ? start - 1 : start + parent;
        const std::int64_t position = parent < 0 ? start : view[static_cast<std::size_t>(parent_storage)].position + 1;
        view.push_back({tokens[i][j], position, parent_storage});
      }
    }
    ++counts[parents[0].empty() ? "append" : "append tree"];
  }

  void commit() {
    const SequenceId id = random_sequence();
    RefSequence& sequence = reference_[id];
    if (sequence.committed.size() > 120) return release_one(id);
    Tokens tokens;
    const KvModelId model = random_model();
    const std::vector<RefEntry>& view = sequence.views[static_cast<std::size_t>(model)];
    if (chance(0.6)) {
      // Accept a prefix of the model's draft, then maybe a recovered token.
      for (std::size_t p = sequence.committed.size(); p < view.size() && chance(0.8); ++p) tokens.push_back(view[p].token);
      if (chance(0.5)) tokens.push_back(random_token());
    } else {
      for (std::int64_t i = uniform(0, 4); i > 0; --i) tokens.push_back(random_token());
    }
    description_ = "commit " + std::to_string(tokens.size()) + " tokens to sequence " + std::to_string(id);
    manager_.commit(id, tokens);
    sequence.committed.insert(sequence.committed.end(), tokens.begin(), tokens.end());
    for (std::vector<RefEntry>& model_view : sequence.views) {
      for (std::size_t p = 0; p < model_view.size() && p < sequence.committed.size(); ++p) {
        if (!is_chain_link(model_view[p], static_cast<std::int64_t>(p)) || model_view[p].token != sequence.committed[p]) {
          model_view.resize(p);
          break;
        }
      }
    }
    ++counts["commit"];
  }

  void rollback() {
    std::vector<KvModelId> chosen_models;
    for (KvModelId model : models_) {
      if (chance(0.6)) chosen_models.push_back(model);
    }
    std::vector<SequenceLength> targets;
    for (const auto& [id, sequence] : reference_) {
      if (!chance(0.5)) continue;
      std::int64_t longest = 0;
      for (const auto& view : sequence.views) longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(view.size()));
      targets.push_back({id, uniform(0, longest + 2)});
    }
    description_ = "rollback of " + std::to_string(targets.size()) + " sequences in " +
                   std::to_string(chosen_models.size()) + " models";
    manager_.rollback(chosen_models, targets);
    for (KvModelId model : chosen_models) {
      for (const SequenceLength& target : targets) {
        auto& view = reference_[target.sequence].views[static_cast<std::size_t>(model)];
        view.resize(std::min<std::size_t>(view.size(), static_cast<std::size_t>(target.length)));
      }
    }
    ++counts["rollback"];
  }

  void rollback_to_committed() {
    const KvModelId model = random_model();
    const SequenceId id = random_sequence();
    description_ = "rollback_to_committed of sequence " + std::to_string(id);
    manager_.rollback_to_committed(std::vector<KvModelId>{model}, std::vector<SequenceId>{id});
    auto& view = reference_[id].views[static_cast<std::size_t>(model)];
    view.resize(std::min(view.size(), reference_[id].committed.size()));
    ++counts["rollback_to_committed"];
  }

  void fork() {
    const SequenceId parent = random_sequence();
    description_ = "fork of sequence " + std::to_string(parent);
    const SequenceId child = manager_.fork(parent);
    reference_[child] = reference_[parent];
    ++counts["fork"];
  }

  void release_one(SequenceId id) {
    description_ = "release of sequence " + std::to_string(id);
    manager_.release(id);
    reference_.erase(id);
    ++counts["release"];
  }

  void release() { release_one(random_sequence()); }

  void keep_path() {
    // A (model, sequence) holding a tree: pick a node and keep the path down to it.
    for (int attempt = 0; attempt < 8; ++attempt) {
      const KvModelId model = random_model();
      const SequenceId id = random_sequence();
      const RefSequence& sequence = reference_[id];
      const std::vector<RefEntry>& view = sequence.views[static_cast<std::size_t>(model)];
      if (!has_tree(view)) continue;
      const auto committed = static_cast<std::int64_t>(sequence.committed.size());
      std::int64_t first_branch = committed;  // first storage position off the chain
      while (is_chain_link(view[static_cast<std::size_t>(first_branch)], first_branch)) ++first_branch;
      std::vector<std::int64_t> path{uniform(first_branch, static_cast<std::int64_t>(view.size()) - 1)};
      // Up through the tree, then maybe into the chain before it (never into committed).
      while (true) {
        const std::int64_t parent = view[static_cast<std::size_t>(path.front())].parent;
        if (parent < committed || (parent < first_branch && chance(0.5))) break;
        path.insert(path.begin(), parent);
      }
      description_ = "keep_path of " + std::to_string(path.size()) + " tokens in model " + std::to_string(model) +
                     " sequence " + std::to_string(id);
      const KeptPath kept{id, path};
      if (view[static_cast<std::size_t>(path.front())].parent < committed - 1) {
        // A branch off a token that is now committed: its position is taken by the
        // committed token, so it can never be kept.
        EXPECT_THROW(manager_.keep_path(model, std::span<const KeptPath>(&kept, 1)), KvStateError);
        ++counts["keep_path refused: dead branch"];
        return;
      }
      std::int64_t shared_targets = 0;  // blocks to copy first, counted independently
      {
        const KvBlockPool& pool = manager_.pool(model);
        const std::int64_t block_size = pool.spec().block_size;
        const std::int64_t start = view[static_cast<std::size_t>(path.front())].position;
        std::vector<std::int64_t> seen;
        for (std::size_t k = 0; k < path.size(); ++k) {
          const std::int64_t target = start + static_cast<std::int64_t>(k);
          if (path[k] == target) continue;
          const std::int64_t index = target / block_size;
          if (pool.ref_count(manager_.block_table(model, id)[static_cast<std::size_t>(index)]) > 1 &&
              std::find(seen.begin(), seen.end(), index) == seen.end()) {
            seen.push_back(index);
          }
        }
        shared_targets = static_cast<std::int64_t>(seen.size());
      }
      if (shared_targets > manager_.pool(model).free_blocks()) {
        EXPECT_THROW(manager_.keep_path(model, std::span<const KeptPath>(&kept, 1)), OutOfKvMemory);
        ++counts["keep_path refused: out of blocks"];
        return;
      }
      manager_.keep_path(model, std::span<const KeptPath>(&kept, 1));
      std::vector<RefEntry>& mutable_view = reference_[id].views[static_cast<std::size_t>(model)];
      const std::int64_t start = mutable_view[static_cast<std::size_t>(path.front())].position;
      std::vector<RefEntry> kept_entries;
      for (std::size_t k = 0; k < path.size(); ++k) {
        const std::int64_t target = start + static_cast<std::int64_t>(k);
        kept_entries.push_back({mutable_view[static_cast<std::size_t>(path[k])].token, target, target - 1});
      }
      mutable_view.resize(static_cast<std::size_t>(start));
      mutable_view.insert(mutable_view.end(), kept_entries.begin(), kept_entries.end());
      ++counts["keep_path"];
      return;
    }
  }

  // Calls the manager must refuse, changing nothing (compare() checks after).
  void refused() {
    const SequenceId id = random_sequence();
    const KvModelId model = random_model();
    const RefSequence& sequence = reference_[id];
    const std::vector<RefEntry>& view = sequence.views[static_cast<std::size_t>(model)];
    switch (uniform(0, 3)) {
      case 0:
        if (view.size() < sequence.committed.size()) {
          description_ = "refused: wrong catch-up token";
          const Tokens wrong{sequence.committed[view.size()] + 1};
          EXPECT_THROW(manager_.append(model, id, wrong), KvStateError);
        } else if (has_tree(view)) {
          description_ = "refused: append over an unresolved tree";
          EXPECT_THROW(manager_.append(model, id, Tokens{1}), KvStateError);
        }
        break;
      case 1:
        description_ = "refused: negative rollback";
        EXPECT_THROW(manager_.rollback(model, id, -1), KvStateError);
        break;
      case 2: {
        description_ = "refused: release of an unknown sequence among known ones";
        const std::vector<SequenceId> ids{id, -5};
        EXPECT_THROW(manager_.release(ids), KvStateError);
        break;
      }
      default: {
        description_ = "refused: keep_path of a committed position";
        if (sequence.committed.empty() || view.empty()) break;
        const std::vector<std::int64_t> path{0};
        const KeptPath kept{id, path};
        EXPECT_THROW(manager_.keep_path(model, std::span<const KeptPath>(&kept, 1)), KvStateError);
        break;
      }
    }
    ++counts["refused"];
  }

  // Empty when the manager agrees with the reference everywhere.
  std::string compare() const {
    std::vector<SequenceId> ids;
    for (const auto& [id, sequence] : reference_) ids.push_back(id);
    if (manager_.sequences() != ids) return "the live sequences differ";
    for (const auto& [id, sequence] : reference_) {
      const std::span<const TokenId> committed = manager_.committed_tokens(id);
      if (Tokens(committed.begin(), committed.end()) != sequence.committed) {
        return "committed tokens of sequence " + std::to_string(id) + " differ";
      }
      for (std::size_t m = 0; m < models_.size(); ++m) {
        const KvModelId model = models_[m];
        const std::vector<RefEntry>& view = sequence.views[m];
        Tokens tokens;
        std::vector<std::int64_t> positions;
        for (const RefEntry& entry : view) {
          tokens.push_back(entry.token);
          positions.push_back(entry.position);
        }
        if (manager_.kv_tokens(model, id) != tokens) {
          return "kv_tokens of model " + std::to_string(model) + " sequence " + std::to_string(id) + " differ";
        }
        const Tokens catch_up(sequence.committed.begin() + static_cast<std::ptrdiff_t>(std::min(view.size(), sequence.committed.size())),
                              sequence.committed.end());
        const std::span<const TokenId> actual_catch_up = manager_.catch_up_tokens(model, id);
        if (Tokens(actual_catch_up.begin(), actual_catch_up.end()) != catch_up) {
          return "catch-up tokens of model " + std::to_string(model) + " sequence " + std::to_string(id) + " differ";
        }
        const Tokens speculative(tokens.begin() + static_cast<std::ptrdiff_t>(std::min(tokens.size(), sequence.committed.size())),
                                 tokens.end());
        if (manager_.speculative_tokens(model, id) != speculative) {
          return "speculative tokens of model " + std::to_string(model) + " sequence " + std::to_string(id) + " differ";
        }
        const std::string contents = testing::check_contents(manager_, model, id, tokens, positions);
        if (!contents.empty()) return contents;
      }
    }
    return {};
  }

  std::uint64_t seed_;
  int num_ops_;
  int op_ = 0;
  std::string description_;
  std::mt19937_64 rng_;
  StateManager manager_{StateManagerOptions{.debug_checks = true}};
  std::vector<KvModelId> models_;
  std::map<SequenceId, RefSequence> reference_;
};

TEST(StatePropertyTest, RandomOperationsAgreeWithTheReferenceModel) {
  std::vector<std::uint64_t> seeds{1, 2, 3, 4};
  if (const char* replay = std::getenv("SPECROUTER_STATE_SEED")) seeds = {std::strtoull(replay, nullptr, 10)};
  constexpr int kOpsPerSeed = 10000;
  std::map<std::string, int> totals;
  for (std::uint64_t seed : seeds) {
    PropertyRun run(seed, kOpsPerSeed);
    run.run();
    if (::testing::Test::HasFatalFailure()) return;
    for (const auto& [kind, count] : run.counts) totals[kind] += count;
  }
  std::ostringstream summary;
  for (const auto& [kind, count] : totals) summary << kind << ": " << count << "\n";
  std::cout << summary.str();
  // The run must have exercised every operation, exhaustion included.
  for (const char* kind : {"create", "append", "append tree", "commit", "rollback", "rollback_to_committed", "fork",
                           "release", "keep_path", "refused", "append refused: out of blocks"}) {
    EXPECT_GE(totals[kind], seeds.size() == 1 ? 1 : 50) << kind << "\n" << summary.str();
  }
}

}  // namespace
}  // namespace specrouter
