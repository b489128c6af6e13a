#include "specrouter/engine/model_kernels.h"

#include "specrouter/error.h"
#include "specrouter/kernels/make_kernel.h"

namespace specrouter::engine {

void ModelKernels::apply(ModelOptions& options) const {
  options.linear = linear;
  options.attention = attention;
}

const KernelChoices& default_kernel_choices() {
  static const KernelChoices choices = {{"linear", "cpu_small_batch"}, {"paged_attention", "cpu"}, {"block_copy", "cpu"}};
  return choices;
}

ModelKernels make_model_kernels(const Registries& registries, const KernelChoices& choices,
                                const std::function<std::string(const std::string& op)>& where) {
  ModelKernels kernels;
  for (const auto& [op, impl] : choices) {
    try {
      if (op == LinearKernel::kOp) {
        kernels.linear = make_kernel_as<LinearKernel>(registries.kernels, op, impl);
      } else if (op == PagedAttention::kOp) {
        kernels.attention = make_kernel_as<PagedAttention>(registries.kernels, op, impl);
      } else if (op == BlockCopyKernel::kOp) {
        kernels.block_copy = make_kernel_as<BlockCopyKernel>(registries.kernels, op, impl);
      } else {
        throw ConfigError("unknown operation '" + op + "' (known: block_copy, linear, paged_attention)");
      }
    } catch (const Error& e) {
      throw ConfigError(where(op) + ": " + e.what());
    }
  }
  return kernels;
}

}  // namespace specrouter::engine
