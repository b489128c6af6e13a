// The paged_attention operation's shared input check and factory.
#include "specrouter/kernels/paged_attention.h"

#include "specrouter/kernels/make_kernel.h"

#include <cmath>
#include <string>

#include "specrouter/state/state_errors.h"

namespace specrouter {
namespace {

std::string shape_of(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  std::string out = "[";
  for (std::int64_t d = 0; d < tensor.dim(); ++d) out += (d ? ", " : "") + std::to_string(tensor.size(d));
  return out + "]";
}

[[noreturn]] void fail(const std::string& message) { throw KvStateError("paged_attention: " + message); }

void require(bool condition, const std::string& message) {
  if (!condition) fail(message);
}

}  // namespace

PagedAttention::~PagedAttention() = default;

void check_paged_attention_args(const PagedAttentionArgs& args) {
  const at::Tensor& q = args.query;
  const at::Tensor& k = args.key_cache;
  const at::Tensor& v = args.value_cache;
  require(q.defined() && q.dim() == 3, "query must be [num_tokens, num_heads, head_dim], got " + shape_of(q));
  require(k.defined() && k.dim() == 4,
          "key_cache must be [num_blocks, block_size, num_kv_heads, head_dim], got " + shape_of(k));
  require(v.defined() && v.sizes() == k.sizes(),
          "value_cache must have key_cache's shape " + shape_of(k) + ", got " + shape_of(v));
  require(c10::isFloatingType(q.scalar_type()), "query must be floating point, got " +
                                                   std::string(c10::toString(q.scalar_type())));
  require(k.scalar_type() == q.scalar_type() && v.scalar_type() == q.scalar_type(),
          std::string("query, key_cache and value_cache must share a dtype, got ") + c10::toString(q.scalar_type()) +
              ", " + c10::toString(k.scalar_type()) + ", " + c10::toString(v.scalar_type()));
  require(k.device() == q.device() && v.device() == q.device(), "query, key_cache and value_cache must share a device");
  require(k.size(3) == q.size(2), "head_dim of query (" + std::to_string(q.size(2)) + ") and key_cache (" +
                                      std::to_string(k.size(3)) + ") differ");
  require(k.size(2) > 0 && q.size(1) % k.size(2) == 0,
          "num_heads " + std::to_string(q.size(1)) + " is not a multiple of num_kv_heads " + std::to_string(k.size(2)));
  require(std::isfinite(args.scale), "scale must be finite, got " + std::to_string(args.scale));
  require(!args.sliding_window || *args.sliding_window >= 1,
          "sliding_window must be at least 1, got " + std::to_string(args.sliding_window.value_or(0)));

  const at::Tensor& tables = args.block_tables;
  require(tables.defined() && tables.dim() == 2 && tables.scalar_type() == at::kInt,
          "block_tables must be int32 [num_seqs, max_blocks], got " + shape_of(tables));
  const std::int64_t num_seqs = tables.size(0);
  require(args.context_lens.defined() && args.context_lens.dim() == 1 && args.context_lens.size(0) == num_seqs &&
              args.context_lens.scalar_type() == at::kLong,
          "context_lens must be int64 [" + std::to_string(num_seqs) + "], got " + shape_of(args.context_lens));
  require(args.query_start.defined() && args.query_start.dim() == 1 && args.query_start.size(0) == num_seqs + 1 &&
              args.query_start.scalar_type() == at::kLong,
          "query_start must be int64 [" + std::to_string(num_seqs + 1) + "], got " + shape_of(args.query_start));
  const std::int64_t num_tokens = q.size(0);
  if (args.tree_parents.defined()) {
    require(args.tree_parents.dim() == 1 && args.tree_parents.size(0) == num_tokens &&
                args.tree_parents.scalar_type() == at::kInt,
            "tree_parents must be int32 [" + std::to_string(num_tokens) + "], got " + shape_of(args.tree_parents));
  }

  // Ranges, read on the host.
  const at::Tensor tables_host = tables.cpu().contiguous();
  const at::Tensor context_host = args.context_lens.cpu().contiguous();
  const at::Tensor start_host = args.query_start.cpu().contiguous();
  const at::Tensor parents_host = args.tree_parents.defined() ? args.tree_parents.cpu().contiguous() : at::Tensor();
  const auto* table = tables_host.data_ptr<std::int32_t>();
  const auto* context = context_host.data_ptr<std::int64_t>();
  const auto* start = start_host.data_ptr<std::int64_t>();
  const auto* parents = parents_host.defined() ? parents_host.data_ptr<std::int32_t>() : nullptr;
  const std::int64_t max_blocks = tables.size(1);
  const std::int64_t num_blocks = k.size(0);
  const std::int64_t block_size = k.size(1);
  require(start[0] == 0 && start[num_seqs] == num_tokens,
          "query_start must run from 0 to num_tokens " + std::to_string(num_tokens) + ", got " +
              std::to_string(start[0]) + " .. " + std::to_string(start[num_seqs]));
  for (std::int64_t s = 0; s < num_seqs; ++s) {
    const std::string seq = "sequence " + std::to_string(s);
    const std::int64_t count = start[s + 1] - start[s];
    require(count >= 0, "query_start decreases at " + seq);
    require(context[s] >= count, seq + ": context_lens " + std::to_string(context[s]) + " is less than its " +
                                     std::to_string(count) + " new tokens");
    const std::int64_t blocks = (context[s] + block_size - 1) / block_size;
    require(blocks <= max_blocks, seq + ": context_lens " + std::to_string(context[s]) + " needs " +
                                      std::to_string(blocks) + " blocks, block_tables has " + std::to_string(max_blocks));
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int32_t block = table[s * max_blocks + b];
      require(block >= 0 && block < num_blocks, seq + ": block_tables entry " + std::to_string(b) + " is block " +
                                                    std::to_string(block) + ", outside [0, " +
                                                    std::to_string(num_blocks) + ")");
    }
    if (parents != nullptr) {
      for (std::int64_t j = 0; j < count; ++j) {
        const std::int32_t parent = parents[start[s] + j];
        require(parent >= -1 && parent < j, seq + ": tree parent of new token " + std::to_string(j) + " is " +
                                                std::to_string(parent) + ", must be in [-1, " + std::to_string(j) + ")");
      }
    }
  }
}

std::shared_ptr<PagedAttention> make_paged_attention(const Registry<Kernel>& kernels, const std::string& name,
                                                     const Params& params) {
  return make_kernel_as<PagedAttention>(kernels, PagedAttention::kOp, name, params.values());
}

}  // namespace specrouter
