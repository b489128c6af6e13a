// block_copy: the checks every implementation shares (kernels/ hold the implementations).
#include "specrouter/kernels/block_copy.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "specrouter/error.h"

namespace specrouter {
namespace {

std::string describe(std::span<const BlockCopyPair> pairs, std::size_t i) {
  return "pairs[" + std::to_string(i) + "] (" + std::to_string(pairs[i].src) + " -> " +
         std::to_string(pairs[i].dst) + ")";
}

[[noreturn]] void refuse(const std::string& what) { throw Error("block_copy: " + what); }

}  // namespace

void validate_block_copy(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs) {
  if (buffer.num_blocks < 0 || buffer.block_bytes < 1) {
    refuse("the buffer must have num_blocks >= 0 and block_bytes >= 1, got " + std::to_string(buffer.num_blocks) +
           " blocks of " + std::to_string(buffer.block_bytes) + " bytes");
  }
  if (buffer.num_blocks > std::numeric_limits<std::int64_t>::max() / buffer.block_bytes) {
    refuse("a buffer of " + std::to_string(buffer.num_blocks) + " blocks of " + std::to_string(buffer.block_bytes) +
           " bytes overflows 64-bit offsets");
  }
  if (pairs.empty()) return;
  if (buffer.data == nullptr) refuse("the buffer is null but " + std::to_string(pairs.size()) + " pairs were given");

  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const BlockCopyPair& pair = pairs[i];
    if (pair.src < 0 || pair.src >= buffer.num_blocks || pair.dst < 0 || pair.dst >= buffer.num_blocks) {
      refuse(describe(pairs, i) + " is outside the buffer's blocks [0, " + std::to_string(buffer.num_blocks) + ")");
    }
    if (pair.src == pair.dst) refuse(describe(pairs, i) + " copies a block onto itself");
  }

  // Pair indices sorted by destination: equal neighbours write one block twice, and a
  // binary search tells whether a source is written by the call.
  std::vector<std::size_t> by_dst(pairs.size());
  std::iota(by_dst.begin(), by_dst.end(), std::size_t{0});
  std::sort(by_dst.begin(), by_dst.end(), [&](std::size_t a, std::size_t b) {
    return pairs[a].dst != pairs[b].dst ? pairs[a].dst < pairs[b].dst : a < b;
  });
  for (std::size_t k = 1; k < by_dst.size(); ++k) {
    if (pairs[by_dst[k]].dst == pairs[by_dst[k - 1]].dst) {
      refuse(describe(pairs, by_dst[k - 1]) + " and " + describe(pairs, by_dst[k]) + " write the same block");
    }
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto writer = std::lower_bound(by_dst.begin(), by_dst.end(), pairs[i].src,
                                         [&](std::size_t k, std::int64_t block) { return pairs[k].dst < block; });
    if (writer != by_dst.end() && pairs[*writer].dst == pairs[i].src) {
      refuse(describe(pairs, i) + " reads a block that " + describe(pairs, *writer) +
             " writes; the result would depend on their order");
    }
  }
}

BlockCopyKernel::~BlockCopyKernel() = default;

void BlockCopyKernel::copy(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* stream) {
  validate_block_copy(buffer, pairs);
  if (!pairs.empty()) run(buffer, pairs, stream);
}

}  // namespace specrouter
