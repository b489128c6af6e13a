// Registers the CPU paged attention kernels: paged_attention/reference and paged_attention/cpu.
#include <memory>

#include "cpu_paged_attention.h"
#include "specrouter/plugin/plugin_api.h"

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Kernel>(
      {"paged_attention/reference", "paged attention by gathering K/V through the block table, then dense softmax (the definition; the model's default)", {}},
      [](const specrouter::Params&) { return specrouter::make_reference_paged_attention(); });
  registrar.add<specrouter::Kernel>(
      {"paged_attention/cpu", "paged attention on the CPU: blockwise online softmax over the cache blocks, no gather copy", {}},
      [](const specrouter::Params&) { return std::make_unique<specrouter::CpuPagedAttention>(); });
}
