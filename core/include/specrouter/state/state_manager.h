#pragma once

/// @file
/// @brief The synchronized state manager: each sequence's committed tokens (the only
/// truth) and every model's paged KV cache of it, kept consistent through speculative
/// appends, commits, rollbacks and forks.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "specrouter/state/block_pool.h"
#include "specrouter/state/forward_batch.h"
#include "specrouter/state/kv_spec.h"
#include "specrouter/state/memory_report.h"
#include "specrouter/state/state_errors.h"
#include "specrouter/types.h"

namespace specrouter {

/// New tokens of one sequence for one model's forward (StateManager::append()), or
/// tokens to commit (StateManager::commit()).
struct SequenceTokens {
  SequenceId sequence = 0;                ///< the sequence
  std::span<const TokenId> tokens;        ///< tokens, in storage order
  /// Optional tree structure (append only): `parents[j]` is the index of token `j`'s
  /// parent among these tokens, `-1` for a child of the last token already in the cache,
  /// always `< j`. Empty: a chain.
  std::span<const std::int32_t> parents;
};

/// A target length for one sequence (StateManager::rollback()).
struct SequenceLength {
  SequenceId sequence = 0;   ///< the sequence
  std::int64_t length = 0;   ///< K/V positions to keep
};

/// The accepted root-to-leaf path of a speculative tree (StateManager::keep_path()).
struct KeptPath {
  SequenceId sequence = 0;                  ///< the sequence
  std::span<const std::int64_t> positions;  ///< storage positions of the path's tokens, root first
};

/// Options of a StateManager.
struct StateManagerOptions {
  /// Keep a shadow of what every slot holds and check every invariant after every
  /// operation (see StateManager::check_consistency()); O(stored positions) per call.
  bool debug_checks = false;
};

/// The synchronized state of every sequence for every model.
///
/// **Truth.** Each sequence has its committed tokens, append-only (the prompt, then what
/// the target accepted). **Views.** Each model holds K/V for positions `[0, kv_len)` of
/// each sequence: a prefix of the committed tokens (it may lag, and must then feed the
/// catch_up_tokens() first), possibly followed by speculative tokens of its own (drafts,
/// tree nodes) that run ahead of the committed prefix. Invariant, for every (model,
/// sequence): positions `[0, kv_len)` of the model's cache hold exactly the K/V of the
/// model's view of the sequence, committed tokens first. commit() restores it after the
/// truth grows by cutting each model's speculative tail at its first disagreement.
///
/// **Memory.** One KvBlockPool per model (per model, device and dtype), reserved up
/// front. A (model, sequence) owns a block table of `ceil(kv_len / block_size)` blocks,
/// so only each sequence's last block can be partly empty. Blocks are
/// reference-counted: fork() shares all blocks, and a shared, partly filled last block is
/// copied on the first write into it (copy-on-write). A forked prompt therefore shares
/// its prefix with every fork (prefix sharing).
///
/// **Failures.** Every operation validates everything, including that the pools have
/// enough free blocks, before it changes anything: on OutOfKvMemory or KvStateError the
/// manager is exactly as before the call.
///
/// **Costs** are stated per operation; "blocks" means block-table entries touched. No
/// operation copies K/V of kept positions except copy-on-write of one partial block per
/// (model, sequence) and keep_path(), which moves the accepted tree tokens.
///
/// Not thread-safe: one step executor drives it.
class StateManager {
 public:
  /// An empty manager with no models and no sequences.
  explicit StateManager(StateManagerOptions options = {});
  /// Frees every pool.
  ~StateManager();
  /// Not copyable: pools are large and sequences are identified by this manager's ids.
  StateManager(const StateManager&) = delete;
  /// Not copyable.
  StateManager& operator=(const StateManager&) = delete;

  /// @name Models
  ///@{

  /// Registers a model and reserves its pool from `budget`. Existing sequences get an
  /// empty cache for it (all their committed tokens are catch-up tokens). `block_copy`
  /// (e.g. `block_copy/cpu`, or `block_copy/cuda` for a CUDA pool) does the
  /// copy-on-write copies; without it a tensor gather/scatter does. Throws KvStateError
  /// for an invalid spec or a duplicate model name. Cost: the allocation of the pool,
  /// O(budget bytes), plus O(sequences).
  KvModelId add_model(const KvCacheSpec& spec, const KvBudget& budget,
                      std::shared_ptr<BlockCopyKernel> block_copy = nullptr);
  /// The id of the model called `name`; throws KvStateError when there is none.
  KvModelId model_id(const std::string& name) const;
  /// Number of registered models.
  std::int32_t num_models() const { return static_cast<std::int32_t>(pools_.size()); }
  /// The pool of a model: its K/V tensors, where the model writes and reads.
  KvBlockPool& pool(KvModelId model);
  /// The pool of a model (read-only).
  const KvBlockPool& pool(KvModelId model) const;
  ///@}

