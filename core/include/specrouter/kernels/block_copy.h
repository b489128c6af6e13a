#pragma once

/// @file
/// @brief The `block_copy` operation: copies whole blocks of a paged buffer onto others.
///
/// The paged KV state manager shares blocks between sequences (a fork, a tree branch, a
/// candidate) and copies a shared block before writing into it (copy-on-write). One call
/// copies every block of one step at once. Implementations, all registered as kernels:
/// - `block_copy/reference`: one plain copy per pair, the definition the others are
///   tested against (kernels/cpu);
/// - `block_copy/cpu`: pairs merged into contiguous runs, copied in parallel (kernels/cpu);
/// - `block_copy/cuda`: device memory, one launch on a stream (kernels/cuda, built with
///   -DSPECROUTER_ENABLE_CUDA=ON).
/// Every implementation gives the same bytes: the tolerance is exact equality.

#include <cstdint>
#include <span>

#include "specrouter/kernel.h"

namespace specrouter {

/// One copy: block `src` is copied over block `dst` of the same buffer.
struct BlockCopyPair {
  std::int64_t src = 0;  ///< block read
  std::int64_t dst = 0;  ///< block overwritten
};

/// A buffer cut into equal blocks: block i is the bytes
/// `[i * block_bytes, (i + 1) * block_bytes)` from `data`.
struct BlockBuffer {
  void* data = nullptr;          ///< base address, in the memory the implementation works on
  std::int64_t num_blocks = 0;   ///< blocks in the buffer
  std::int64_t block_bytes = 0;  ///< bytes per block
};

/// Copies blocks within one buffer, every pair of a call at once.
///
/// The pairs of one call must not depend on each other, so that any order, or parallel
/// execution, gives the same bytes: no block is written twice, and no block written is
/// also read. A block may be read by several pairs (one block forked into many).
/// copy() checks this (validate_block_copy) before touching the buffer; implementations
/// override run(), which only ever sees valid arguments.
class BlockCopyKernel : public Kernel {
 public:
  /// The operation name, "block_copy".
  static constexpr const char* kOp = "block_copy";
  /// Defined in the core, so the class's type information lives there (dynamic_cast
  /// from a plugin's object works across the library boundary).
  ~BlockCopyKernel() override;
  /// Returns kOp.
  const char* op() const override { return kOp; }

  /// Copies block `pairs[i].src` over block `pairs[i].dst` of `buffer` for every i.
  ///
  /// Throws Error, with nothing written, when the arguments break the rules of
  /// validate_block_copy. `stream` is a device implementation's queue (for CUDA a
  /// `cudaStream_t`; nullptr is the default stream), ignored by host implementations. A
  /// device implementation may return before the copy has run (it is ordered on
  /// `stream`), but has read `pairs` by then when they are in ordinary (pageable) memory.
  void copy(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* stream = nullptr);

 protected:
  /// Performs the copy for arguments copy() has validated.
  virtual void run(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* stream) = 0;
};

/// Checks the arguments of a block copy; throws Error naming the first offending pair.
///
/// Rules: `num_blocks >= 0`, `block_bytes >= 1`, the buffer's size fits in 64 bits; when
/// there are pairs, `data` is not null, and every `src` and `dst` lies in
/// `[0, num_blocks)`, no pair copies a block onto itself, no two pairs have the same
/// `dst`, and no `dst` is also the `src` of a pair. Costs O(P log P) for P pairs and
/// never reads the buffer.
void validate_block_copy(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs);

}  // namespace specrouter
