// The operations that write K/V slots: append (new tokens of a forward) and keep_path
// (compaction of an accepted tree path). Both plan every block they need, check the
// pool, and only then change anything.
#include <ATen/Functions.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_set>

#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

std::int64_t blocks_for(std::int64_t positions, std::int64_t block_size) {
  return (positions + block_size - 1) / block_size;
}

std::string name_of(SequenceId sequence) { return "sequence " + std::to_string(sequence); }

std::string out_of_blocks(const KvBlockPool& pool, const std::string& operation, std::int64_t needed) {
  return operation + " in model '" + pool.spec().model + "' needs " + std::to_string(needed) + " free KV blocks of " +
         std::to_string(pool.spec().block_size) + " positions, but only " + std::to_string(pool.free_blocks()) +
         " of " + std::to_string(pool.num_blocks()) + " are free";
}

}  // namespace

KvForwardBatch StateManager::append(KvModelId model, SequenceId sequence, std::span<const TokenId> tokens) {
  const SequenceTokens item{sequence, tokens, {}};
  return append(model, std::span<const SequenceTokens>(&item, 1));
}

KvForwardBatch StateManager::append(KvModelId model, std::span<const SequenceTokens> batch) {
  check_model(model, "append");
  KvBlockPool& pool = *pools_[static_cast<std::size_t>(model)];
  const std::int64_t block_size = pool.spec().block_size;
  const std::string operation = "append to model '" + pool.spec().model + "'";

  // ---- Plan: positions and parents of every new token, blocks needed. No changes. ----
  std::int64_t num_tokens = 0;
  bool has_tree = false;
  for (const SequenceTokens& item : batch) {
    num_tokens += static_cast<std::int64_t>(item.tokens.size());
    has_tree = has_tree || !item.parents.empty();
  }
  std::vector<std::int64_t> positions(static_cast<std::size_t>(num_tokens));       // depth-based
  std::vector<std::int64_t> parent_storage(static_cast<std::size_t>(num_tokens));  // storage position of parent
  std::vector<std::int32_t> local_parents(static_cast<std::size_t>(num_tokens));   // index among the new tokens
  std::unordered_set<SequenceId> seen;
  std::int64_t needed_blocks = 0;
  std::int64_t max_blocks = 0;
  std::int64_t offset = 0;
  for (const SequenceTokens& item : batch) {
    const Sequence& sequence = sequence_at(item.sequence, "append");
    const ModelView& view = sequence.views[static_cast<std::size_t>(model)];
    const std::string where = operation + ": " + name_of(item.sequence);
    if (!seen.insert(item.sequence).second) throw KvStateError(where + " is listed twice");
    const auto count = static_cast<std::int64_t>(item.tokens.size());
    if (!item.parents.empty() && static_cast<std::int64_t>(item.parents.size()) != count) {
      throw KvStateError(where + ": " + std::to_string(item.parents.size()) + " parents for " + std::to_string(count) +
                         " tokens");
    }
    if (count > 0) {
      // A pending tree (speculative tokens off the chain) must be resolved first: new
      // tokens would attend to all its branches.
      for (std::size_t i = 0; i < view.speculative.size(); ++i) {
        const std::int64_t storage = view.verified_len + static_cast<std::int64_t>(i);
        if (view.speculative[i].position != storage || view.speculative[i].parent != storage - 1) {
          throw KvStateError(where + ": position " + std::to_string(storage) +
                             " holds a token of an unresolved speculative tree; call keep_path() or rollback() first");
        }
      }
    }
    const std::int64_t start = view.kv_len;
    const auto committed_len = static_cast<std::int64_t>(sequence.committed.size());
    for (std::int64_t j = 0; j < count; ++j) {
      const auto flat = static_cast<std::size_t>(offset + j);
      const std::int64_t parent = item.parents.empty() ? j - 1 : item.parents[static_cast<std::size_t>(j)];
      if (parent < -1 || parent >= j) {
        throw KvStateError(where + ": parent of new token " + std::to_string(j) + " is " + std::to_string(parent) +
                           ", must be in [-1, " + std::to_string(j) + ")");
      }
      local_parents[flat] = static_cast<std::int32_t>(parent);
      parent_storage[flat] = parent == -1 ? start - 1 : start + parent;
      positions[flat] = parent == -1 ? start : positions[static_cast<std::size_t>(offset + parent)] + 1;
      const std::int64_t storage = start + j;
      if (storage < committed_len) {
        const TokenId expected = sequence.committed[static_cast<std::size_t>(storage)];
        if (positions[flat] != storage || parent_storage[flat] != storage - 1) {
          throw KvStateError(where + ": catch-up token at committed position " + std::to_string(storage) +
                             " must continue the chain (its parent is new token " + std::to_string(parent) + ")");
        }
        if (item.tokens[static_cast<std::size_t>(j)] != expected) {
          throw KvStateError(where + ": token " + std::to_string(item.tokens[static_cast<std::size_t>(j)]) +
                             " at committed position " + std::to_string(storage) + " differs from the committed token " +
                             std::to_string(expected));
        }
      }
    }
    const std::int64_t blocks_after = blocks_for(start + count, block_size);
    const bool copy_on_write = count > 0 && start % block_size != 0 && pool.ref_count(view.block_table.back()) > 1;
    needed_blocks += blocks_after - static_cast<std::int64_t>(view.block_table.size()) + (copy_on_write ? 1 : 0);
    max_blocks = std::max(max_blocks, blocks_after);
    offset += count;
  }
  if (needed_blocks > pool.free_blocks()) {
    throw OutOfKvMemory(out_of_blocks(
        pool, "append of " + std::to_string(num_tokens) + " tokens to " + std::to_string(batch.size()) + " sequences",
        needed_blocks));
  }

  // ---- Reserve everything that could fail to allocate. Still no visible change. ----
  for (const SequenceTokens& item : batch) {
    ModelView& view = sequence_at(item.sequence, "append").views[static_cast<std::size_t>(model)];
    view.block_table.reserve(static_cast<std::size_t>(blocks_for(view.kv_len + static_cast<std::int64_t>(item.tokens.size()), block_size)));
    view.speculative.reserve(view.speculative.size() + item.tokens.size());
  }
  const auto num_sequences = static_cast<std::int64_t>(batch.size());
  KvForwardBatch out;
  out.sequences.reserve(batch.size());
  out.num_tokens = num_tokens;
  out.slot_mapping = at::empty({num_tokens}, at::kLong);
  out.positions = at::empty({num_tokens}, at::kLong);
  out.query_start = at::empty({num_sequences + 1}, at::kLong);
  out.context_lens = at::empty({num_sequences}, at::kLong);
  out.block_tables = at::zeros({num_sequences, max_blocks}, at::kInt);
  if (has_tree) out.tree_parents = at::empty({num_tokens}, at::kInt);

  // ---- Apply. Nothing below throws (the pool was checked, vectors reserved). ----
  auto* slot_out = out.slot_mapping.data_ptr<std::int64_t>();
  auto* position_out = out.positions.data_ptr<std::int64_t>();
  auto* query_start_out = out.query_start.data_ptr<std::int64_t>();
  auto* context_out = out.context_lens.data_ptr<std::int64_t>();
  auto* table_out = out.block_tables.data_ptr<std::int32_t>();
  auto* parent_out = has_tree ? out.tree_parents.data_ptr<std::int32_t>() : nullptr;
  // Copy-on-write: a partly filled last block shared with a fork, which still needs the
  // slots this write would overwrite, is replaced by a copy. All copies in one call.
  std::vector<BlockCopyPair> copies;
  std::vector<BlockId*> copied_entries;
  for (const SequenceTokens& item : batch) {
    ModelView& view = sequence_at(item.sequence, "append").views[static_cast<std::size_t>(model)];
    if (!item.tokens.empty() && view.kv_len % block_size != 0 && pool.ref_count(view.block_table.back()) > 1) {
      copies.push_back({view.block_table.back(), pool.allocate()});
      copied_entries.push_back(&view.block_table.back());
    }
  }
  pool.copy_blocks(copies);
  for (std::size_t i = 0; i < copies.size(); ++i) {
    pool.release(static_cast<BlockId>(copies[i].src));
    *copied_entries[i] = static_cast<BlockId>(copies[i].dst);
  }

  offset = 0;
  query_start_out[0] = 0;
  for (std::int64_t s = 0; s < num_sequences; ++s) {
    const SequenceTokens& item = batch[static_cast<std::size_t>(s)];
    Sequence& sequence = sequence_at(item.sequence, "append");
    ModelView& view = sequence.views[static_cast<std::size_t>(model)];
    const auto count = static_cast<std::int64_t>(item.tokens.size());
    const std::int64_t start = view.kv_len;
    const auto committed_len = static_cast<std::int64_t>(sequence.committed.size());
    while (static_cast<std::int64_t>(view.block_table.size()) < blocks_for(start + count, block_size)) {
      view.block_table.push_back(pool.allocate());
    }
    for (std::int64_t j = 0; j < count; ++j) {
      const auto flat = static_cast<std::size_t>(offset + j);
      const std::int64_t storage = start + j;
      const TokenId token = item.tokens[static_cast<std::size_t>(j)];
      const std::int64_t slot =
          static_cast<std::int64_t>(view.block_table[static_cast<std::size_t>(storage / block_size)]) * block_size +
          storage % block_size;
      pool.record(slot, token, positions[flat]);
      if (storage < committed_len) {
        ++view.verified_len;  // checked above: a catch-up token equal to the committed one
      } else {
        view.speculative.push_back(SpeculativeEntry{token, positions[flat], parent_storage[flat]});
      }
      slot_out[flat] = slot;
      position_out[flat] = positions[flat];
      if (parent_out != nullptr) parent_out[flat] = local_parents[flat];
    }
    view.kv_len = start + count;
    offset += count;
    query_start_out[s + 1] = offset;
    context_out[s] = view.kv_len;
    std::copy(view.block_table.begin(), view.block_table.end(), table_out + s * max_blocks);
    out.max_context_len = std::max(out.max_context_len, view.kv_len);
    out.sequences.push_back(item.sequence);
  }

  const c10::Device device = pool.spec().device;
  if (!device.is_cpu()) {
    for (at::Tensor* tensor : {&out.slot_mapping, &out.positions, &out.query_start, &out.context_lens,
                               &out.block_tables, &out.tree_parents}) {
      if (tensor->defined()) *tensor = tensor->to(device);
    }
  }
  after_operation();
  return out;
}

