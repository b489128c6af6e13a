#pragma once

/// @file
/// @brief Kernel: one implementation of one operation, chosen by name in the config.
///
/// Each operation (`block_copy`, `paged_attention`, ...) has an abstract interface in
/// `specrouter/kernels/`. Implementations register under the name `<op>/<impl>`, e.g.
/// `block_copy/cpu`, and every operation has a plain reference implementation
/// (`<op>/reference`) that the others are tested against.

#include <string>

namespace specrouter {

/// Base of every kernel operation interface.
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// The operation this kernel implements, e.g. "block_copy".
  virtual const char* op() const = 0;
};

/// Registry name of implementation `impl` of operation `op`: "<op>/<impl>".
inline std::string kernel_name(const std::string& op, const std::string& impl) { return op + "/" + impl; }

}  // namespace specrouter
