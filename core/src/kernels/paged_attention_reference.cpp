// paged_attention/reference: gather through the block table, then dense attention. It
// lives in the core (like linear/reference) so the model runs without any plugin.
#include "specrouter/kernels/paged_attention.h"

#include <ATen/Functions.h>

#include <limits>
#include <vector>

#include "specrouter/kernels/paged_attention_mask.h"

namespace specrouter {
namespace {

// Gathers each sequence's K/V through its block table into contiguous tensors, then
// computes softmax(q k^T * scale + mask) v with tensor ops: plain and slow on purpose.
class ReferencePagedAttention final : public PagedAttention {
 public:
  at::Tensor forward(const PagedAttentionArgs& args) const override;
};

at::Tensor ReferencePagedAttention::forward(const PagedAttentionArgs& args) const {
  check_paged_attention_args(args);
  const at::Tensor& query = args.query;  // [num_tokens, num_heads, head_dim]
  const std::int64_t num_heads = query.size(1);
  const std::int64_t block_size = args.key_cache.size(1);
  const std::int64_t num_kv_heads = args.key_cache.size(2);
  const std::int64_t head_dim = args.key_cache.size(3);
  const at::ScalarType math_type = query.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;

  const at::Tensor tables = args.block_tables.cpu();
  const at::Tensor context_lens = args.context_lens.cpu();
  const at::Tensor query_start = args.query_start.cpu();
  const at::Tensor parents = args.tree_parents.defined() ? args.tree_parents.cpu().contiguous() : at::Tensor();
  const auto* context = context_lens.data_ptr<std::int64_t>();
  const auto* start = query_start.data_ptr<std::int64_t>();

  at::Tensor output = at::empty_like(query);  // [num_tokens, num_heads, head_dim]
  for (std::int64_t s = 0; s < tables.size(0); ++s) {
    const std::int64_t count = start[s + 1] - start[s];
    if (count == 0) continue;
    const std::int64_t context_len = context[s];
    const std::int64_t blocks = (context_len + block_size - 1) / block_size;
    const at::Tensor table = tables[s].narrow(0, 0, blocks).to(at::kLong).to(query.device());
    // Gather: [blocks, block_size, kv_heads, head_dim] -> [context_len, kv_heads, head_dim].
    auto gather = [&](const at::Tensor& cache) {
      return cache.index_select(0, table).reshape({blocks * block_size, num_kv_heads, head_dim})
          .narrow(0, 0, context_len).to(math_type)
          .repeat_interleave(num_heads / num_kv_heads, 1);  // [context_len, num_heads, head_dim]
    };
    const at::Tensor keys = gather(args.key_cache);
    const at::Tensor values = gather(args.value_cache);
    const at::Tensor q = query.narrow(0, start[s], count).to(math_type);  // [count, num_heads, head_dim]

    const detail::SequenceMask mask(
        context_len - count, count, parents.defined() ? parents.data_ptr<std::int32_t>() + start[s] : nullptr,
        args.sliding_window);
    std::vector<std::uint8_t> visible(static_cast<std::size_t>(count * context_len));
    for (std::int64_t j = 0; j < count; ++j) {
      for (std::int64_t p = 0; p < context_len; ++p) visible[static_cast<std::size_t>(j * context_len + p)] = mask.sees(j, p);
    }
    const at::Tensor blocked =
        at::from_blob(visible.data(), {count, context_len}, at::kByte).to(query.device()).logical_not();

    at::Tensor scores = at::einsum("nhd,chd->hnc", {q, keys}).mul(args.scale);  // [num_heads, count, context_len]
    scores.masked_fill_(blocked.unsqueeze(0), -std::numeric_limits<double>::infinity());
    const at::Tensor probs = at::softmax(scores, -1);
    const at::Tensor out = at::einsum("hnc,chd->nhd", {probs, values});  // [count, num_heads, head_dim]
    output.narrow(0, start[s], count).copy_(out);
  }
  return output;
}

}  // namespace

std::unique_ptr<PagedAttention> make_reference_paged_attention() { return std::make_unique<ReferencePagedAttention>(); }

std::shared_ptr<const PagedAttention> reference_paged_attention() {
  static const std::shared_ptr<const PagedAttention> instance = make_reference_paged_attention();
  return instance;
}

}  // namespace specrouter