  /// @name Sequences
  ///@{

  /// Starts a sequence whose committed tokens are `prompt`; no model holds K/V of it yet,
  /// so the whole prompt is every model's catch-up. Cost: O(prompt length).
  SequenceId create_sequence(std::span<const TokenId> prompt);
  /// Starts a copy of `parent`: the same committed tokens and, for every model, the same
  /// K/V (its blocks shared by reference, none copied; speculative tokens included). The
  /// two then evolve independently. Cost: O(committed tokens) to copy the token list
  /// (4 bytes each) plus O(blocks) reference-count increments; no K/V is copied.
  SequenceId fork(SequenceId parent);
  /// Drops a finished sequence (or a fork) and returns the blocks only it held.
  /// Cost: O(blocks). Throws KvStateError for an unknown id.
  void release(SequenceId sequence);
  /// Drops several sequences (all ids are checked first). Cost: O(their blocks).
  void release(std::span<const SequenceId> sequences);
  /// True when `sequence` exists.
  bool contains(SequenceId sequence) const { return sequences_.count(sequence) != 0; }
  /// Ids of all live sequences, ascending.
  std::vector<SequenceId> sequences() const;
  ///@}

  /// @name Committed tokens (the truth)
  ///@{

  /// The committed tokens of a sequence. Valid until the next non-const call.
  std::span<const TokenId> committed_tokens(SequenceId sequence) const;
  /// Number of committed tokens of a sequence.
  std::int64_t committed_length(SequenceId sequence) const;
  /// Appends `tokens` to the committed tokens of `sequence` and cuts, for every model,
  /// the speculative K/V at its first position that disagrees with the new committed
  /// tokens (or is a tree node off the chain); K/V that agrees becomes committed K/V in
  /// place. Cost: O(tokens) plus O(blocks freed) per model.
  void commit(SequenceId sequence, std::span<const TokenId> tokens);
  /// commit() for several sequences at once (all checked first; `parents` must be empty).
  void commit(std::span<const SequenceTokens> batch);
  ///@}

  /// @name One model's view
  ///@{

  /// K/V positions model `model` holds for `sequence`.
  std::int64_t kv_length(KvModelId model, SequenceId sequence) const;
  /// Committed tokens the model has no K/V for, `[kv_length, committed_length)`: what it
  /// must feed first on its next forward. Empty when it is level or ahead. Valid until
  /// the next non-const call.
  std::span<const TokenId> catch_up_tokens(KvModelId model, SequenceId sequence) const;
  /// The tokens whose K/V the model holds, positions `[0, kv_length)`. Cost: O(kv_length).
  std::vector<TokenId> kv_tokens(KvModelId model, SequenceId sequence) const;
  /// The model's speculative tokens: its K/V past the committed tokens it agrees with.
  std::vector<TokenId> speculative_tokens(KvModelId model, SequenceId sequence) const;
  /// The model's block table for `sequence`, `ceil(kv_length / block_size)` entries.
  /// Valid until the next non-const call.
  std::span<const BlockId> block_table(KvModelId model, SequenceId sequence) const;
  ///@}

  /// @name K/V operations
  ///@{

  /// Reserves slots for the next tokens of each sequence in `batch` in model `model`'s
  /// cache, positions `[kv_length, kv_length + n)`, and returns where to write them and
  /// the block tables to attend through. The K/V of those positions counts as held from
  /// now on: the caller writes it before the next operation (or rolls back if its
  /// forward fails).
  ///
  /// Tokens at committed positions (catch-up) must equal the committed tokens and form a
  /// chain; later ones are speculative. Tree `parents` give speculative tokens positions
  /// by depth (KvForwardBatch::positions). Throws KvStateError (unknown or repeated
  /// sequence, bad parents, a catch-up token that differs from the committed one) or
  /// OutOfKvMemory, changing nothing. Cost: O(new tokens + new blocks), a copy of at most
  /// one partial block per sequence (copy-on-write of a shared last block), and
  /// O(sequences * max blocks) to fill the block tables.
  KvForwardBatch append(KvModelId model, std::span<const SequenceTokens> batch);
  /// append() for one sequence whose new tokens form a chain.
  KvForwardBatch append(KvModelId model, SequenceId sequence, std::span<const TokenId> tokens);

