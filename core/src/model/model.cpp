#include "specrouter/model/model.h"

#include <utility>

namespace specrouter {

KvModelId Model::add_kv_cache(StateManager& state, const std::string& name, const KvBudget& budget,
                              std::int64_t block_size, std::shared_ptr<BlockCopyKernel> block_copy) const {
  return state.add_model(kv_cache_spec(name, block_size), budget, std::move(block_copy));
}

}  // namespace specrouter
