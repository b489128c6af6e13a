#pragma once

/// @file
/// @brief Creating a kernel of a known operation from the kernel registry by name.

#include <map>
#include <memory>
#include <string>

#include "specrouter/kernel.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registry.h"

namespace specrouter {

/// Makes the kernel `name` of operation `op` from `kernels`: `name` is the full registry
/// name ("linear/cpu_small_batch") or just the implementation ("cpu_small_batch").
/// `params` are checked against the kernel's declared parameters (empty: the defaults).
/// The result keeps the kernel's plugin library loaded. Throws UnknownComponentError
/// listing the registered implementations of `op`, PluginError when the kernel is not an
/// `op`, and ConfigError for bad parameters.
std::shared_ptr<Kernel> make_kernel(const Registry<Kernel>& kernels, const std::string& op, const std::string& name,
                                    const std::map<std::string, ParamValue>& params = {});

/// Throws the PluginError of make_kernel_as() for kernel `name` that is not an `op`.
[[noreturn]] void throw_not_an_op(const std::string& name, const std::string& op);

/// make_kernel() as the operation's interface `Op` (LinearKernel, PagedAttention,
/// BlockCopyKernel, ...); throws PluginError when the kernel does not implement it.
template <class Op>
std::shared_ptr<Op> make_kernel_as(const Registry<Kernel>& kernels, const std::string& op, const std::string& name,
                                   const std::map<std::string, ParamValue>& params = {}) {
  std::shared_ptr<Kernel> kernel = make_kernel(kernels, op, name, params);
  std::shared_ptr<Op> typed = std::dynamic_pointer_cast<Op>(kernel);
  if (!typed) throw_not_an_op(name, op);
  return typed;
}

}  // namespace specrouter
