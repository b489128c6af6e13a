// block_copy/cpu against block_copy/reference over a grid of shapes and pair patterns,
// and the argument checks every implementation shares. Tolerance: exact equality (bytes
// are moved, not computed).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/kernels/block_copy.h"
#include "specrouter/plugin/plugin_loader.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels_cpu.cpp.
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::BlockBuffer;
using specrouter::BlockCopyKernel;
using specrouter::BlockCopyPair;
using specrouter::ParamValue;
using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;
using Pairs = std::vector<BlockCopyPair>;

class BlockCopyTest : public ::testing::Test {
 protected:
  BlockCopyTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_kernels_cpu(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<BlockCopyKernel> make(const std::string& name,
                                        const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.kernels.at(name).info;
    auto kernel = std::dynamic_pointer_cast<BlockCopyKernel>(registries_.kernels.create(
        name, specrouter::Params::from_specs("kernel '" + name + "'", info.params, overrides)));
    EXPECT_NE(kernel, nullptr) << name << " is not a BlockCopyKernel";
    return kernel;
  }

  specrouter::Registries registries_;
};

Bytes random_bytes(std::size_t size, std::mt19937_64& rng) {
  Bytes bytes(size);
  for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(rng());
  return bytes;
}

// block_copy's definition: each destination block receives its source block's old bytes.
Bytes copied_by_definition(const Bytes& before, std::int64_t block_bytes, const Pairs& pairs) {
  Bytes after = before;
  for (const BlockCopyPair& pair : pairs) {
    std::copy_n(before.begin() + pair.src * block_bytes, block_bytes, after.begin() + pair.dst * block_bytes);
  }
  return after;
}

// Pair patterns copy-on-write produces, each valid for `num_blocks` blocks.
std::map<std::string, Pairs> patterns(std::int64_t num_blocks, std::mt19937_64& rng) {
  std::map<std::string, Pairs> out;
  out["none"] = {};
  if (num_blocks < 2) return out;
  out["single"] = {{0, num_blocks - 1}};

  // Half the blocks, in random order, are written; each reads a random block of the rest.
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(num_blocks));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const std::int64_t half = num_blocks / 2;
  Pairs& scattered = out["scattered"];
  for (std::int64_t i = 0; i < half; ++i) {
    scattered.push_back({blocks[half + static_cast<std::int64_t>(rng() % (num_blocks - half))], blocks[i]});
  }

  // A forked tail: blocks [0, half) onto [half, 2 half), listed backwards (one run once sorted).
  Pairs& run = out["run"];
  for (std::int64_t i = half - 1; i >= 0; --i) run.push_back({i, half + i});

  // Two runs from the same sources (a block forked twice), shuffled, plus a lone pair.
  if (num_blocks >= 7) {
    const std::int64_t third = num_blocks / 3;
    Pairs& forked = out["forked_runs"];
    for (std::int64_t i = 0; i + 1 < third; ++i) {
      forked.push_back({i, third + i});
      forked.push_back({i, 2 * third + i});
    }
    forked.push_back({third - 1, num_blocks - 1});
    std::shuffle(forked.begin(), forked.end(), rng);
  }

  // One block copied everywhere else.
  Pairs& fan_out = out["fan_out"];
  for (std::int64_t i = 1; i < num_blocks; ++i) fan_out.push_back({0, i});
  return out;
}

TEST_F(BlockCopyTest, RegistersReferenceAndCpuImplementations) {
  EXPECT_EQ(registries_.kernels.names(), (std::vector<std::string>{"block_copy/cpu", "block_copy/reference",
                                                                    "linear/cpu_small_batch", "linear/reference"}));
  EXPECT_STREQ(make("block_copy/reference")->op(), "block_copy");
  EXPECT_STREQ(make("block_copy/cpu")->op(), "block_copy");
}

TEST_F(BlockCopyTest, ReferenceCopiesBlocksAsDefined) {
  Bytes buffer = {0, 0, 1, 1, 2, 2, 3, 3};  // 4 blocks of 2 bytes
  make("block_copy/reference")->copy({buffer.data(), 4, 2}, Pairs{{2, 0}, {2, 3}});
  EXPECT_EQ(buffer, (Bytes{2, 2, 1, 1, 2, 2, 2, 2}));
}

