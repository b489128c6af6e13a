// block_copy/cpu: block copy on the host, tuned for the two shapes copy-on-write produces.
//
// 1. Adjacent blocks copied to adjacent blocks (a forked sequence's tail) become one run,
//    copied by one memcpy: pairs sorted by destination, a pair extends the previous run
//    when both its source and its destination are the next block.
// 2. Large copies (a block holds every layer's K and V, megabytes) are split into tasks of
//    `grain_bytes` over the concatenated runs, run by at::parallel_for on libtorch's
//    intra-op threads. A copy of at most `grain_bytes` stays on the calling thread.
// Both are safe because validate_block_copy guarantees no block is written twice and no
// written block is read. Cost: O(P log P) to sort P pairs, then the bytes themselves.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels_cpu.h"
#include "specrouter/error.h"

namespace specrouter::kernels_cpu {
namespace {

// `blocks` consecutive blocks from `src` copied onto as many from `dst`.
struct Run {
  std::int64_t src = 0;
  std::int64_t dst = 0;
  std::int64_t blocks = 0;
};

std::vector<Run> merge_into_runs(std::span<const BlockCopyPair> pairs) {
  std::vector<BlockCopyPair> sorted(pairs.begin(), pairs.end());
  std::sort(sorted.begin(), sorted.end(), [](const BlockCopyPair& a, const BlockCopyPair& b) { return a.dst < b.dst; });
  std::vector<Run> runs;
  for (const BlockCopyPair& pair : sorted) {
    if (!runs.empty() && pair.src == runs.back().src + runs.back().blocks &&
        pair.dst == runs.back().dst + runs.back().blocks) {
      ++runs.back().blocks;
    } else {
      runs.push_back({pair.src, pair.dst, 1});
    }
  }
  return runs;
}

class CpuBlockCopy final : public BlockCopyKernel {
 public:
  explicit CpuBlockCopy(const Params& params) : grain_bytes_(params.get<std::int64_t>("grain_bytes")) {
    if (grain_bytes_ < 1) {
      throw ConfigError(params.owner() + ": grain_bytes must be >= 1, got " + std::to_string(grain_bytes_));
    }
  }

 protected:
  void run(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* /*stream*/) override {
    const std::vector<Run> runs = merge_into_runs(pairs);
    // offsets[r]: where run r starts in the concatenation of all runs, in bytes.
    std::vector<std::int64_t> offsets(runs.size() + 1, 0);
    for (std::size_t r = 0; r < runs.size(); ++r) offsets[r + 1] = offsets[r] + runs[r].blocks * buffer.block_bytes;
    const std::int64_t total = offsets.back();
    auto* base = static_cast<std::byte*>(buffer.data);

    // Copies bytes [begin, end) of the concatenation, run by run.
    const auto copy_range = [&](std::int64_t begin, std::int64_t end) {
      auto r = static_cast<std::size_t>(std::upper_bound(offsets.begin(), offsets.end(), begin) - offsets.begin() - 1);
      for (; r < runs.size() && offsets[r] < end; ++r) {
        const std::int64_t from = std::max(begin, offsets[r]);
        const std::int64_t to = std::min(end, offsets[r + 1]);
        const std::int64_t skip = from - offsets[r];
        std::memcpy(base + runs[r].dst * buffer.block_bytes + skip, base + runs[r].src * buffer.block_bytes + skip,
                    static_cast<std::size_t>(to - from));
      }
    };

    if (total <= grain_bytes_) {
      copy_range(0, total);
      return;
    }
    const std::int64_t tasks = (total + grain_bytes_ - 1) / grain_bytes_;
    at::parallel_for(0, tasks, 1, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t task = first; task < last; ++task) {
        const std::int64_t begin = task * grain_bytes_;  // < total, so no overflow below
        copy_range(begin, begin + std::min(grain_bytes_, total - begin));
      }
    });
  }

 private:
  std::int64_t grain_bytes_;
};

}  // namespace

std::unique_ptr<BlockCopyKernel> make_cpu_block_copy(const Params& params) {
  return std::make_unique<CpuBlockCopy>(params);
}

}  // namespace specrouter::kernels_cpu
