// Every way a safetensors file can be malformed is reported as a CheckpointError whose
// one-line message names the file and the tensor or reason. One table, one row per case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;
using testing::ScratchDir;

// Opens `path` and returns the CheckpointError message; fails the test if open()
// succeeds, or if the message is not one line naming the file.
std::string open_error(const std::filesystem::path& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const CheckpointError& error) {
    const std::string message = error.what();
    EXPECT_THAT(message, HasSubstr("safetensors file '" + path.string() + "'"));
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "open() accepted " << path;
  return {};
}

struct CorruptCase {
  const char* what;
  std::vector<std::byte> bytes;
  std::string expected;  // substring of the message
};

CorruptCase header_case(const char* what, const std::string& header, std::size_t data_size,
                        std::string expected, std::optional<std::uint64_t> length = {}) {
  return {what, testing::raw_safetensors(header, data_size, length), std::move(expected)};
}

std::vector<CorruptCase> corrupt_cases() {
  const std::string u8_entry = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  std::vector<CorruptCase> cases = {
      {"shorter than the length field", std::vector<std::byte>(3),
       "file is 3 bytes, shorter than the 8-byte header length"},
      {"empty file", {}, "file is 0 bytes, shorter than the 8-byte header length"},
      header_case("header length past the end", u8_entry, 1,
                  "header length 1000 is larger than the " + std::to_string(u8_entry.size() + 1) +
                      " bytes after the length field",
                  1000),
      header_case("absurd header length", "{}", 0,
                  "header length 4611686018427387904 exceeds the limit of 100000000 bytes",
                  std::uint64_t{1} << 62),
      header_case("all-ones header length", "{}", 0, "exceeds the limit", ~std::uint64_t{0}),
      header_case("not JSON", "{not json}", 0, "header: not valid JSON"),
      header_case("empty header", "", 0, "header: not valid JSON"),
      header_case("trailing garbage", "{} {}", 0, "header: not valid JSON"),
      header_case("raw control character", std::string("{\"a\0\":1}", 8), 0, "header: not valid JSON"),
      header_case("invalid UTF-8", "{\"\xff\":{}}", 0, "header: not valid JSON"),
      header_case("array header", "[1, 2]", 0, "header is not a JSON object"),
      header_case("string header", "\"text\"", 0, "header is not a JSON object"),
      header_case("unknown dtype", R"({"w":{"dtype":"F8_E8M0","shape":[2],"data_offsets":[0,2]}})", 2,
                  "tensor 'w': unknown dtype 'F8_E8M0'"),
      header_case("lower-case dtype", R"({"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", 4,
                  "tensor 'w': unknown dtype 'f32'"),
      header_case("shape larger than the span", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4,
                  "tensor 'w': shape [2] of F32 needs 8 bytes but data_offsets [0, 4) span 4"),
      header_case("scalar smaller than the span", R"({"w":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}})", 4,
                  "tensor 'w': shape [] of BF16 needs 2 bytes but data_offsets [0, 4) span 4"),
      header_case("shape product overflows",
                  R"({"w":{"dtype":"F64","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})", 8,
                  "tensor 'w': shape [1099511627776, 1099511627776] of F64 needs more than 2^64 bytes"),
      header_case("offsets past the data section", R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", 8,
                  "tensor 'w': data_offsets [0, 16) run past the data section of 8 bytes"),
      header_case("begin after end", R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})", 8,
                  "tensor 'w': data_offsets [8, 4) begin after they end"),
      header_case("huge begin", R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,0]}})", 1,
                  "tensor 'w': data_offsets [18446744073709551615, 0) begin after they end"),
      header_case("partial overlap",
                  R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})", 12,
                  "tensor 'b' at data_offsets [4, 12) overlaps tensor 'a' at [0, 8)"),
      header_case("two tensors on the same bytes",
                  R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                  R"("same":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", 8,
                  "tensor 'same' at data_offsets [0, 8) overlaps tensor 'a' at [0, 8)"),
      header_case("empty tensor inside another",
                  R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                  R"("inside":{"dtype":"U8","shape":[0],"data_offsets":[4,4]}})", 8,
                  "tensor 'inside' at data_offsets [4, 4) overlaps tensor 'a'"),
      header_case("hole between tensors",
                  R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})", 12,
                  "hole in the data section: bytes [4, 8) belong to no tensor (next tensor 'b')"),
      header_case("hole at the start", R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8,
                  "hole in the data section: bytes [0, 4) belong to no tensor (next tensor 'a')"),
      header_case("hole at the end", R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 8,
                  "hole in the data section: bytes [4, 8) at its end belong to no tensor"),
      header_case("data but no tensors", "{}", 3, "bytes [0, 3) at its end belong to no tensor"),
      header_case("duplicate tensor name",
                  R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                  R"("a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8,
                  "key 'a' appears twice in one object"),
      header_case("duplicate field", R"({"a":{"dtype":"U8","dtype":"I8","shape":[4],"data_offsets":[0,4]}})", 4,
                  "key 'dtype' appears twice"),
      header_case("entry not an object", R"({"a":5})", 0, "tensor 'a': header entry is not a JSON object"),
      header_case("missing dtype", R"({"a":{"shape":[1],"data_offsets":[0,1]}})", 1,
                  "tensor 'a': missing or non-string \"dtype\""),
      header_case("missing shape", R"({"a":{"dtype":"U8","data_offsets":[0,1]}})", 1,
                  "tensor 'a': missing or non-array \"shape\""),
      header_case("negative dimension", R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", 1,
                  "tensor 'a': shape [-1] has an entry that is not a non-negative 64-bit integer"),
      header_case("fractional dimension", R"({"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", 1,
                  "not a non-negative 64-bit integer"),
      header_case("dimension past INT64_MAX",
                  R"({"a":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,1]}})", 1,
                  "not a non-negative 64-bit integer"),
      header_case("one offset", R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1,
                  "tensor 'a': \"data_offsets\" is not a pair of non-negative integers"),
      header_case("negative offset", R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,-1]}})", 1,
                  "\"data_offsets\" is not a pair"),
      header_case("three offsets", R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", 1,
                  "\"data_offsets\" is not a pair"),
      header_case("metadata not an object", R"({"__metadata__":[1]})", 0, "__metadata__ is not a JSON object"),
      header_case("metadata value not a string", R"({"__metadata__":{"k":1}})", 0,
                  "__metadata__ entry 'k' is not a string"),
      header_case("control characters in a name stay escaped",
                  "{\"bad\\nname\":{\"dtype\":\"XX\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
                  "tensor 'bad\\nname': unknown dtype 'XX'"),
  };
  return cases;
}

