#pragma once
// Shared helpers of the checkpoint tests: scratch folders, raw file building, and
// tensors with deterministic contents.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <random>
#include <string>
#include <vector>

#include "specrouter/checkpoint/safetensors_writer.h"

namespace specrouter::testing {

namespace fs = std::filesystem;

/// Removes `path` and everything under it. Not std::filesystem::remove_all: in a binary
/// that links the torch wheel's libtorch.so, that symbol resolves to libtorch's bundled
/// copy, which calls a weak symbol Debian 12's libstdc++ lacks and jumps to address 0.
inline void remove_tree(const fs::path& path) {
  std::error_code error;
  if (fs::is_directory(fs::symlink_status(path, error))) {
    std::vector<fs::path> children;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
      children.push_back(entry.path());
    }
    for (const fs::path& child : children) remove_tree(child);
  }
  fs::remove(path, error);
}

/// A fresh folder under the system temp dir, removed with its contents at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
    path_ = fs::temp_directory_path() /
            ("specrouter_checkpoint_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++) + "_" + test);
    remove_tree(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    remove_tree(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  if (!chars.empty()) std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const fs::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A raw safetensors image: length field, `header` verbatim, then `data_size` bytes
/// counting up from 0. `length_override` replaces the length field when given.
inline std::vector<std::byte> raw_safetensors(const std::string& header, std::size_t data_size,
                                              std::optional<std::uint64_t> length_override = {}) {
  const std::uint64_t length = length_override.value_or(header.size());
  std::vector<std::byte> bytes(8 + header.size() + data_size);
  std::memcpy(bytes.data(), &length, 8);
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  for (std::size_t i = 0; i < data_size; ++i) {
    bytes[8 + header.size() + i] = static_cast<std::byte>(i & 0xFF);
  }
  return bytes;
}

/// A tensor that owns its bytes (filled from a seeded generator) and can be written.
struct OwnedTensor {
  std::string name;
  Dtype dtype = Dtype::kF32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;

  TensorToWrite to_write() const { return TensorToWrite{name, dtype, shape, bytes}; }
};

inline OwnedTensor random_tensor(std::string name, Dtype dtype, std::vector<std::int64_t> shape,
                                 std::uint32_t seed) {
  std::size_t numel = 1;
  for (const std::int64_t dim : shape) numel *= static_cast<std::size_t>(dim);
  OwnedTensor tensor{std::move(name), dtype, std::move(shape), {}};
  tensor.bytes.resize(numel * element_size(dtype));
  std::mt19937 generator(seed);
  for (std::byte& b : tensor.bytes) b = static_cast<std::byte>(generator() & 0xFF);
  if (dtype == Dtype::kBool) {
    for (std::byte& b : tensor.bytes) b &= std::byte{1};
  }
  return tensor;
}

inline std::vector<TensorToWrite> to_write(const std::vector<OwnedTensor>& tensors) {
  std::vector<TensorToWrite> out;
  for (const OwnedTensor& tensor : tensors) out.push_back(tensor.to_write());
  return out;
}

inline bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace specrouter::testing
