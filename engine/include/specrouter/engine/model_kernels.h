#pragma once
// The kernels the models of a run compute with, chosen by operation (config section
// `kernels`, or `specrouter generate --kernel OP=IMPL`).

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "specrouter/kernels/block_copy.h"
#include "specrouter/kernels/linear.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::engine {

/// Implementation by operation, e.g. {"linear": "cpu_small_batch"}.
using KernelChoices = std::map<std::string, std::string>;

/// The operations a model uses, each resolved to a kernel; null: the core's reference.
struct ModelKernels {
  std::shared_ptr<const LinearKernel> linear;       ///< projections and lm_head
  std::shared_ptr<const PagedAttention> attention;  ///< attention over the paged KV cache
  std::shared_ptr<BlockCopyKernel> block_copy;      ///< copy-on-write of shared KV blocks

  /// Sets the model's kernels in `options`.
  void apply(ModelOptions& options) const;
};

/// What configs/kernels/cpu.yaml selects, for commands without a config.
const KernelChoices& default_kernel_choices();

/// Makes every chosen kernel from `registries`. An unknown operation or implementation
/// throws ConfigError whose message starts with `where(op)` (the config key, or the flag).
ModelKernels make_model_kernels(const Registries& registries, const KernelChoices& choices,
                                const std::function<std::string(const std::string& op)>& where);

}  // namespace specrouter::engine
