#include "specrouter/scheduling/pool_names.h"

#include "specrouter/error.h"

namespace specrouter {
namespace {

std::string quoted(const std::string& name) { return "'" + name + "'"; }

}  // namespace

int find_pool_model(std::span<const PoolMember> pool, const std::string& name) {
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (pool[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string pool_names(std::span<const PoolMember> pool) {
  std::string out;
  for (const PoolMember& model : pool) out += (out.empty() ? "" : ", ") + model.name;
  return out;
}

std::vector<int> resolve_chain(std::span<const PoolMember> pool, const std::vector<std::string>& names,
                               const std::string& owner) {
  if (pool.empty()) throw ConfigError(owner + ": the pool is empty, there is no target to plan for");
  const int target = static_cast<int>(pool.size()) - 1;
  std::vector<int> chain;
  for (const std::string& name : names) {
    const int index = find_pool_model(pool, name);
    if (index < 0) {
      throw ConfigError(owner + ": chain entry " + quoted(name) + " is not a pool model (pool: " + pool_names(pool) +
                        ")");
    }
    if (!chain.empty() && index <= chain.back()) {
      throw ConfigError(owner + ": chain lists " + quoted(name) + " after " + quoted(pool[chain.back()].name) +
                        "; it must follow pool order, cheapest first, each model once (pool: " + pool_names(pool) +
                        ")");
    }
    chain.push_back(index);
  }
  if (chain.empty()) return {target};  // no chain: plain decoding
  if (chain.back() != target) {
    throw ConfigError(owner + ": chain ends at " + quoted(pool[chain.back()].name) + ", but must end at the target " +
                      quoted(pool[target].name) + " (the last pool model)");
  }
  return chain;
}

std::vector<int> resolve_drafting_chain(std::span<const PoolMember> pool, const std::vector<std::string>& names,
                                        const std::string& owner) {
  if (!names.empty()) return resolve_chain(pool, names, owner);
  if (pool.empty()) throw ConfigError(owner + ": the pool is empty, there is no target to plan for");
  if (pool.size() < 2) {
    throw ConfigError(owner + ": the pool holds only the target " + quoted(pool.back().name) +
                      "; the default chain needs a cheaper model to draft with");
  }
  return {0, static_cast<int>(pool.size()) - 1};
}

}  // namespace specrouter
