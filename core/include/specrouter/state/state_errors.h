#pragma once

/// @file
/// @brief The errors the KV state manager throws.

#include "specrouter/error.h"

namespace specrouter {

/// A model's KV block pool has fewer free blocks than an operation needs. Thrown before
/// anything changes (strong guarantee): every sequence is exactly as before the call, so
/// the caller can free memory (release, roll back, preempt) and retry.
class OutOfKvMemory : public CapacityError {
 public:
  using CapacityError::CapacityError;
  ~OutOfKvMemory() override;  ///< out of line: the key function (see error.h)
};

/// A caller broke the state manager's contract: an unknown sequence or model id, a
/// negative length, a token fed at a committed position that differs from the committed
/// token, a malformed tree. Thrown before anything changes.
class KvStateError : public UsageError {
 public:
  using UsageError::UsageError;
  ~KvStateError() override;  ///< out of line: the key function (see error.h)
};

/// The debug consistency check found KV storage that does not hold what the bookkeeping
/// says (a bug in the manager or in code that wrote into the pools). The message names
/// the model, the sequence and the position.
class KvConsistencyError : public Error {
 public:
  using Error::Error;
  ~KvConsistencyError() override;  ///< out of line: the key function (see error.h)
};

}  // namespace specrouter
