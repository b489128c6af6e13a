// Factories of the CPU kernels, shared by their sources and the registration in
// kernels_cpu.cpp (internal to the kernels_cpu plugin).
#pragma once

#include <memory>

#include "specrouter/kernels/block_copy.h"
#include "specrouter/plugin/params.h"

namespace specrouter::kernels_cpu {

// block_copy/reference: one std::copy_n per pair, in order.
std::unique_ptr<BlockCopyKernel> make_reference_block_copy();

// block_copy/cpu: pairs merged into contiguous runs, copied by at::parallel_for.
std::unique_ptr<BlockCopyKernel> make_cpu_block_copy(const Params& params);

}  // namespace specrouter::kernels_cpu
