// The state manager's operations. Each validates everything (ids, lengths, free blocks)
// before its first change, so a throw leaves the manager untouched.
#include "specrouter/state/state_manager.h"

#include <ATen/Functions.h>

#include <algorithm>
#include <string>
#include <unordered_set>

namespace specrouter {
namespace {

std::int64_t blocks_for(std::int64_t positions, std::int64_t block_size) {
  return (positions + block_size - 1) / block_size;
}

std::string name_of(SequenceId sequence) { return "sequence " + std::to_string(sequence); }

// Throws when `sequences` names one sequence twice.
template <class Range, class IdOf>
void require_distinct(const Range& items, IdOf id_of, const char* operation) {
  std::unordered_set<SequenceId> seen;
  for (const auto& item : items) {
    if (!seen.insert(id_of(item)).second) {
      throw KvStateError(std::string(operation) + ": " + name_of(id_of(item)) + " is listed twice");
    }
  }
}

}  // namespace

StateManager::StateManager(StateManagerOptions options) : options_(options) {}
StateManager::~StateManager() = default;

// ---- Models ---------------------------------------------------------------------------

KvModelId StateManager::add_model(const KvCacheSpec& spec, const KvBudget& budget,
                                  std::shared_ptr<BlockCopyKernel> block_copy) {
  spec.validate();
  for (const auto& pool : pools_) {
    if (pool->spec().model == spec.model) throw KvStateError("add_model: model '" + spec.model + "' is already registered");
  }
  auto pool = std::make_unique<KvBlockPool>(spec, budget.num_blocks(spec), options_.debug_checks,
                                            std::move(block_copy));
  pools_.reserve(pools_.size() + 1);
  for (auto& [id, sequence] : sequences_) sequence.views.reserve(pools_.size() + 1);
  // Nothing below allocates.
  pools_.push_back(std::move(pool));
  for (auto& [id, sequence] : sequences_) sequence.views.emplace_back();
  after_operation();
  return static_cast<KvModelId>(pools_.size() - 1);
}

KvModelId StateManager::model_id(const std::string& name) const {
  for (std::size_t m = 0; m < pools_.size(); ++m) {
    if (pools_[m]->spec().model == name) return static_cast<KvModelId>(m);
  }
  std::string known;
  for (const auto& pool : pools_) known += (known.empty() ? "" : ", ") + pool->spec().model;
  throw KvStateError("unknown model '" + name + "' (registered: " + (known.empty() ? "none" : known) + ")");
}

KvBlockPool& StateManager::pool(KvModelId model) {
  check_model(model, "pool");
  return *pools_[static_cast<std::size_t>(model)];
}

const KvBlockPool& StateManager::pool(KvModelId model) const {
  check_model(model, "pool");
  return *pools_[static_cast<std::size_t>(model)];
}

void StateManager::check_model(KvModelId model, const char* operation) const {
  if (model < 0 || model >= num_models()) {
    throw KvStateError(std::string(operation) + ": model id " + std::to_string(model) + " out of range [0, " +
                       std::to_string(num_models()) + ")");
  }
}

// ---- Sequences ------------------------------------------------------------------------

StateManager::Sequence& StateManager::sequence_at(SequenceId sequence, const char* operation) {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) throw KvStateError(std::string(operation) + ": unknown " + name_of(sequence));
  return it->second;
}

const StateManager::Sequence& StateManager::sequence_at(SequenceId sequence, const char* operation) const {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) throw KvStateError(std::string(operation) + ": unknown " + name_of(sequence));
  return it->second;
}

SequenceId StateManager::create_sequence(std::span<const TokenId> prompt) {
  Sequence sequence;
  sequence.committed.assign(prompt.begin(), prompt.end());
  sequence.views.resize(pools_.size());
  const SequenceId id = next_sequence_id_;
  sequences_.emplace(id, std::move(sequence));
  ++next_sequence_id_;
  after_operation();
  return id;
}

SequenceId StateManager::fork(SequenceId parent) {
  Sequence copy = sequence_at(parent, "fork");
  const SequenceId id = next_sequence_id_;
  auto [it, inserted] = sequences_.emplace(id, std::move(copy));
  ++next_sequence_id_;
  for (std::size_t m = 0; m < pools_.size(); ++m) {
    for (BlockId block : it->second.views[m].block_table) pools_[m]->retain(block);
  }
  after_operation();
  return id;
}

void StateManager::release(SequenceId sequence) { release(std::span<const SequenceId>(&sequence, 1)); }

