// linear/cpu_small_batch against linear/reference (at::linear) over a grid of shapes, and
// the argument checks every implementation shares. Tolerance (float32), stated with the
// kernel: |y - y_ref| <= 1e-5 * (|x_m| |w_n| + |b_n|) per element (m, n).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ops/abs.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/zeros.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/kernels/linear.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels_cpu.cpp.
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::LinearKernel;
using specrouter::ParamValue;
using ::testing::HasSubstr;

constexpr double kRelativeTolerance = 1e-5;

class LinearTest : public ::testing::Test {
 protected:
  LinearTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_kernels_cpu(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<LinearKernel> make(const std::string& name,
                                     const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.kernels.at(name).info;
    auto kernel = std::dynamic_pointer_cast<LinearKernel>(registries_.kernels.create(
        name, specrouter::Params::from_specs("kernel '" + name + "'", info.params, overrides)));
    EXPECT_NE(kernel, nullptr) << name << " is not a LinearKernel";
    return kernel;
  }

  at::Tensor randn(at::IntArrayRef shape, at::ScalarType dtype = at::kFloat) {
    return at::randn(shape, generator_, at::TensorOptions().dtype(dtype));
  }

  specrouter::Registries registries_;
  at::Generator generator_ = at::make_generator<at::CPUGeneratorImpl>(2024);
};

// Largest |y - y_ref| / (|x_m| |w_n| + |b_n|) over the elements, as double.
double scaled_error(const at::Tensor& y, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  const at::Tensor ref = at::linear(x.to(at::kDouble), w.to(at::kDouble), b.defined() ? b.to(at::kDouble) : b);
  at::Tensor scale = at::linalg_vector_norm(x.to(at::kDouble), 2, {1}, true)
                         .mul(at::linalg_vector_norm(w.to(at::kDouble), 2, {1}, false).unsqueeze(0));  // [M, N]
  if (b.defined()) scale = scale.add(at::abs(b.to(at::kDouble)).unsqueeze(0));
  if (y.numel() == 0) return 0.0;
  return y.to(at::kDouble).sub(ref).abs().div(scale.clamp_min(1e-30)).max().item().toDouble();
}

// Each tile path the CPU supports, forced by the `isa` parameter, and the default.
std::vector<std::string> supported_isas() {
  std::vector<std::string> isas = {"auto", "baseline"};
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isas.push_back("avx2");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    isas.push_back("avx512");
  }
#endif
  return isas;
}

// Every supported path with and without prefetching.
std::vector<std::pair<std::string, bool>> isa_variants() {
  std::vector<std::pair<std::string, bool>> variants;
  for (const std::string& isa : supported_isas()) {
    for (const bool prefetch : {true, false}) variants.emplace_back(isa, prefetch);
  }
  return variants;
}

TEST_F(LinearTest, SmallBatchMatchesReferenceOverShapes) {
  const auto reference = make("linear/reference");
  for (const auto& [isa, prefetch] : isa_variants()) {
    const auto fast = make("linear/cpu_small_batch", {{"isa", ParamValue(isa)}, {"prefetch", ParamValue(prefetch)}});
    for (std::int64_t rows = 1; rows <= 17; ++rows) {
      for (const auto& [in, out] : std::vector<std::pair<std::int64_t, std::int64_t>>{
               {1, 1}, {7, 5}, {8, 8}, {13, 9}, {16, 7}, {64, 33}, {127, 130}, {256, 257}, {1376, 40}}) {
        for (const bool with_bias : {false, true}) {
          const at::Tensor x = randn({rows, in});
          const at::Tensor w = randn({out, in});
          const at::Tensor b = with_bias ? randn({out}) : at::Tensor();
          const std::string where = "isa=" + isa + (prefetch ? "" : " no prefetch") + " M=" + std::to_string(rows) + " K=" + std::to_string(in) +
                                    " N=" + std::to_string(out) + (with_bias ? " bias" : "");
          const at::Tensor y = fast->linear(x, w, b);
          ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{rows, out})) << where;
          EXPECT_EQ(y.scalar_type(), at::kFloat) << where;
          EXPECT_LE(scaled_error(y, x, w, b), kRelativeTolerance) << where;
          EXPECT_LE(scaled_error(reference->linear(x, w, b), x, w, b), kRelativeTolerance) << where;
        }
      }
    }
  }
}

// Large enough that the blocks of weight rows are spread over threads, for every tile
// width (M = 1..8 choose different block sizes on the AVX-512 path).
TEST_F(LinearTest, ParallelBlocksCoverEveryOutput) {
  for (const std::string& isa : supported_isas()) {
    const auto fast = make("linear/cpu_small_batch", {{"isa", ParamValue(isa)}});
    const at::Tensor w = randn({1001, 520});
    const at::Tensor b = randn({1001});
    for (std::int64_t rows = 1; rows <= 16; ++rows) {
      const at::Tensor x = randn({rows, 520});
      EXPECT_LE(scaled_error(fast->linear(x, w, b), x, w, b), kRelativeTolerance)
          << "isa=" << isa << " M=" << rows;
    }
  }
}

