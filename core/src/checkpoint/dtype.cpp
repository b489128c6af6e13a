// Dtype sizes and names, and the float16/bfloat16 conversions used by tests and tools.
#include "specrouter/checkpoint/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "specrouter/error.h"

namespace specrouter {
namespace {

struct DtypeInfo {
  Dtype dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DtypeInfo kDtypeTable[] = {
    {Dtype::kBool, "BOOL", 1},       {Dtype::kU8, "U8", 1},     {Dtype::kI8, "I8", 1},
    {Dtype::kF8E5M2, "F8_E5M2", 1},  {Dtype::kF8E4M3, "F8_E4M3", 1},
    {Dtype::kI16, "I16", 2},         {Dtype::kU16, "U16", 2},   {Dtype::kF16, "F16", 2},
    {Dtype::kBF16, "BF16", 2},       {Dtype::kI32, "I32", 4},   {Dtype::kU32, "U32", 4},
    {Dtype::kF32, "F32", 4},         {Dtype::kF64, "F64", 8},   {Dtype::kI64, "I64", 8},
    {Dtype::kU64, "U64", 8},
};

const DtypeInfo& info(Dtype dtype) {
  for (const DtypeInfo& entry : kDtypeTable) {
    if (entry.dtype == dtype) return entry;
  }
  throw CheckpointError("dtype: invalid Dtype value " + std::to_string(static_cast<int>(dtype)));
}

// Reads one little-endian element without assuming alignment (the hosts we build for
// are little-endian, as is the format).
template <typename T>
T load(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

}  // namespace

std::size_t element_size(Dtype dtype) { return info(dtype).size; }

std::string_view dtype_name(Dtype dtype) { return info(dtype).name; }

std::optional<Dtype> parse_dtype(std::string_view name) {
  for (const DtypeInfo& entry : kDtypeTable) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

bool is_float_dtype(Dtype dtype) {
  return dtype == Dtype::kF16 || dtype == Dtype::kBF16 || dtype == Dtype::kF32 ||
         dtype == Dtype::kF64;
}

float f16_to_f32(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  const std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1F) {  // infinity or NaN: keep the payload
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  }
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float32
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
}

float bf16_to_f32(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t f32_to_f16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  std::uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | 0x7E00u;  // NaN
  // 65520 (0x477FF000) is halfway between the largest half (65504) and 2^16; ties to
  // even round it up, so everything from there on becomes infinity.
  if (magnitude >= 0x477FF000u) return sign | 0x7C00u;
  if (magnitude < 0x38800000u) {
    // Below the smallest normal half (2^-14): a multiple of 2^-24. Scaling by 2^24 is
    // exact, and nearbyint rounds ties to even in the default rounding mode. A result
    // of 1024 is the smallest normal, which the bit pattern expresses correctly.
    const float scaled = std::ldexp(std::bit_cast<float>(magnitude), 24);
    return sign | static_cast<std::uint16_t>(std::nearbyint(scaled));
  }
  // Normal range: round the 23-bit mantissa to 10 bits (ties to even), then rebias the
  // exponent from 127 to 15; a carry out of the mantissa correctly bumps the exponent.
  const std::uint32_t lsb = (magnitude >> 13) & 1u;
  magnitude += 0xFFFu + lsb;
  magnitude -= (127u - 15u) << 23;
  return sign | static_cast<std::uint16_t>(magnitude >> 13);
}

std::uint16_t f32_to_bf16(float value) {
  if (std::isnan(value)) return 0x7FC0u;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t rounding_bias = 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + rounding_bias) >> 16);
}

std::vector<float> to_float32(Dtype dtype, std::span<const std::byte> bytes) {
  const std::size_t size = element_size(dtype);
  if (dtype == Dtype::kF8E4M3 || dtype == Dtype::kF8E5M2) {
    throw CheckpointError("to_float32: dtype " + std::string(dtype_name(dtype)) +
                          " is not supported");
  }
  if (bytes.size() % size != 0) {
    throw CheckpointError("to_float32: " + std::to_string(bytes.size()) +
                          " bytes is not a whole number of " + std::string(dtype_name(dtype)) +
                          " elements");
  }
  const std::size_t count = bytes.size() / size;
  std::vector<float> out(count);
  const std::byte* data = bytes.data();
  for (std::size_t i = 0; i < count; ++i) {
    const std::byte* at = data + i * size;
    float value = 0.0f;
    switch (dtype) {
      case Dtype::kBool: value = load<std::uint8_t>(at) != 0 ? 1.0f : 0.0f; break;
      case Dtype::kU8: value = static_cast<float>(load<std::uint8_t>(at)); break;
      case Dtype::kI8: value = static_cast<float>(load<std::int8_t>(at)); break;
      case Dtype::kI16: value = static_cast<float>(load<std::int16_t>(at)); break;
      case Dtype::kU16: value = static_cast<float>(load<std::uint16_t>(at)); break;
      case Dtype::kF16: value = f16_to_f32(load<std::uint16_t>(at)); break;
      case Dtype::kBF16: value = bf16_to_f32(load<std::uint16_t>(at)); break;
      case Dtype::kI32: value = static_cast<float>(load<std::int32_t>(at)); break;
      case Dtype::kU32: value = static_cast<float>(load<std::uint32_t>(at)); break;
      case Dtype::kF32: value = load<float>(at); break;
      case Dtype::kF64: value = static_cast<float>(load<double>(at)); break;
      case Dtype::kI64: value = static_cast<float>(load<std::int64_t>(at)); break;
      case Dtype::kU64: value = static_cast<float>(load<std::uint64_t>(at)); break;
      case Dtype::kF8E5M2:
      case Dtype::kF8E4M3: break;  // rejected above
    }
    out[i] = value;
  }
  return out;
}

std::vector<std::byte> from_float32(std::span<const float> values, Dtype dtype) {
  if (!is_float_dtype(dtype)) {
    throw CheckpointError("from_float32: dtype " + std::string(dtype_name(dtype)) +
                          " is not a floating-point type");
  }
  const std::size_t size = element_size(dtype);
  std::vector<std::byte> out(values.size() * size);
  std::byte* at = out.data();
  for (const float value : values) {
    switch (dtype) {
      case Dtype::kF16: {
        const std::uint16_t bits = f32_to_f16(value);
        std::memcpy(at, &bits, 2);
        break;
      }
      case Dtype::kBF16: {
        const std::uint16_t bits = f32_to_bf16(value);
        std::memcpy(at, &bits, 2);
        break;
      }
      case Dtype::kF32: std::memcpy(at, &value, 4); break;
      default: {
        const double wide = value;
        std::memcpy(at, &wide, 8);
        break;
      }
    }
    at += size;
  }
  return out;
}

}  // namespace specrouter
