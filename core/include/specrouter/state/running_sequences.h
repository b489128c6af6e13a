#pragma once

/// @file
/// @brief RunningSequences: the sequences a generation loop has started and not yet
/// released, released together however the loop ends.

#include <span>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

class StateManager;

/// Owns the sequences a generation loop starts in a StateManager until it releases them.
///
/// A loop creates each sequence through create_sequence() and hands back finished ones
/// through release(); whatever is still held when the object goes out of scope (the loop
/// returned, or an exception left it) is released then, in one StateManager::release()
/// call, in the order the sequences were created. The destructor never throws: an error
/// of that last release (an id the loop released behind its back, directly in the
/// manager) is swallowed, leaving every held sequence in the manager, because a throw
/// during unwinding would terminate the program and the loop's own exception is the one
/// worth reporting.
///
/// The StateManager must outlive this object. Not copyable, like the ownership it holds.
class RunningSequences {
 public:
  /// Holds nothing yet; sequences of `state` are released through it.
  explicit RunningSequences(StateManager& state) : state_(state) {}
  /// Releases the sequences still held (see the class comment); never throws.
  ~RunningSequences();
  /// Not copyable: two owners would release the same sequences twice.
  RunningSequences(const RunningSequences&) = delete;
  /// Not copyable.
  RunningSequences& operator=(const RunningSequences&) = delete;

  /// StateManager::create_sequence(), holding the new sequence until it is released.
  SequenceId create_sequence(std::span<const TokenId> prompt);
  /// StateManager::release() of `finished` (all ids are checked first; on an error nothing
  /// is released and nothing stops being held); they are then no longer held.
  void release(std::span<const SequenceId> finished);
  /// The sequences held, in the order they were created.
  std::span<const SequenceId> held() const { return held_; }

 private:
  StateManager& state_;
  std::vector<SequenceId> held_;
};

}  // namespace specrouter
