#include "specrouter/state/running_sequences.h"

#include <algorithm>

#include "specrouter/state/state_manager.h"

namespace specrouter {

RunningSequences::~RunningSequences() {
  if (held_.empty()) return;
  try {
    state_.release(held_);
  } catch (...) {
    // Swallowed on purpose: see the class comment (a throw while unwinding terminates).
  }
}

SequenceId RunningSequences::create_sequence(std::span<const TokenId> prompt) {
  held_.reserve(held_.size() + 1);  // so that holding the new sequence cannot fail after it exists
  const SequenceId sequence = state_.create_sequence(prompt);
  held_.push_back(sequence);
  return sequence;
}

void RunningSequences::release(std::span<const SequenceId> finished) {
  state_.release(finished);
  std::erase_if(held_, [&](SequenceId id) {
    return std::find(finished.begin(), finished.end(), id) != finished.end();
  });
}

}  // namespace specrouter
