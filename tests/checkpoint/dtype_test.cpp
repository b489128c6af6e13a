// Dtype names and sizes, and the float16/bfloat16 conversions (exhaustive where cheap,
// against an independent nearest-value check elsewhere).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "specrouter/checkpoint/dtype.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

TEST(Dtype, NamesRoundTripAndSizesMatchTheFormat) {
  const std::pair<const char*, std::size_t> expected[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  ASSERT_EQ(std::size(expected), std::size(kAllDtypes));
  for (std::size_t i = 0; i < std::size(kAllDtypes); ++i) {
    EXPECT_EQ(dtype_name(kAllDtypes[i]), expected[i].first);
    EXPECT_EQ(element_size(kAllDtypes[i]), expected[i].second);
    EXPECT_EQ(parse_dtype(expected[i].first), kAllDtypes[i]);
  }
  EXPECT_EQ(parse_dtype("f32"), std::nullopt);
  EXPECT_EQ(parse_dtype("F8_E8M0"), std::nullopt);
  EXPECT_EQ(parse_dtype(""), std::nullopt);
}

TEST(Dtype, HalfRoundTripsThroughFloatForEveryBitPattern) {
  for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float wide = f16_to_f32(static_cast<std::uint16_t>(bits));
    const bool is_nan = (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0;
    ASSERT_EQ(std::isnan(wide), is_nan) << std::hex << bits;
    if (!is_nan) ASSERT_EQ(f32_to_f16(wide), bits) << std::hex << bits;
  }
}

TEST(Dtype, BFloat16RoundTripsThroughFloatForEveryBitPattern) {
  for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float wide = bf16_to_f32(static_cast<std::uint16_t>(bits));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(wide), bits << 16);
    if (!std::isnan(wide)) ASSERT_EQ(f32_to_bf16(wide), bits) << std::hex << bits;
  }
}

TEST(Dtype, HalfRoundingEdgeCases) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65519.996f), 0x7BFF);   // just below the halfway point
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);     // halfway: ties to even = infinity
  EXPECT_EQ(f32_to_f16(1e10f), 0x7C00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::quiet_NaN()), 0x7E00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::quiet_NaN()), 0xFE00);
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3C00);        // tie, 1.0 is even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);    // tie, rounds up to even
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);  // above the tie
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);               // smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);               // tie with 0, 0 is even
  EXPECT_EQ(f32_to_f16(3 * 0x1p-25f), 0x0002);           // tie between 1 and 2 units
  EXPECT_EQ(f32_to_f16(0x1p-14f - 0x1p-25f), 0x0400);    // rounds up into the normals
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(Dtype, BFloat16RoundingEdgeCases) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f), 0x3F80);        // tie, even stays
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3F82);    // tie, rounds up to even
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // overflows to inf
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()), 0x7FC0);
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
}

// Independent check: the result is a nearest representable half, and on a tie the even one.
TEST(Dtype, HalfConversionPicksTheNearestValueForRandomFloats) {
  std::mt19937 generator(1234);
  std::uniform_real_distribution<float> exponent(-26.0f, 16.5f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::ldexp(1.0f + std::generate_canonical<float, 24>(generator),
                               static_cast<int>(exponent(generator))) *
                    (generator() % 2 ? 1.0f : -1.0f);
    const std::uint16_t h = f32_to_f16(x);
    const double value = f16_to_f32(h);
    if (std::isinf(value)) {
      ASSERT_GE(std::fabs(x), 65520.0f) << x;
      continue;
    }
    const double error = std::fabs(double(x) - value);
    for (const int step : {-1, 1}) {
      const auto neighbour_bits = static_cast<std::uint16_t>((h & 0x7FFF) + step) | (h & 0x8000);
      if ((h & 0x7FFF) == 0 && step < 0) continue;
      const double neighbour = f16_to_f32(neighbour_bits);
      if (std::isinf(neighbour)) continue;
      const double other_error = std::fabs(double(x) - neighbour);
      ASSERT_LE(error, other_error) << x;
      if (error == other_error) ASSERT_EQ(h & 1, 0) << "tie not to even for " << x;
    }
  }
}

TEST(Dtype, BulkConversionsDecodeEveryNumericType) {
  const std::int16_t ints[] = {-3, 7};
  EXPECT_EQ(to_float32(Dtype::kI16, std::as_bytes(std::span(ints))), (std::vector<float>{-3, 7}));
  const std::uint8_t flags[] = {0, 1, 2};
  EXPECT_EQ(to_float32(Dtype::kBool, std::as_bytes(std::span(flags))),
            (std::vector<float>{0, 1, 1}));
  const double doubles[] = {0.5, -1e300};
  const std::vector<float> narrowed = to_float32(Dtype::kF64, std::as_bytes(std::span(doubles)));
  EXPECT_EQ(narrowed[0], 0.5f);
  EXPECT_TRUE(std::isinf(narrowed[1]));

  const std::vector<float> values = {1.0f, -0.5f, 3.14159f, 1e-3f};
  for (const Dtype dtype : {Dtype::kF16, Dtype::kBF16, Dtype::kF32, Dtype::kF64}) {
    const std::vector<std::byte> encoded = from_float32(values, dtype);
    ASSERT_EQ(encoded.size(), values.size() * element_size(dtype));
    const std::vector<float> decoded = to_float32(dtype, encoded);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float tolerance = dtype == Dtype::kBF16 ? 8e-3f : dtype == Dtype::kF16 ? 1e-3f : 0.0f;
      EXPECT_NEAR(decoded[i], values[i], std::fabs(values[i]) * tolerance) << dtype_name(dtype);
    }
  }
  // Unaligned input is fine.
  std::vector<std::byte> unaligned(1 + 4);
  const float one = 1.0f;
  std::memcpy(unaligned.data() + 1, &one, 4);
  EXPECT_EQ(to_float32(Dtype::kF32, std::span(unaligned).subspan(1))[0], 1.0f);
}

TEST(Dtype, BulkConversionsRejectWhatTheyCannotDo) {
  const std::byte three[3] = {};
  EXPECT_THROW(to_float32(Dtype::kF16, three), CheckpointError);
  EXPECT_THROW(to_float32(Dtype::kF8E4M3, std::span(three, 1)), CheckpointError);
  const float value = 1.0f;
  EXPECT_THROW(from_float32(std::span(&value, 1), Dtype::kI32), CheckpointError);
}

}  // namespace
}  // namespace specrouter
