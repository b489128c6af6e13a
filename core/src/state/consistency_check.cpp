// The debug consistency check: the bookkeeping (reference counts, free list, block
// tables, views) agrees with itself, and, with the shadow, every held position's slot
// holds the token and position the view says.
#include <algorithm>
#include <string>
#include <vector>

#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

[[noreturn]] void fail(const std::string& model, const std::string& message) {
  throw KvConsistencyError("KV consistency check, model '" + model + "': " + message);
}

}  // namespace

void StateManager::check_consistency() const {
  // Sequences in id order, so the first violation reported is deterministic.
  const std::vector<SequenceId> ids = sequences();
  for (std::size_t m = 0; m < pools_.size(); ++m) {
    const KvBlockPool& pool = *pools_[m];
    const std::string& model = pool.spec().model;
    const std::int64_t block_size = pool.spec().block_size;
    const std::int64_t num_blocks = pool.num_blocks();

    // Reference counts equal block-table occurrences.
    std::vector<std::int32_t> references(static_cast<std::size_t>(num_blocks), 0);
    for (SequenceId id : ids) {
      const Sequence& sequence = sequences_.at(id);
      if (sequence.views.size() != pools_.size()) {
        fail(model, "sequence " + std::to_string(id) + " has " + std::to_string(sequence.views.size()) +
                        " model views for " + std::to_string(pools_.size()) + " models");
      }
      const ModelView& view = sequence.views[m];
      const std::string where = "sequence " + std::to_string(id);
      const auto committed_len = static_cast<std::int64_t>(sequence.committed.size());
      const std::int64_t expected_blocks = (view.kv_len + block_size - 1) / block_size;
      if (static_cast<std::int64_t>(view.block_table.size()) != expected_blocks) {
        fail(model, where + ": block table has " + std::to_string(view.block_table.size()) + " blocks for kv_len " +
                        std::to_string(view.kv_len) + " (expected " + std::to_string(expected_blocks) + ")");
      }
      if (view.verified_len > committed_len || view.verified_len + static_cast<std::int64_t>(view.speculative.size()) != view.kv_len) {
        fail(model, where + ": verified_len " + std::to_string(view.verified_len) + " + " +
                        std::to_string(view.speculative.size()) + " speculative != kv_len " + std::to_string(view.kv_len) +
                        " or exceeds the " + std::to_string(committed_len) + " committed tokens");
      }
      if (!view.speculative.empty() && view.verified_len != committed_len) {
        fail(model, where + ": speculative tokens start at position " + std::to_string(view.verified_len) +
                        ", before the committed length " + std::to_string(committed_len));
      }
      for (BlockId block : view.block_table) {
        if (block < 0 || block >= num_blocks) {
          fail(model, where + ": block table holds block " + std::to_string(block) + " outside [0, " +
                          std::to_string(num_blocks) + ")");
        }
        ++references[static_cast<std::size_t>(block)];
      }
    }
    for (std::int64_t b = 0; b < num_blocks; ++b) {
      const std::int32_t counted = pool.ref_count(static_cast<BlockId>(b));
      if (counted != references[static_cast<std::size_t>(b)]) {
        fail(model, "block " + std::to_string(b) + " has reference count " + std::to_string(counted) + " but " +
                        std::to_string(references[static_cast<std::size_t>(b)]) + " block-table entries");
      }
    }
    // The free list holds every unreferenced block exactly once.
    std::vector<bool> listed(static_cast<std::size_t>(num_blocks), false);
    for (BlockId block : pool.free_list()) {
      if (block < 0 || block >= num_blocks || listed[static_cast<std::size_t>(block)] ||
          references[static_cast<std::size_t>(block)] != 0) {
        fail(model, "free list holds block " + std::to_string(block) + " twice, out of range, or in use");
      }
      listed[static_cast<std::size_t>(block)] = true;
    }
    const auto unreferenced = std::count(references.begin(), references.end(), 0);
    if (unreferenced != pool.free_blocks()) {
      fail(model, std::to_string(unreferenced) + " unreferenced blocks but " + std::to_string(pool.free_blocks()) +
                      " on the free list (a block leaked)");
    }

    if (!pool.tracks_shadow()) continue;
    // Every held position's slot holds the view's token, computed at the view's position.
    for (SequenceId id : ids) {
      const Sequence& sequence = sequences_.at(id);
      const ModelView& view = sequence.views[m];
      for (std::int64_t position = 0; position < view.kv_len; ++position) {
        TokenId expected_token;
        std::int64_t expected_position;
        if (position < view.verified_len) {
          expected_token = sequence.committed[static_cast<std::size_t>(position)];
          expected_position = position;
        } else {
          const SpeculativeEntry& entry = view.speculative[static_cast<std::size_t>(position - view.verified_len)];
          expected_token = entry.token;
          expected_position = entry.position;
        }
        const std::int64_t slot =
            static_cast<std::int64_t>(view.block_table[static_cast<std::size_t>(position / block_size)]) * block_size +
            position % block_size;
        const SlotShadow held = pool.shadow(slot);
        if (held.token != expected_token || held.position != expected_position) {
          fail(model, "sequence " + std::to_string(id) + " position " + std::to_string(position) + ": slot " +
                          std::to_string(slot) + " holds token " + std::to_string(held.token) + " (position " +
                          std::to_string(held.position) + "), expected token " + std::to_string(expected_token) +
                          " (position " + std::to_string(expected_position) + ")");
        }
      }
    }
  }
}

}  // namespace specrouter