void StateManager::keep_path(KvModelId model, std::span<const KeptPath> paths) {
  check_model(model, "keep_path");
  KvBlockPool& pool = *pools_[static_cast<std::size_t>(model)];
  const std::int64_t block_size = pool.spec().block_size;
  const std::string operation = "keep_path in model '" + pool.spec().model + "'";

  // ---- Validate each path and count the shared blocks its moves write into. ----
  std::unordered_set<SequenceId> seen;
  std::int64_t needed_blocks = 0;
  for (const KeptPath& path : paths) {
    const ModelView& view = sequence_at(path.sequence, "keep_path").views[static_cast<std::size_t>(model)];
    const std::string where = operation + ": " + name_of(path.sequence);
    if (!seen.insert(path.sequence).second) throw KvStateError(where + " is listed twice");
    if (path.positions.empty()) throw KvStateError(where + ": the path is empty (use rollback_to_committed to keep none)");
    auto entry_at = [&](std::int64_t storage) -> const SpeculativeEntry& {
      if (storage < view.verified_len || storage >= view.kv_len) {
        throw KvStateError(where + ": position " + std::to_string(storage) + " is not speculative (speculative: [" +
                           std::to_string(view.verified_len) + ", " + std::to_string(view.kv_len) + "))");
      }
      return view.speculative[static_cast<std::size_t>(storage - view.verified_len)];
    };
    const SpeculativeEntry& first = entry_at(path.positions[0]);
    const std::int64_t start = first.position;
    if (start < view.verified_len || first.parent != start - 1) {
      throw KvStateError(where + ": the path's first token (position " + std::to_string(path.positions[0]) +
                         ") is not a child of position " + std::to_string(start - 1));
    }
    // Everything before the path must already be a chain.
    for (std::int64_t storage = view.verified_len; storage < start; ++storage) {
      const SpeculativeEntry& before = entry_at(storage);
      if (before.position != storage || before.parent != storage - 1) {
        throw KvStateError(where + ": position " + std::to_string(storage) + " before the path is a tree node");
      }
    }
    for (std::size_t k = 1; k < path.positions.size(); ++k) {
      const SpeculativeEntry& entry = entry_at(path.positions[k]);
      if (entry.parent != path.positions[k - 1]) {
        throw KvStateError(where + ": the token at position " + std::to_string(path.positions[k]) +
                           " is not a child of the path's previous token at " + std::to_string(path.positions[k - 1]));
      }
    }
    std::vector<std::int64_t> shared;
    for (std::size_t k = 0; k < path.positions.size(); ++k) {
      const std::int64_t target = start + static_cast<std::int64_t>(k);
      if (path.positions[k] == target) continue;
      const std::int64_t block_index = target / block_size;
      if (pool.ref_count(view.block_table[static_cast<std::size_t>(block_index)]) > 1 &&
          std::find(shared.begin(), shared.end(), block_index) == shared.end()) {
        shared.push_back(block_index);
      }
    }
    needed_blocks += static_cast<std::int64_t>(shared.size());
  }
  if (needed_blocks > pool.free_blocks()) throw OutOfKvMemory(out_of_blocks(pool, "keep_path", needed_blocks));

  // ---- Apply. ----
  for (const KeptPath& path : paths) {
    ModelView& view = sequence_at(path.sequence, "keep_path").views[static_cast<std::size_t>(model)];
    const std::int64_t start = view.speculative[static_cast<std::size_t>(path.positions[0] - view.verified_len)].position;
    std::vector<SpeculativeEntry> kept;
    std::vector<std::int64_t> sources;
    std::vector<std::int64_t> targets;
    auto slot_of = [&](std::int64_t storage) {
      return static_cast<std::int64_t>(view.block_table[static_cast<std::size_t>(storage / block_size)]) * block_size +
             storage % block_size;
    };
    // Copy-on-write of the blocks the moves write into that a fork still reads.
    std::vector<BlockCopyPair> copies;
    std::vector<std::size_t> copied_indices;
    for (std::size_t k = 0; k < path.positions.size(); ++k) {
      const std::int64_t target = start + static_cast<std::int64_t>(k);
      kept.push_back(SpeculativeEntry{
          view.speculative[static_cast<std::size_t>(path.positions[k] - view.verified_len)].token, target, target - 1});
      if (path.positions[k] == target) continue;
      const auto block_index = static_cast<std::size_t>(target / block_size);
      if (pool.ref_count(view.block_table[block_index]) > 1 &&
          std::find(copied_indices.begin(), copied_indices.end(), block_index) == copied_indices.end()) {
        copies.push_back({view.block_table[block_index], pool.allocate()});
        copied_indices.push_back(block_index);
      }
    }
    pool.copy_blocks(copies);
    for (std::size_t i = 0; i < copies.size(); ++i) {
      pool.release(static_cast<BlockId>(copies[i].src));
      view.block_table[copied_indices[i]] = static_cast<BlockId>(copies[i].dst);
    }
    for (std::size_t k = 0; k < path.positions.size(); ++k) {
      const std::int64_t target = start + static_cast<std::int64_t>(k);
      if (path.positions[k] == target) continue;
      sources.push_back(slot_of(path.positions[k]));
      targets.push_back(slot_of(target));
    }
    pool.copy_slots(sources, targets);
    const auto end = start + static_cast<std::int64_t>(kept.size());
    // Keep [0, end): positions before `start` as they are, then the path as a chain.
    truncate(model, view, end);
    std::copy(kept.begin(), kept.end(), view.speculative.begin() + (start - view.verified_len));
  }
  after_operation();
}

}  // namespace specrouter
