// Kernel creation by operation and name, shared by the model, the harness and tests.
#include "specrouter/kernels/make_kernel.h"

#include "specrouter/error.h"

namespace specrouter {

std::shared_ptr<Kernel> make_kernel(const Registry<Kernel>& kernels, const std::string& op, const std::string& name,
                                    const std::map<std::string, ParamValue>& params) {
  const std::string full = name.find('/') == std::string::npos ? kernel_name(op, name) : name;
  const auto* entry = kernels.find(full);
  if (entry == nullptr) {
    std::string known;
    for (const std::string& candidate : kernels.names()) {
      if (candidate.rfind(op + "/", 0) == 0) known += (known.empty() ? "" : ", ") + candidate;
    }
    throw UnknownComponentError("unknown kernel '" + full + "' (registered " + op +
                                " kernels: " + (known.empty() ? std::string("none") : known) + ")");
  }
  std::shared_ptr<Kernel> kernel =
      kernels.create(full, Params::from_specs("kernel '" + full + "'", entry->info.params, params));
  if (op != kernel->op()) throw_not_an_op(full, op);
  return kernel;
}

void throw_not_an_op(const std::string& name, const std::string& op) {
  throw PluginError("kernel '" + name + "' is registered under " + op + " but does not implement it");
}

}  // namespace specrouter