TEST_F(BlockCopyTest, CpuMatchesReferenceOverAGridOfShapes) {
  struct Shape {
    std::int64_t num_blocks;
    std::int64_t block_bytes;
  };
  // From single bytes to 64 KiB blocks; the last two exceed the default 1 MiB grain.
  const Shape shapes[] = {{1, 1}, {2, 1}, {5, 3}, {16, 16}, {64, 4096}, {257, 40}, {33, 65'544}, {300, 4'100}};
  // The default, and grains that cut runs and blocks at odd offsets into many tasks.
  const std::vector<std::map<std::string, ParamValue>> cpu_settings = {
      {}, {{"grain_bytes", std::int64_t{1}}}, {{"grain_bytes", std::int64_t{7}}}, {{"grain_bytes", std::int64_t{5'000}}}};
  auto reference = make("block_copy/reference");
  std::mt19937_64 rng(4242);
  int compared = 0;
  for (const Shape& shape : shapes) {
    for (const auto& [pattern, pairs] : patterns(shape.num_blocks, rng)) {
      const Bytes before = random_bytes(static_cast<std::size_t>(shape.num_blocks * shape.block_bytes), rng);
      Bytes expected = before;
      reference->copy({expected.data(), shape.num_blocks, shape.block_bytes}, pairs);
      ASSERT_EQ(expected, copied_by_definition(before, shape.block_bytes, pairs)) << "reference, " << pattern;

      for (const auto& settings : cpu_settings) {
        // Tiny grains on big shapes would only spend time on task overhead.
        if (!settings.empty() && std::get<std::int64_t>(settings.begin()->second) < 100 &&
            before.size() > 100'000) {
          continue;
        }
        Bytes actual = before;
        make("block_copy/cpu", settings)->copy({actual.data(), shape.num_blocks, shape.block_bytes}, pairs);
        ASSERT_TRUE(actual == expected) << "block_copy/cpu differs from the reference: " << shape.num_blocks
                                        << " blocks of " << shape.block_bytes << " bytes, pattern " << pattern
                                        << ", grain " << (settings.empty() ? "default" : "set");
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 100);
}

TEST_F(BlockCopyTest, EveryImplementationRefusesInvalidArgumentsWithoutWriting) {
  struct Case {
    BlockBuffer buffer;
    Pairs pairs;
    std::string message;
  };
  for (const std::string name : {"block_copy/reference", "block_copy/cpu"}) {
    auto kernel = make(name);
    Bytes buffer(8 * 4);  // 8 blocks of 4 bytes
    std::iota(buffer.begin(), buffer.end(), 0);
    const Bytes before = buffer;
    const BlockBuffer valid{buffer.data(), 8, 4};
    const std::vector<Case> cases = {
        {valid, {{0, 1}, {8, 2}}, "pairs[1] (8 -> 2) is outside the buffer's blocks [0, 8)"},
        {valid, {{-1, 2}}, "pairs[0] (-1 -> 2) is outside"},
        {valid, {{0, 8}}, "pairs[0] (0 -> 8) is outside"},
        {valid, {{0, 1}, {2, 2}}, "pairs[1] (2 -> 2) copies a block onto itself"},
        {valid, {{0, 3}, {5, 1}, {1, 3}}, "pairs[0] (0 -> 3) and pairs[2] (1 -> 3) write the same block"},
        {valid, {{0, 1}, {1, 2}}, "pairs[1] (1 -> 2) reads a block that pairs[0] (0 -> 1) writes"},
        {valid, {{4, 5}, {5, 4}}, "reads a block that"},
        {{nullptr, 8, 4}, {{0, 1}}, "the buffer is null but 1 pairs were given"},
        {{buffer.data(), 8, 0}, {{0, 1}}, "block_bytes >= 1"},
        {{buffer.data(), -1, 4}, {}, "num_blocks >= 0"},
        {{buffer.data(), std::int64_t{1} << 62, 4}, {{0, 1}}, "overflows"},
    };
    for (const Case& c : cases) {
      try {
        kernel->copy(c.buffer, c.pairs);
        ADD_FAILURE() << name << ": no error, expected \"" << c.message << "\"";
      } catch (const specrouter::Error& error) {
        EXPECT_THAT(error.what(), HasSubstr(c.message)) << name;
        EXPECT_THAT(error.what(), HasSubstr("block_copy: ")) << name;
      }
      ASSERT_EQ(buffer, before) << name << " wrote before refusing: " << c.message;
    }
    kernel->copy({nullptr, 0, 4}, {});  // nothing to copy: no buffer needed
  }
}

TEST_F(BlockCopyTest, CpuRefusesANonPositiveGrain) {
  EXPECT_THROW(make("block_copy/cpu", {{"grain_bytes", std::int64_t{0}}}), specrouter::ConfigError);
}

// The same kernels as a loadable module: a component created from the dlopen'ed library
// is usable through the BlockCopyKernel interface of the core headers.
TEST(BlockCopyModule, LoadsFromThePluginFolderAndCopies) {
  specrouter::Registries registries;
  specrouter::PluginLoader loader(registries);
  loader.load_file(std::string(SPECROUTER_TEST_PLUGIN_DIR) + "/libkernels_cpu.so");
  auto kernel = std::dynamic_pointer_cast<BlockCopyKernel>(
      registries.kernels.create("block_copy/cpu", specrouter::Params::from_specs(
                                                      "kernel 'block_copy/cpu'",
                                                      registries.kernels.at("block_copy/cpu").info.params)));
  ASSERT_NE(kernel, nullptr);
  Bytes buffer = {1, 2, 3, 4};
  kernel->copy({buffer.data(), 2, 2}, Pairs{{1, 0}});
  EXPECT_EQ(buffer, (Bytes{3, 4, 3, 4}));
}

}  // namespace
