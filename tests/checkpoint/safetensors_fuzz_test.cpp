// Randomized corruption: whatever bytes a file holds, open() either succeeds with views
// that lie inside the mapping and tile the data section, or throws CheckpointError.
// Fixed seeds keep the test deterministic.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/checkpoint/safetensors_writer.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using testing::ScratchDir;

enum class Outcome { kOpened, kRejected };

// Opens `bytes` (written to a fresh file in `dir`) and checks every invariant a successful
// open promises. A new name each time: rewriting one file in place makes ext4 flush it to
// disk on every close (its replace-by-truncate heuristic), which is 100x slower.
Outcome open_and_check(const ScratchDir& dir, std::span<const std::byte> bytes, int iteration) {
  const std::filesystem::path path = dir / ("case" + std::to_string(iteration) + ".safetensors");
  testing::write_bytes(path, bytes);
  struct RemoveAtExit {
    const std::filesystem::path& path;
    ~RemoveAtExit() { std::filesystem::remove(path); }
  } remove_at_exit{path};
  try {
    const SafetensorsFile file = SafetensorsFile::open(path);
    const std::span<const std::byte> mapped = file.file_bytes();
    EXPECT_EQ(mapped.size(), bytes.size()) << "iteration " << iteration;
    const std::byte* data_begin = mapped.data() + 8 + file.header_size();
    const std::byte* cursor = data_begin;
    std::set<std::string> names;
    for (const TensorView& view : file.tensors()) {  // in offset order: must tile the data
      EXPECT_EQ(view.data, cursor) << "iteration " << iteration << " tensor " << view.name;
      EXPECT_GE(view.data, data_begin);
      EXPECT_LE(view.data + view.nbytes, mapped.data() + mapped.size());
      EXPECT_EQ(static_cast<std::size_t>(view.numel()) * element_size(view.dtype), view.nbytes);
      EXPECT_TRUE(names.insert(view.name).second);
      unsigned sum = 0;  // touch every byte: must not fault
      for (const std::byte b : view.bytes()) sum += std::to_integer<unsigned>(b);
      (void)sum;
      cursor = view.data + view.nbytes;
    }
    EXPECT_EQ(cursor, mapped.data() + mapped.size()) << "iteration " << iteration;
    EXPECT_EQ(file.names().size(), file.tensors().size());
    return Outcome::kOpened;
  } catch (const CheckpointError& error) {
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
    return Outcome::kRejected;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "iteration " << iteration << ": open() threw a non-CheckpointError: "
                  << error.what();
    return Outcome::kRejected;
  }
}

std::vector<std::byte> valid_file(const ScratchDir& dir) {
  const std::vector<testing::OwnedTensor> tensors = {
      testing::random_tensor("model.embed_tokens.weight", Dtype::kBF16, {6, 4}, 1),
      testing::random_tensor("model.norm.weight", Dtype::kF32, {4}, 2),
      testing::random_tensor("lm_head.weight", Dtype::kF16, {6, 4}, 3),
      testing::random_tensor("step", Dtype::kI64, {}, 4),
      testing::random_tensor("mask", Dtype::kBool, {5}, 5),
      testing::random_tensor("empty", Dtype::kF64, {0, 3}, 6)};
  write_safetensors(dir / "valid.safetensors", testing::to_write(tensors),
                    SafetensorsMetadata{{"format", "pt"}});
  return testing::read_bytes(dir / "valid.safetensors");
}

