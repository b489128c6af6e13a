// block_copy/cuda against block_copy/reference over a grid of shapes, alignments and pair
// patterns. Tolerance: exact equality. Skips when no CUDA device is visible.

#include <cuda_runtime_api.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/kernels/block_copy.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels_cuda.cpp and kernels/cpu/kernels_cpu.cpp.
void specrouter_register_kernels_cuda(specrouter::PluginRegistrar& registrar);
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::BlockCopyKernel;
using specrouter::BlockCopyPair;
using Bytes = std::vector<std::uint8_t>;
using Pairs = std::vector<BlockCopyPair>;

void check(cudaError_t status) { ASSERT_EQ(status, cudaSuccess) << cudaGetErrorString(status); }

class CudaBlockCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) GTEST_SKIP() << "no CUDA device visible";
    for (auto register_fn : {&specrouter_register_kernels_cuda, &specrouter_register_kernels_cpu}) {
      specrouter::PluginRegistrar registrar;
      register_fn(registrar);
      registrar.commit(registries_);
    }
    cuda_ = make("block_copy/cuda");
    reference_ = make("block_copy/reference");
  }

  std::shared_ptr<BlockCopyKernel> make(const std::string& name) const {
    const auto& info = registries_.kernels.at(name).info;
    return std::dynamic_pointer_cast<BlockCopyKernel>(registries_.kernels.create(
        name, specrouter::Params::from_specs("kernel '" + name + "'", info.params)));
  }

  // Runs block_copy/cuda on a device copy of `before` placed `offset` bytes past an
  // allocation's (256-byte aligned) start, on `stream`; returns the bytes after.
  Bytes copy_on_device(const Bytes& before, std::int64_t num_blocks, std::int64_t block_bytes, const Pairs& pairs,
                       std::size_t offset, cudaStream_t stream) {
    void* allocation = nullptr;
    check(cudaMalloc(&allocation, before.size() + offset));
    std::uint8_t* device = static_cast<std::uint8_t*>(allocation) + offset;
    check(cudaMemcpy(device, before.data(), before.size(), cudaMemcpyHostToDevice));
    cuda_->copy({device, num_blocks, block_bytes}, pairs, stream);
    Bytes after(before.size());
    check(cudaMemcpyAsync(after.data(), device, after.size(), cudaMemcpyDeviceToHost, stream));
    check(cudaStreamSynchronize(stream));
    check(cudaFree(allocation));
    return after;
  }

  specrouter::Registries registries_;
  std::shared_ptr<BlockCopyKernel> cuda_;
  std::shared_ptr<BlockCopyKernel> reference_;
};

// Independent pairs for `num_blocks` blocks: scattered, one forked run, and a fan-out.
std::vector<Pairs> patterns(std::int64_t num_blocks, std::mt19937_64& rng) {
  std::vector<Pairs> out{{}};
  if (num_blocks < 2) return out;
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(num_blocks));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const std::int64_t half = num_blocks / 2;
  Pairs scattered, run, fan_out;
  for (std::int64_t i = 0; i < half; ++i) {
    scattered.push_back({blocks[half + static_cast<std::int64_t>(rng() % (num_blocks - half))], blocks[i]});
    run.push_back({i, half + i});
  }
  for (std::int64_t i = 1; i < num_blocks; ++i) fan_out.push_back({0, i});
  out.push_back(scattered);
  out.push_back(run);
  out.push_back(fan_out);
  return out;
}

TEST_F(CudaBlockCopyTest, MatchesReferenceOverAGridOfShapesAndAlignments) {
  struct Shape {
    std::int64_t num_blocks;
    std::int64_t block_bytes;
  };
  // Word sizes 1, 4, 8 and 16 bytes; 2 MiB blocks need many slices per pair.
  const Shape shapes[] = {{1, 1}, {3, 1}, {7, 3}, {16, 4}, {9, 24}, {64, 4096}, {300, 4'112}, {5, 2 << 20}};
  cudaStream_t stream = nullptr;
  check(cudaStreamCreate(&stream));
  std::mt19937_64 rng(99);
  int compared = 0;
  for (const Shape& shape : shapes) {
    for (const Pairs& pairs : patterns(shape.num_blocks, rng)) {
      for (std::size_t offset : {0, 4, 1}) {  // base aligned to 256, 4 and 1 bytes
        Bytes before(static_cast<std::size_t>(shape.num_blocks * shape.block_bytes));
        for (std::uint8_t& byte : before) byte = static_cast<std::uint8_t>(rng());
        Bytes expected = before;
        reference_->copy({expected.data(), shape.num_blocks, shape.block_bytes}, pairs);
        for (cudaStream_t on : {static_cast<cudaStream_t>(nullptr), stream}) {
          const Bytes actual = copy_on_device(before, shape.num_blocks, shape.block_bytes, pairs, offset, on);
          ASSERT_TRUE(actual == expected) << shape.num_blocks << " blocks of " << shape.block_bytes << " bytes, "
                                          << pairs.size() << " pairs, base offset " << offset;
          ++compared;
        }
      }
    }
  }
  check(cudaStreamDestroy(stream));
  EXPECT_GT(compared, 100);
}

TEST_F(CudaBlockCopyTest, RefusesInvalidPairsBeforeLaunching) {
  Bytes zeros(64, 0);
  void* device = nullptr;
  check(cudaMalloc(&device, zeros.size()));
  check(cudaMemcpy(device, zeros.data(), zeros.size(), cudaMemcpyHostToDevice));
  EXPECT_THROW(cuda_->copy({device, 4, 16}, Pairs{{0, 1}, {2, 1}}), specrouter::Error);
  EXPECT_THROW(cuda_->copy({device, 4, 16}, Pairs{{0, 4}}), specrouter::Error);
  Bytes after(zeros.size(), 1);
  check(cudaMemcpy(after.data(), device, after.size(), cudaMemcpyDeviceToHost));
  EXPECT_EQ(after, zeros);
  check(cudaFree(device));
}

}  // namespace
