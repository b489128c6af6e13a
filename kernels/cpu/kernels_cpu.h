// Factories of the CPU kernels, shared by their sources and the registration in
// kernels_cpu.cpp (internal to the kernels_cpu plugin).
#pragma once

#include <memory>

#include "specrouter/kernels/block_copy.h"
#include "specrouter/kernels/linear.h"
#include "specrouter/plugin/params.h"

namespace specrouter::kernels_cpu {

// block_copy/reference: one std::copy_n per pair, in order.
std::unique_ptr<BlockCopyKernel> make_reference_block_copy();

// block_copy/cpu: pairs merged into contiguous runs, copied by at::parallel_for.
std::unique_ptr<BlockCopyKernel> make_cpu_block_copy(const Params& params);

// linear/cpu_small_batch: float32 with at most max_rows rows, each weight row read once
// for all rows; anything else through at::linear.
std::unique_ptr<LinearKernel> make_cpu_small_batch_linear(const Params& params);

}  // namespace specrouter::kernels_cpu
