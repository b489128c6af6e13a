// The draft-length-table scheduler: a fixed chain whose bottom draft length is looked
// up in a batch-size table each step, the controller of vLLM's dynamic speculative
// decoding and of TensorRT-LLM's draft_len_schedule (docs/design/engine_controllers.md).
//
//   scheduler: {plugin: draft_length_table, chain: [draft, target],
//               batch_sizes: [1, 3, 9], draft_lengths: [4, 2, 0]}
//
// Entry i applies from batch size batch_sizes[i] up to the next entry's batch size, and
// the last entry to every larger batch: the table above drafts 4 tokens for batches of
// 1-2, 2 for 3-8 and none from 9 on. A draft length of 0 plans plain decoding with the
// target alone. `chain` names pool models cheapest first and ends at the target; empty
// means the pool's cheapest model and the target. In a chain of three models or more,
// the models above the bottom one propose `upper_draft_lengths` tokens, fixed.
//
// The chain is resolved to pool indices on the first call for a pool and kept (as the
// static scheduler does); a step costs one binary search of the table.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/pool_names.h"

namespace {

using specrouter::ConfigError;
using specrouter::PoolMember;

constexpr std::int64_t kMaxDraftLength = 1'000'000;

std::string quoted(const std::string& name) { return "'" + name + "'"; }

// One row of the table: from `batch_size` on (up to the next row), draft `draft_length`.
struct TableEntry {
  int batch_size;
  int draft_length;
};

// The draft length for `batch_size`: that of the last entry whose batch size is at most
// `batch_size`. `table` is sorted by batch size and starts at 1, so `batch_size` >= 1
// always finds one.
int draft_length_for(std::span<const TableEntry> table, int batch_size) {
  const auto after = std::upper_bound(table.begin(), table.end(), batch_size,
                                      [](int size, const TableEntry& entry) { return size < entry.batch_size; });
  return std::prev(after)->draft_length;
}

class DraftLengthTableScheduler final : public specrouter::Scheduler {
 public:
  // Checks everything that needs no pool: the table (same lengths, sorted, first entry
  // at batch size 1, draft lengths >= 0) and the chain's shape.
  explicit DraftLengthTableScheduler(const specrouter::Params& params)
      : owner_(params.owner()), chain_names_(params.get<std::vector<std::string>>("chain")) {
    const auto& sizes = params.get<std::vector<std::int64_t>>("batch_sizes");
    const auto& lengths = params.get<std::vector<std::int64_t>>("draft_lengths");
    if (sizes.empty()) {
      throw ConfigError(owner_ + ": batch_sizes is empty; the table needs at least the entry for batch size 1");
    }
    if (lengths.size() != sizes.size()) {
      throw ConfigError(owner_ + ": batch_sizes has " + std::to_string(sizes.size()) + " entries and draft_lengths " +
                        std::to_string(lengths.size()) + "; they are one table, entry for entry");
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      if (i == 0 && sizes[i] != 1) {
        throw ConfigError(owner_ + ": batch_sizes[0] is " + std::to_string(sizes[i]) +
                          ", must be 1: the first entry covers batch size 1");
      }
      if (i > 0 && sizes[i] <= sizes[i - 1]) {
        throw ConfigError(owner_ + ": batch_sizes" + at + " is " + std::to_string(sizes[i]) +
                          ", must exceed batch_sizes[" + std::to_string(i - 1) + "] (" + std::to_string(sizes[i - 1]) +
                          "): the table is sorted by batch size, each size once");
      }
      if (sizes[i] > std::numeric_limits<int>::max()) {
        throw ConfigError(owner_ + ": batch_sizes" + at + " is " + std::to_string(sizes[i]) + ", above " +
                          std::to_string(std::numeric_limits<int>::max()));
      }
      if (lengths[i] < 0 || lengths[i] > kMaxDraftLength) {
        throw ConfigError(owner_ + ": draft_lengths" + at + " is " + std::to_string(lengths[i]) + ", must be in [0, " +
                          std::to_string(kMaxDraftLength) + "] (0 = target-only decoding)");
      }
      table_.push_back({static_cast<int>(sizes[i]), static_cast<int>(lengths[i])});
    }

    if (chain_names_.size() == 1) {
      throw ConfigError(owner_ + ": chain has one model, " + quoted(chain_names_.front()) +
                        "; it needs a model below the target to draft with (empty = the pool's cheapest model and "
                        "the target)");
    }
    const auto& upper = params.get<std::vector<std::int64_t>>("upper_draft_lengths");
    const std::size_t upper_levels = chain_names_.empty() ? 0 : chain_names_.size() - 2;
    if (upper.size() != upper_levels) {
      throw ConfigError(owner_ + ": upper_draft_lengths has " + std::to_string(upper.size()) +
                        " entries, the chain needs " + std::to_string(upper_levels) +
                        " (one per model between the bottom model and the target)");
    }
    for (std::size_t level = 0; level < upper.size(); ++level) {
      if (upper[level] < 1 || upper[level] > kMaxDraftLength) {
        throw ConfigError(owner_ + ": upper_draft_lengths[" + std::to_string(level) + "] is " +
                          std::to_string(upper[level]) + ", must be in [1, " + std::to_string(kMaxDraftLength) + "]");
      }
      upper_draft_lengths_.push_back(static_cast<int>(upper[level]));
    }
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    if (context.batch_size < 1) {
      throw specrouter::UsageError(owner_ + ": asked to plan for a batch of " + std::to_string(context.batch_size) +
                                   " sequences, must be >= 1");
    }
    if (!resolved_for(context.pool)) resolve(context.pool);
    const int draft_length = draft_length_for(table_, context.batch_size);
    if (draft_length == 0) return {{chain_.back()}, {}};  // plain decoding with the target
    specrouter::Plan plan{chain_, {draft_length}};
    plan.draft_lengths.insert(plan.draft_lengths.end(), upper_draft_lengths_.begin(), upper_draft_lengths_.end());
    return plan;
  }

