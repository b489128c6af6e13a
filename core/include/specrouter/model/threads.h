#pragma once

/// @file
/// @brief How many CPU threads libtorch's operators use.

namespace specrouter {

/// Sets libtorch's intra-op thread count (the threads one matmul or softmax uses) and
/// returns the count set; `threads <= 0` means every hardware thread of the machine.
/// Call it once at start-up (the CLI does, from its config), before the first model call.
int set_compute_threads(int threads = 0);

/// The intra-op thread count libtorch currently uses.
int compute_threads();

}  // namespace specrouter
