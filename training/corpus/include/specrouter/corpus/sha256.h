#pragma once

/// @file
/// @brief SHA-256 (FIPS 180-4), for pinning the corpus's source files and outputs.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace specrouter::corpus {

/// Incremental SHA-256: feed bytes with update(), read the digest once with hex().
class Sha256 {
 public:
  Sha256();
  /// Appends bytes to the message.
  void update(std::string_view bytes);
  /// Finishes the message and returns the digest as 64 lower-case hex digits; the object
  /// must not be updated afterwards.
  std::string hex();
  /// Finishes the message and returns the 32-byte digest.
  std::array<std::uint8_t, 32> digest();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// SHA-256 of `bytes` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace specrouter::corpus
