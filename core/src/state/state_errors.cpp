// Key functions of the state manager's error types (see specrouter/error.h).
#include "specrouter/state/state_errors.h"

namespace specrouter {

OutOfKvMemory::~OutOfKvMemory() = default;
KvStateError::~KvStateError() = default;
KvConsistencyError::~KvConsistencyError() = default;

}  // namespace specrouter