TEST(SafetensorsFuzz, RandomByteCorruptionNeverEscapesCheckpointError) {
  ScratchDir dir;
  const std::vector<std::byte> base = valid_file(dir);
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, base.data(), 8);
  const std::size_t header_end = 8 + header_size;

  std::mt19937_64 generator(20250507);
  const auto below = [&](std::size_t n) { return n == 0 ? 0 : generator() % n; };
  const char interesting[] = "{}[],:\"0123456789-.e \\u";
  int opened = 0;
  int rejected = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::vector<std::byte> bytes = base;
    const int mutations = 1 + static_cast<int>(below(3));
    for (int m = 0; m < mutations && !bytes.empty(); ++m) {
      // Most mutations hit the header, where the parser is; some hit the length field,
      // the data, or the size of the file.
      const std::size_t where = below(10) < 8 ? 8 + below(std::min(header_end, bytes.size()) - 8 + 1)
                                              : below(bytes.size());
      const std::size_t at = std::min(where, bytes.size() - 1);
      switch (below(7)) {
        case 0: bytes[at] ^= static_cast<std::byte>(1u << below(8)); break;
        case 1: bytes[at] = static_cast<std::byte>(below(256)); break;
        case 2: bytes[at] = static_cast<std::byte>(interesting[below(sizeof interesting - 1)]); break;
        case 3: bytes.resize(below(bytes.size() + 1)); break;
        case 4: bytes[below(8)] = static_cast<std::byte>(below(256)); break;  // length field
        case 5: bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at)); break;
        case 6:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                       static_cast<std::byte>(interesting[below(sizeof interesting - 1)]));
          break;
      }
    }
    if (open_and_check(dir, bytes, iteration) == Outcome::kOpened) {
      ++opened;
    } else {
      ++rejected;
    }
  }
  // Both outcomes must occur, or the mutations are not exercising the reader.
  EXPECT_GT(opened, 50);
  EXPECT_GT(rejected, 1000);
}

// Headers built from random but plausible parts (near-valid offsets, real and fake
// dtypes, odd shapes), which reach the validation logic more often than byte flips.
TEST(SafetensorsFuzz, RandomPlausibleHeadersNeverEscapeCheckpointError) {
  ScratchDir dir;
  std::mt19937_64 generator(7);
  const auto below = [&](std::size_t n) { return generator() % n; };
  const char* dtypes[] = {"F32", "F16", "BF16", "U8", "I64", "BOOL", "F64", "X", "F8_E4M3"};
  int opened = 0;
  int rejected = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const std::size_t count = below(4);
    std::string header = "{";
    std::size_t offset = 0;
    for (std::size_t t = 0; t < count; ++t) {
      const char* dtype = dtypes[below(std::size(dtypes))];
      const std::size_t size = parse_dtype(dtype) ? element_size(*parse_dtype(dtype)) : 1;
      std::vector<std::int64_t> shape(below(3));
      std::size_t numel = 1;
      for (std::int64_t& dim : shape) numel *= static_cast<std::size_t>(dim = static_cast<std::int64_t>(below(4)));
      std::size_t begin = offset;
      std::size_t end = offset + numel * size;
      if (below(4) == 0) begin += below(3) - 1;  // may wrap: a huge begin
      if (below(4) == 0) end += below(3) - 1;
      offset = below(5) == 0 ? end + below(3) : end;
      header += (t ? "," : "") + std::string("\"t") + std::to_string(below(3)) + "\":{\"dtype\":\"" +
                dtype + "\",\"shape\":" + shape_to_string(shape) + ",\"data_offsets\":[" +
                std::to_string(begin) + "," + std::to_string(end) + "]}";
    }
    if (below(4) == 0) header += count ? ",\"__metadata__\":{\"k\":\"v\"}" : "\"__metadata__\":{}";
    header += "}";
    // Offsets nudged below zero wrap to huge values; keep the file itself small.
    const std::size_t sane_offset = offset > 4096 ? below(64) : offset;
    const std::size_t data_size = below(4) == 0 ? sane_offset + below(3) : sane_offset;
    const auto bytes = testing::raw_safetensors(header, data_size);
    if (open_and_check(dir, bytes, iteration) == Outcome::kOpened) {
      ++opened;
    } else {
      ++rejected;
    }
  }
  EXPECT_GT(opened, 100);
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace specrouter
