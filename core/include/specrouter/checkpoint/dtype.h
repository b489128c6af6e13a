#pragma once

/// @file
/// @brief Element types of safetensors files, their sizes and names, and plain C++
/// conversions between the floating-point formats (no torch needed).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace specrouter {

/// The element type of a tensor stored in a safetensors file.
///
/// The enumerators are declared in the order of the `safetensors` library's own `Dtype`
/// enum, because the writer lays tensors out by descending dtype in that order (see
/// write_safetensors()). Complex and sub-byte types of newer safetensors versions are
/// not supported; opening a file that uses them reports an unknown dtype.
enum class Dtype : std::uint8_t {
  kBool,     ///< `BOOL`: one byte, 0 or 1
  kU8,       ///< `U8`: unsigned 8-bit integer
  kI8,       ///< `I8`: signed 8-bit integer
  kF8E5M2,   ///< `F8_E5M2`: 8-bit float, 5 exponent bits, 2 mantissa bits
  kF8E4M3,   ///< `F8_E4M3`: 8-bit float, 4 exponent bits, 3 mantissa bits (torch float8_e4m3fn)
  kI16,      ///< `I16`: signed 16-bit integer
  kU16,      ///< `U16`: unsigned 16-bit integer
  kF16,      ///< `F16`: IEEE 754 half precision
  kBF16,     ///< `BF16`: bfloat16 (the upper half of an IEEE float32)
  kI32,      ///< `I32`: signed 32-bit integer
  kU32,      ///< `U32`: unsigned 32-bit integer
  kF32,      ///< `F32`: IEEE 754 single precision
  kF64,      ///< `F64`: IEEE 754 double precision
  kI64,      ///< `I64`: signed 64-bit integer
  kU64,      ///< `U64`: unsigned 64-bit integer
};

/// Every supported Dtype, in declaration order.
inline constexpr Dtype kAllDtypes[] = {
    Dtype::kBool, Dtype::kU8,  Dtype::kI8,  Dtype::kF8E5M2, Dtype::kF8E4M3,
    Dtype::kI16,  Dtype::kU16, Dtype::kF16, Dtype::kBF16,   Dtype::kI32,
    Dtype::kU32,  Dtype::kF32, Dtype::kF64, Dtype::kI64,    Dtype::kU64};

/// Bytes per element of `dtype` (1, 2, 4 or 8).
std::size_t element_size(Dtype dtype);

/// The name safetensors headers use for `dtype` ("F32", "BF16", "BOOL", ...).
std::string_view dtype_name(Dtype dtype);

/// The Dtype a safetensors header name stands for, or std::nullopt for an unknown name.
/// Names are case-sensitive, as in the format.
std::optional<Dtype> parse_dtype(std::string_view name);

/// True for the floating-point types whose values to_float32() converts exactly
/// (F16, BF16, F32) or by rounding (F64). The FP8 types are not included.
bool is_float_dtype(Dtype dtype);

/// @name Scalar conversions
/// Bit-exact conversions between float32 and the 16-bit float formats, as torch does them.
///@{

/// Widens an IEEE half (given as its bit pattern) to float32; exact.
float f16_to_f32(std::uint16_t bits);
/// Widens a bfloat16 (given as its bit pattern) to float32; exact.
float bf16_to_f32(std::uint16_t bits);
/// Rounds a float32 to the nearest IEEE half, ties to even; overflow gives infinity,
/// NaN gives a quiet NaN of the same sign.
std::uint16_t f32_to_f16(float value);
/// Rounds a float32 to the nearest bfloat16, ties to even; NaN gives 0x7FC0 (torch's choice).
std::uint16_t f32_to_bf16(float value);
///@}

/// Converts `count` little-endian elements of `dtype` at `data` to float32.
///
/// Works for every Dtype except the FP8 ones (integers and BOOL convert by value, F64 by
/// rounding). `data` need not be aligned. Throws CheckpointError for an FP8 dtype or when
/// `bytes` is not `count * element_size(dtype)`.
std::vector<float> to_float32(Dtype dtype, std::span<const std::byte> bytes);

/// Encodes float32 values as little-endian elements of a floating-point `dtype`
/// (F16, BF16 and F64 by the conversions above, F32 as is). Throws CheckpointError for
/// any other dtype.
std::vector<std::byte> from_float32(std::span<const float> values, Dtype dtype);

}  // namespace specrouter