 private:
  bool resolved_for(std::span<const PoolMember> pool) const {
    return !resolved_pool_.empty() && std::ranges::equal(pool, resolved_pool_, {}, &PoolMember::name);
  }

  // Maps the chain to pool indices: a subsequence of the pool, in pool order, ending at
  // the target; the default is the cheapest model and the target.
  void resolve(std::span<const PoolMember> pool) {
    chain_ = specrouter::resolve_drafting_chain(pool, chain_names_, owner_);
    resolved_pool_.clear();
    for (const PoolMember& model : pool) resolved_pool_.push_back(model.name);
  }

  std::string owner_;                       // "scheduler 'draft_length_table'", for messages
  std::vector<std::string> chain_names_;    // as configured; empty = cheapest model and target
  std::vector<TableEntry> table_;           // sorted by batch size, first at 1
  std::vector<int> upper_draft_lengths_;    // levels above the bottom one, bottom-up
  std::vector<std::string> resolved_pool_;  // pool names `chain_` was resolved for
  std::vector<int> chain_;                  // pool indices, target last
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  using specrouter::int_list_param;
  registrar.add<specrouter::Scheduler>(
      {"draft_length_table",
       "a fixed chain whose bottom draft length comes from a batch-size table (vLLM dynamic speculative decoding, "
       "TensorRT-LLM draft_len_schedule); draft length 0 = target only",
       {specrouter::string_list_param("chain", {},
                                      "pool models, cheapest first, ending at the target; empty = the pool's "
                                      "cheapest model and the target"),
        int_list_param("batch_sizes", {1, 3, 9},
                       "smallest batch size of each table entry, increasing, the first 1; an entry lasts until "
                       "the next"),
        int_list_param("draft_lengths", {4, 2, 0},
                       "tokens the bottom model proposes, one per table entry (0 = target-only decoding)"),
        int_list_param("upper_draft_lengths", {},
                       "fixed draft lengths of the models between the bottom one and the target, bottom-up")}},
      [](const specrouter::Params& params) { return std::make_unique<DraftLengthTableScheduler>(params); });
}
