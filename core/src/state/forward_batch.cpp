// Paged attention inputs from a forward batch and a pool.
#include "specrouter/state/forward_batch.h"

#include "specrouter/state/block_pool.h"

namespace specrouter {

PagedAttentionArgs attention_args(const KvForwardBatch& batch, const KvBlockPool& pool, std::int64_t layer,
                                  const at::Tensor& query, double scale, std::optional<std::int64_t> sliding_window) {
  PagedAttentionArgs args;
  args.query = query;
  args.key_cache = pool.key_cache(layer);
  args.value_cache = pool.value_cache(layer);
  args.block_tables = batch.block_tables;
  args.context_lens = batch.context_lens;
  args.query_start = batch.query_start;
  args.tree_parents = batch.tree_parents;
  args.sliding_window = sliding_window;
  args.scale = scale;
  return args;
}

}  // namespace specrouter