  /// Cuts each listed sequence, in each listed model, to at most its own `length`
  /// positions (a model holding fewer keeps what it has): a whole ragged batch, every
  /// level of a chain, in one call. Whole blocks past the new length return to the pool;
  /// no kept K/V is touched. Cutting below the committed length is allowed (the model
  /// then lags and catches up). All ids and lengths are checked first. Cost:
  /// O(models * sequences + blocks freed), independent of the positions kept.
  void rollback(std::span<const KvModelId> models, std::span<const SequenceLength> targets);
  /// rollback() of one model and one sequence.
  void rollback(KvModelId model, SequenceId sequence, std::int64_t length);
  /// Drops every speculative token of the listed sequences in the listed models
  /// (rollback to the committed length). Same cost as rollback().
  void rollback_to_committed(std::span<const KvModelId> models, std::span<const SequenceId> sequences);

  /// After a tree of speculative tokens was verified, keeps one root-to-leaf path per
  /// sequence: its tokens' K/V moves to consecutive positions starting at the path's
  /// first position (its depth-based position), everything else past it is dropped, and
  /// the path becomes an ordinary chain. `positions` are storage positions in the
  /// speculative part; each token's parent must be the previous one (the first's: the
  /// token just before its position). Throws KvStateError or OutOfKvMemory (a shared
  /// block to copy first), changing nothing. Cost: O(path length) slot copies of every
  /// layer plus O(blocks freed).
  void keep_path(KvModelId model, std::span<const KeptPath> paths);
  ///@}

  /// @name Inspection
  ///@{

  /// Blocks used and free, peak use and bytes per token of every pool.
  MemoryReport memory_report() const;
  /// Checks every invariant and throws KvConsistencyError naming the model, sequence
  /// and position of the first violation: reference counts equal block-table
  /// occurrences, the free list holds exactly the unreferenced blocks once, each block
  /// table has `ceil(kv_length / block_size)` entries and, with debug_checks, that the
  /// shadow of every slot in `[0, kv_length)` holds the token and position the view
  /// says. Cost: O(blocks + stored positions). Runs after every operation in debug mode.
  void check_consistency() const;
  /// True when the manager checks itself after every operation.
  bool debug_checks() const { return options_.debug_checks; }
  ///@}

 private:
  friend struct detail::StateTestAccess;
  // One speculative token held in a model's cache past the committed tokens it agrees with.
  struct SpeculativeEntry {
    TokenId token = 0;
    std::int64_t position = 0;  // depth-based position it was computed at
    std::int64_t parent = 0;    // storage position of its parent (-1: none)
  };
  // One model's view of one sequence.
  struct ModelView {
    std::vector<BlockId> block_table;  // ceil(kv_len / block_size) blocks
    std::int64_t kv_len = 0;
    // Positions [0, verified_len) hold the committed tokens; [verified_len, kv_len) hold
    // `speculative`, and then verified_len == committed length.
    std::int64_t verified_len = 0;
    std::vector<SpeculativeEntry> speculative;
  };
  struct Sequence {
    std::vector<TokenId> committed;
    std::vector<ModelView> views;  // one per model
  };

  Sequence& sequence_at(SequenceId sequence, const char* operation);
  const Sequence& sequence_at(SequenceId sequence, const char* operation) const;
  void check_model(KvModelId model, const char* operation) const;
  // Frees the blocks of `view` past `length` positions and shortens it; never allocates.
  void truncate(KvModelId model, ModelView& view, std::int64_t length);
  // Cuts `view`'s speculative tokens where they stop agreeing with `committed`.
  void reconcile(KvModelId model, ModelView& view, const std::vector<TokenId>& committed);
  void after_operation() const;

  StateManagerOptions options_;
  std::vector<std::unique_ptr<KvBlockPool>> pools_;  // one per model, by KvModelId
  std::unordered_map<SequenceId, Sequence> sequences_;
  SequenceId next_sequence_id_ = 0;
};

}  // namespace specrouter
