#pragma once

/// @file
/// @brief The `paged_attention` operation: attention of a ragged batch of new tokens
/// over KV caches stored in fixed-size blocks (KvBlockPool), addressed by block tables.
///
/// Implementations register as kernels named `paged_attention/<impl>`:
/// `paged_attention/reference` (gather through the block table, then dense softmax; in the
/// core, the model's default) and `paged_attention/cpu` (blockwise online softmax, no
/// gather; `kernels/cpu/paged_attention/`). Which keys a token sees is coded once, in
/// specrouter/kernels/paged_attention_mask.h.
///
/// Which keys a new token sees. Sequence `s` has `n = query_start[s+1] - query_start[s]`
/// new tokens and `context_lens[s]` positions of K/V, the new ones included, so its
/// cached prefix is `prefix = context_lens[s] - n` and new token `j` is stored at
/// position `prefix + j`. Token `j` attends to every cached position `< prefix` and to
/// the new tokens that are its ancestors, itself included. Without `tree_parents` the new
/// tokens form a chain (token `j` sees new tokens `0..j`: causal). With `tree_parents`,
/// `parents[j]` is the index of its parent among the sequence's new tokens (`-1`: the
/// last cached token), always `< j`. A token's *position* is `prefix + depth`, where
/// `depth` counts its new ancestors (0 for a child of the cache); with
/// `sliding_window = w` a token at position `p` sees only keys at positions `> p - w`
/// (itself and the `w - 1` before it).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "specrouter/kernel.h"
#include "specrouter/plugin/registry.h"

namespace specrouter {

/// Inputs of one paged attention call (one layer, one ragged batch).
struct PagedAttentionArgs {
  at::Tensor query;         ///< `[num_tokens, num_heads, head_dim]`, new tokens of all sequences, in order
  at::Tensor key_cache;     ///< `[num_blocks, block_size, num_kv_heads, head_dim]`, new keys already written
  at::Tensor value_cache;   ///< `[num_blocks, block_size, num_kv_heads, head_dim]`, new values already written
  at::Tensor block_tables;  ///< `[num_seqs, max_blocks_per_seq]` int32; row `s` lists sequence `s`'s blocks
  at::Tensor context_lens;  ///< `[num_seqs]` int64: K/V positions of each sequence, new tokens included
  at::Tensor query_start;   ///< `[num_seqs + 1]` int64 cumulative new-token counts; `query_start[0] = 0`
  at::Tensor tree_parents;  ///< `[num_tokens]` int32 parent among the sequence's new tokens, or undefined: causal
  std::optional<std::int64_t> sliding_window;  ///< keys at positions `> p - w` only; std::nullopt: all
  double scale = 1.0;       ///< multiplies `q . k`, usually `1 / sqrt(head_dim)`
};

/// Validates shapes, dtypes, devices and ranges of `args` (including that every needed
/// block-table entry is a valid block and every tree parent precedes its child); throws
/// KvStateError naming the tensor and value at fault. Reads the index tensors on the host.
void check_paged_attention_args(const PagedAttentionArgs& args);

/// The `paged_attention` operation. Query heads map to key/value heads in groups
/// (grouped-query attention): head `h` uses key/value head `h / (num_heads / num_kv_heads)`.
class PagedAttention : public Kernel {
 public:
  /// The operation name, "paged_attention".
  static constexpr const char* kOp = "paged_attention";

  /// Defined in the core, so the class's type information lives there (dynamic_cast
  /// from a plugin's object works across the library boundary).
  ~PagedAttention() override;
  /// Returns kOp.
  const char* op() const override { return kOp; }

  /// Attention output `[num_tokens, num_heads, head_dim]` in the query's dtype. Throws
  /// KvStateError on malformed inputs (see check_paged_attention_args()).
  virtual at::Tensor forward(const PagedAttentionArgs& args) const = 0;
};

/// A new `paged_attention/reference` kernel: gathers each sequence's K/V through its block
/// table, then dense masked softmax (float32 math for 16-bit inputs, float64 for float64).
/// The definition every other implementation is tested against.
std::unique_ptr<PagedAttention> make_reference_paged_attention();

/// The core's shared `paged_attention/reference` instance, the model's default.
std::shared_ptr<const PagedAttention> reference_paged_attention();

/// Makes the kernel `name` ("paged_attention/cpu", or just the implementation "cpu")
/// from `kernels` with validated `params` (the built-in kernels declare none). The
/// result keeps the kernel's library loaded. Throws UnknownComponentError for an unknown
/// name and PluginError when the kernel is not a paged_attention.
std::shared_ptr<PagedAttention> make_paged_attention(const Registry<Kernel>& kernels, const std::string& name,
                                                     const Params& params = {});

}  // namespace specrouter
