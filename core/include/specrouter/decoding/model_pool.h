#pragma once

/// @file
/// @brief The pool as the step executor and model drafters see it: each model with its KV
/// cache in the run's StateManager and its name, cheapest first, target last.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "specrouter/pool_member.h"

namespace specrouter {

/// The loaded models that share a vocabulary, ordered by cost, the last being the target.
///
/// Plans (Plan::chain) index it. A non-owning view: the caller keeps the models alive and
/// registered their KV caches (Model::add_kv_cache()) in the StateManager the pool is
/// used with.
class ModelPool {
 public:
  /// Checks and holds `members`: at least one, no null model, unique non-empty names,
  /// and one vocabulary size for all (the models must share a vocabulary for their
  /// distributions to be compared). Throws UsageError naming the member at fault.
  explicit ModelPool(std::vector<PoolMember> members);

  /// Number of models.
  int size() const { return static_cast<int>(members_.size()); }
  /// The model at pool index `index`; throws UsageError when out of range.
  const PoolMember& at(int index) const;
  /// The last model, which commits tokens.
  const PoolMember& target() const { return members_.back(); }
  /// Pool index of the model called `name`; throws UsageError listing the pool's names.
  int index_of(const std::string& name) const;
  /// Every model, cheapest first: also the schedulers' view (SchedulingContext::pool).
  std::span<const PoolMember> members() const { return members_; }
  /// Entries of every model's logits rows.
  std::int64_t vocab_size() const { return vocab_size_; }

 private:
  std::vector<PoolMember> members_;
  std::int64_t vocab_size_ = 0;
};

}  // namespace specrouter
