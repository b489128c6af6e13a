// Sizes of a model's KV cache and the number of blocks a budget buys.
#include "specrouter/state/kv_spec.h"

#include <c10/core/ScalarType.h>

#include <limits>

#include "specrouter/state/state_errors.h"

namespace specrouter {

std::int64_t KvCacheSpec::bytes_per_token() const {
  // K and V, every layer, every key/value head.
  return 2 * num_layers * num_kv_heads * head_dim * static_cast<std::int64_t>(c10::elementSize(dtype));
}

std::int64_t KvCacheSpec::bytes_per_block() const { return bytes_per_token() * block_size; }

void KvCacheSpec::validate() const {
  auto require_positive = [this](const char* field, std::int64_t value) {
    if (value <= 0) {
      throw KvStateError("KV cache of model '" + model + "': " + field + " must be positive, got " +
                         std::to_string(value));
    }
  };
  if (model.empty()) throw KvStateError("KV cache spec without a model name");
  require_positive("num_layers", num_layers);
  require_positive("num_kv_heads", num_kv_heads);
  require_positive("head_dim", head_dim);
  require_positive("block_size", block_size);
  if (!c10::isFloatingType(dtype)) {
    throw KvStateError("KV cache of model '" + model + "': dtype must be a floating type, got " +
                       std::string(c10::toString(dtype)));
  }
}

std::int64_t KvBudget::num_blocks(const KvCacheSpec& spec) const {
  const std::int64_t blocks = unit == Unit::kBlocks ? amount : amount / spec.bytes_per_block();
  if (blocks <= 0) {
    throw KvStateError("KV budget of model '" + spec.model + "': " + std::to_string(amount) +
                       (unit == Unit::kBlocks ? " blocks" : " bytes") + " buys no block of " +
                       std::to_string(spec.bytes_per_block()) + " bytes");
  }
  // Block ids are int32 (block tables are int32 tensors).
  if (blocks > std::numeric_limits<std::int32_t>::max()) {
    throw KvStateError("KV budget of model '" + spec.model + "': " + std::to_string(blocks) +
                       " blocks exceed the int32 block id range");
  }
  return blocks;
}

}  // namespace specrouter