TEST(CorruptSafetensors, EveryCaseIsACheckpointErrorNamingFileAndReason) {
  ScratchDir dir;
  int index = 0;
  for (const CorruptCase& corrupt : corrupt_cases()) {
    SCOPED_TRACE(corrupt.what);
    const std::filesystem::path path = dir / ("case" + std::to_string(index++) + ".safetensors");
    testing::write_bytes(path, corrupt.bytes);
    EXPECT_THAT(open_error(path), HasSubstr(corrupt.expected));
  }
}

TEST(CorruptSafetensors, MissingFileOrAFolder) {
  ScratchDir dir;
  EXPECT_THAT(open_error(dir / "absent.safetensors"), HasSubstr("cannot open"));
  std::filesystem::create_directory(dir / "folder.safetensors");
  EXPECT_THAT(open_error(dir / "folder.safetensors"), HasSubstr("not a regular file"));
}

TEST(SafetensorsFile, AcceptsEdgeCasesTheFormatAllows) {
  ScratchDir dir;
  // Zero tensors; an empty tensor between two others; unknown entry keys ignored;
  // tensors listed out of offset order; trailing whitespace in the header.
  const std::string header =
      R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4],"extra":true},)"
      R"("z":{"dtype":"F32","shape":[0,5],"data_offsets":[2,2]},)"
      R"("a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   )";
  testing::write_bytes(dir / "ok.safetensors", testing::raw_safetensors(header, 4));
  const SafetensorsFile file = SafetensorsFile::open(dir / "ok.safetensors");
  EXPECT_EQ(file.names(), (std::vector<std::string>{"a", "b", "z"}));
  EXPECT_EQ(file.tensors()[0].name, "a");
  EXPECT_EQ(std::to_integer<int>(file.tensor("b").data[0]), 2);
  EXPECT_EQ(file.tensor("z").nbytes, 0u);
  EXPECT_FALSE(file.has_metadata());

  testing::write_bytes(dir / "empty.safetensors", testing::raw_safetensors("{}", 0));
  EXPECT_TRUE(SafetensorsFile::open(dir / "empty.safetensors").names().empty());
}

}  // namespace
}  // namespace specrouter
