#include "specrouter/model/model.h"

#include "specrouter/model/contiguous_kv_cache.h"

namespace specrouter {

std::unique_ptr<KvCache> Model::make_kv_cache(std::int64_t initial_capacity) const {
  return std::make_unique<ContiguousKvCache>(kv_cache_shape(), initial_capacity);
}

}  // namespace specrouter