void StateManager::release(std::span<const SequenceId> sequences) {
  for (SequenceId id : sequences) sequence_at(id, "release");
  require_distinct(sequences, [](SequenceId id) { return id; }, "release");
  for (SequenceId id : sequences) {
    auto it = sequences_.find(id);
    for (std::size_t m = 0; m < pools_.size(); ++m) {
      for (BlockId block : it->second.views[m].block_table) pools_[m]->release(block);
    }
    sequences_.erase(it);
  }
  after_operation();
}

std::vector<SequenceId> StateManager::sequences() const {
  std::vector<SequenceId> ids;
  ids.reserve(sequences_.size());
  for (const auto& [id, sequence] : sequences_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---- Committed tokens -----------------------------------------------------------------

std::span<const TokenId> StateManager::committed_tokens(SequenceId sequence) const {
  return sequence_at(sequence, "committed_tokens").committed;
}

std::int64_t StateManager::committed_length(SequenceId sequence) const {
  return static_cast<std::int64_t>(sequence_at(sequence, "committed_length").committed.size());
}

void StateManager::commit(SequenceId sequence, std::span<const TokenId> tokens) {
  const SequenceTokens item{sequence, tokens, {}};
  commit(std::span<const SequenceTokens>(&item, 1));
}

void StateManager::commit(std::span<const SequenceTokens> batch) {
  for (const SequenceTokens& item : batch) {
    sequence_at(item.sequence, "commit");
    if (!item.parents.empty()) {
      throw KvStateError("commit: " + name_of(item.sequence) + ": committed tokens form a chain; parents must be empty");
    }
  }
  require_distinct(batch, [](const SequenceTokens& item) { return item.sequence; }, "commit");
  for (const SequenceTokens& item : batch) {
    Sequence& sequence = sequence_at(item.sequence, "commit");
    sequence.committed.reserve(sequence.committed.size() + item.tokens.size());
  }
  // Nothing below allocates.
  for (const SequenceTokens& item : batch) {
    Sequence& sequence = sequence_at(item.sequence, "commit");
    sequence.committed.insert(sequence.committed.end(), item.tokens.begin(), item.tokens.end());
    for (std::size_t m = 0; m < pools_.size(); ++m) {
      reconcile(static_cast<KvModelId>(m), sequence.views[m], sequence.committed);
    }
  }
  after_operation();
}

void StateManager::reconcile(KvModelId model, ModelView& view, const std::vector<TokenId>& committed) {
  const auto committed_len = static_cast<std::int64_t>(committed.size());
  const auto speculative_len = static_cast<std::int64_t>(view.speculative.size());
  // Speculative K/V agrees with the truth while it is a chain (computed at its own
  // position right after its predecessor) and holds the committed token.
  std::int64_t agreed = 0;
  while (agreed < speculative_len && view.verified_len + agreed < committed_len) {
    const std::int64_t position = view.verified_len + agreed;
    const SpeculativeEntry& entry = view.speculative[static_cast<std::size_t>(agreed)];
    if (entry.position != position || entry.parent != position - 1 ||
        entry.token != committed[static_cast<std::size_t>(position)]) {
      break;
    }
    ++agreed;
  }
  const bool disagrees = agreed < speculative_len && view.verified_len + agreed < committed_len;
  view.speculative.erase(view.speculative.begin(), view.speculative.begin() + agreed);
  view.verified_len += agreed;
  if (disagrees) truncate(model, view, view.verified_len);
}

// ---- One model's view -----------------------------------------------------------------

std::int64_t StateManager::kv_length(KvModelId model, SequenceId sequence) const {
  check_model(model, "kv_length");
  return sequence_at(sequence, "kv_length").views[static_cast<std::size_t>(model)].kv_len;
}

std::span<const TokenId> StateManager::catch_up_tokens(KvModelId model, SequenceId sequence) const {
  check_model(model, "catch_up_tokens");
  const Sequence& state = sequence_at(sequence, "catch_up_tokens");
  const ModelView& view = state.views[static_cast<std::size_t>(model)];
  const auto committed_len = static_cast<std::int64_t>(state.committed.size());
  if (view.kv_len >= committed_len) return {};
  return std::span<const TokenId>(state.committed).subspan(static_cast<std::size_t>(view.kv_len));
}

std::vector<TokenId> StateManager::kv_tokens(KvModelId model, SequenceId sequence) const {
  check_model(model, "kv_tokens");
  const Sequence& state = sequence_at(sequence, "kv_tokens");
  const ModelView& view = state.views[static_cast<std::size_t>(model)];
  std::vector<TokenId> tokens(state.committed.begin(), state.committed.begin() + view.verified_len);
  for (const SpeculativeEntry& entry : view.speculative) tokens.push_back(entry.token);
  return tokens;
}

std::vector<TokenId> StateManager::speculative_tokens(KvModelId model, SequenceId sequence) const {
  check_model(model, "speculative_tokens");
  const ModelView& view = sequence_at(sequence, "speculative_tokens").views[static_cast<std::size_t>(model)];
  std::vector<TokenId> tokens;
  tokens.reserve(view.speculative.size());
  for (const SpeculativeEntry& entry : view.speculative) tokens.push_back(entry.token);
  return tokens;
}

std::span<const BlockId> StateManager::block_table(KvModelId model, SequenceId sequence) const {
  check_model(model, "block_table");
  return sequence_at(sequence, "block_table").views[static_cast<std::size_t>(model)].block_table;
}

// ---- Rollback -------------------------------------------------------------------------

void StateManager::truncate(KvModelId model, ModelView& view, std::int64_t length) {
  KvBlockPool& pool = *pools_[static_cast<std::size_t>(model)];
  const std::int64_t new_len = std::min(view.kv_len, length);
  const auto kept_blocks = static_cast<std::size_t>(blocks_for(new_len, pool.spec().block_size));
  // Whole blocks past the new length go back to the pool; the kept ones, including a
  // now partly filled last block, are not touched.
  while (view.block_table.size() > kept_blocks) {
    pool.release(view.block_table.back());
    view.block_table.pop_back();
  }
  if (new_len < view.verified_len) {
    view.verified_len = new_len;
    view.speculative.clear();
  } else {
    view.speculative.resize(static_cast<std::size_t>(new_len - view.verified_len));
  }
  view.kv_len = new_len;
}

void StateManager::rollback(std::span<const KvModelId> models, std::span<const SequenceLength> targets) {
  for (KvModelId model : models) check_model(model, "rollback");
  for (const SequenceLength& target : targets) {
    sequence_at(target.sequence, "rollback");
    if (target.length < 0) {
      throw KvStateError("rollback: " + name_of(target.sequence) + ": length " + std::to_string(target.length) +
                         " is negative");
    }
  }
  for (KvModelId model : models) {
    for (const SequenceLength& target : targets) {
      truncate(model, sequence_at(target.sequence, "rollback").views[static_cast<std::size_t>(model)], target.length);
    }
  }
  after_operation();
}

void StateManager::rollback(KvModelId model, SequenceId sequence, std::int64_t length) {
  const SequenceLength target{sequence, length};
  rollback(std::span<const KvModelId>(&model, 1), std::span<const SequenceLength>(&target, 1));
}

void StateManager::rollback_to_committed(std::span<const KvModelId> models, std::span<const SequenceId> sequences) {
  for (KvModelId model : models) check_model(model, "rollback_to_committed");
  for (SequenceId id : sequences) sequence_at(id, "rollback_to_committed");
  for (KvModelId model : models) {
    for (SequenceId id : sequences) {
      Sequence& sequence = sequence_at(id, "rollback_to_committed");
      truncate(model, sequence.views[static_cast<std::size_t>(model)],
               static_cast<std::int64_t>(sequence.committed.size()));
    }
  }
  after_operation();
}

// ---- Inspection -----------------------------------------------------------------------

MemoryReport StateManager::memory_report() const {
  MemoryReport report;
  for (std::size_t m = 0; m < pools_.size(); ++m) {
    const KvBlockPool& pool = *pools_[m];
    KvPoolUsage usage;
    usage.model = pool.spec().model;
    usage.block_size = pool.spec().block_size;
    usage.num_blocks = pool.num_blocks();
    usage.used_blocks = pool.used_blocks();
    usage.free_blocks = pool.free_blocks();
    usage.peak_used_blocks = pool.peak_used_blocks();
    for (std::int64_t b = 0; b < pool.num_blocks(); ++b) usage.shared_blocks += pool.ref_count(static_cast<BlockId>(b)) > 1;
    usage.bytes_per_token = pool.spec().bytes_per_token();
    usage.bytes_per_block = pool.spec().bytes_per_block();
    usage.reserved_bytes = usage.bytes_per_block * usage.num_blocks;
    for (const auto& [id, sequence] : sequences_) usage.stored_positions += sequence.views[m].kv_len;
    report.pools.push_back(std::move(usage));
  }
  return report;
}

void StateManager::after_operation() const {
  if (options_.debug_checks) check_consistency();
}

}  // namespace specrouter