TEST_F(LinearTest, IsaIsCheckedByName) {
  EXPECT_THAT([&] { make("linear/cpu_small_batch", {{"isa", ParamValue(std::string("sse9"))}}); },
              ::testing::ThrowsMessage<specrouter::ConfigError>(
                  HasSubstr("unknown isa 'sse9' (expected one of auto, avx512, avx2, baseline)")));
  const std::vector<std::string> isas = supported_isas();
  for (const std::string isa : {"avx512", "avx2"}) {
    if (std::find(isas.begin(), isas.end(), isa) != isas.end()) continue;
    EXPECT_THAT([&] { make("linear/cpu_small_batch", {{"isa", ParamValue(isa)}}); },
                ::testing::ThrowsMessage<specrouter::ConfigError>(HasSubstr("not supported by this CPU")));
  }
}

TEST_F(LinearTest, NonContiguousInputsAreHandled) {
  const auto fast = make("linear/cpu_small_batch");
  const at::Tensor x = randn({37, 6}).t();             // [6, 37], column-major
  const at::Tensor w = randn({40, 74}).slice(1, 0, 74, 2);  // [40, 37], stride 2 in K
  const at::Tensor b = randn({80}).slice(0, 0, 80, 2);      // [40], stride 2
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(w.is_contiguous());
  EXPECT_LE(scaled_error(fast->linear(x, w, b), x, w, b), kRelativeTolerance);
}

TEST_F(LinearTest, LargerBatchesAndOtherDtypesGoToTheReference) {
  const auto fast = make("linear/cpu_small_batch", {{"max_rows", ParamValue(std::int64_t{4})}});
  const at::Tensor w = randn({19, 23});
  const at::Tensor x = randn({5, 23});  // above max_rows: at::linear, bit for bit
  EXPECT_TRUE(fast->linear(x, w, at::Tensor()).equal(at::linear(x, w)));
  const at::Tensor xd = randn({3, 23}, at::kDouble);
  const at::Tensor wd = randn({19, 23}, at::kDouble);
  EXPECT_TRUE(fast->linear(xd, wd, at::Tensor()).equal(at::linear(xd, wd)));
  // Within max_rows the kernel itself runs, and a zero-row input stays empty.
  EXPECT_LE(scaled_error(fast->linear(x.narrow(0, 0, 4), w, at::Tensor()), x.narrow(0, 0, 4), w, at::Tensor()),
            kRelativeTolerance);
  EXPECT_EQ(fast->linear(x.narrow(0, 0, 0), w, at::Tensor()).sizes(), (std::vector<std::int64_t>{0, 19}));
}

TEST_F(LinearTest, ZeroInputFeaturesGiveTheBias) {
  const auto fast = make("linear/cpu_small_batch");
  const at::Tensor b = randn({9});
  const at::Tensor y = fast->linear(at::zeros({3, 0}), at::zeros({9, 0}), b);
  EXPECT_TRUE(y.equal(b.unsqueeze(0).expand({3, 9})));
}

TEST_F(LinearTest, ArgumentChecksNameTheArgument) {
  const auto fast = make("linear/cpu_small_batch");
  const at::Tensor w = randn({4, 8});
  EXPECT_THAT([&] { fast->linear(randn({2, 7}), w, at::Tensor()); },
              ::testing::ThrowsMessage<specrouter::UsageError>(HasSubstr("disagree on in_features")));
  EXPECT_THAT([&] { fast->linear(randn({2, 8}), w, randn({5})); },
              ::testing::ThrowsMessage<specrouter::UsageError>(HasSubstr("bias [5] must be [4]")));
  EXPECT_THAT([&] { fast->linear(randn({2, 2, 8}), w, at::Tensor()); },
              ::testing::ThrowsMessage<specrouter::UsageError>(HasSubstr("x must be 2-D")));
  EXPECT_THAT([&] { fast->linear(randn({2, 8}, at::kDouble), w, at::Tensor()); },
              ::testing::ThrowsMessage<specrouter::UsageError>(HasSubstr("differ in dtype")));
  EXPECT_THROW(make("linear/cpu_small_batch", {{"max_rows", ParamValue(std::int64_t{-1})}}), specrouter::ConfigError);
}

TEST_F(LinearTest, CoreReferenceIsSharedAndNamed) {
  EXPECT_EQ(specrouter::reference_linear(), specrouter::reference_linear());
  EXPECT_STREQ(specrouter::reference_linear()->op(), "linear");
  EXPECT_STREQ(make("linear/cpu_small_batch")->op(), "linear");
}

}  // namespace
