#include "specrouter/decoding/model_pool.h"

#include <set>

#include "specrouter/error.h"
#include "specrouter/model/model.h"

namespace specrouter {

ModelPool::ModelPool(std::vector<PoolMember> members) : members_(std::move(members)) {
  if (members_.empty()) throw UsageError("ModelPool: a pool needs at least one model (the target)");
  std::set<std::string> names;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const PoolMember& member = members_[i];
    const std::string which = "ModelPool: member " + std::to_string(i) + " ('" + member.name + "')";
    if (member.name.empty()) throw UsageError("ModelPool: member " + std::to_string(i) + " has no name");
    if (!names.insert(member.name).second) throw UsageError(which + ": the name is used twice");
    if (member.model == nullptr) throw UsageError(which + " has no model");
    if (i == 0) {
      vocab_size_ = member.model->vocab_size();
    } else if (member.model->vocab_size() != vocab_size_) {
      throw UsageError(which + " has a vocabulary of " + std::to_string(member.model->vocab_size()) +
                       " tokens, '" + members_[0].name + "' has " + std::to_string(vocab_size_) +
                       "; a pool's models must share a vocabulary");
    }
  }
}

const PoolMember& ModelPool::at(int index) const {
  if (index < 0 || index >= size()) {
    throw UsageError("ModelPool: index " + std::to_string(index) + " is outside the pool of " +
                     std::to_string(size()) + " models");
  }
  return members_[static_cast<std::size_t>(index)];
}

int ModelPool::index_of(const std::string& name) const {
  std::string known;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].name == name) return static_cast<int>(i);
    known += (i ? ", '" : "'") + members_[i].name + "'";
  }
  throw UsageError("ModelPool: no model called '" + name + "' in the pool (" + known + ")");
}

}  // namespace specrouter
