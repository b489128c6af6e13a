// Key functions of the error types: their vtables and type information are emitted
// here only (see error.h).
#include "specrouter/error.h"

namespace specrouter {

Error::~Error() = default;
ConfigError::~ConfigError() = default;
PluginError::~PluginError() = default;
UnknownComponentError::~UnknownComponentError() = default;
CheckpointError::~CheckpointError() = default;
CapacityError::~CapacityError() = default;
UsageError::~UsageError() = default;
NumericalError::~NumericalError() = default;

}  // namespace specrouter
