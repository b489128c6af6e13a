// Every way a safetensors file can be malformed is reported as a CheckpointError whose
// one-line message names the file and the tensor or reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/error.h"
#include "test_support.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;
using testing::ScratchDir;

class CorruptSafetensors : public ::testing::Test {
 protected:
  // Writes `bytes` to a file and returns the message open() throws (failing the test if
  // it does not throw a CheckpointError, or if the message is not one line naming the file).
  std::string open_error(std::span<const std::byte> bytes) {
    const std::filesystem::path path = dir_ / "corrupt.safetensors";
    testing::write_bytes(path, bytes);
    return open_error_at(path);
  }
  std::string open_error(const std::string& header, std::size_t data_size) {
    return open_error(testing::raw_safetensors(header, data_size));
  }
  std::string open_error_at(const std::filesystem::path& path) {
    try {
      SafetensorsFile::open(path);
    } catch (const CheckpointError& error) {
      const std::string message = error.what();
      EXPECT_THAT(message, HasSubstr(path.string()));
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      return message;
    }
    ADD_FAILURE() << "open() accepted a corrupt file";
    return {};
  }

  ScratchDir dir_;
};

TEST_F(CorruptSafetensors, FileShorterThanTheLengthField) {
  const std::byte three[3] = {};
  EXPECT_THAT(open_error(std::span(three)),
              HasSubstr("file is 3 bytes, shorter than the 8-byte header length"));
  EXPECT_THAT(open_error(std::span<const std::byte>()), HasSubstr("file is 0 bytes"));
}

TEST_F(CorruptSafetensors, HeaderLengthLargerThanTheFile) {
  const std::string header = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  EXPECT_THAT(open_error(testing::raw_safetensors(header, 1, 1000)),
              HasSubstr("header length 1000 is larger than the " +
                        std::to_string(header.size() + 1) + " bytes after the length field"));
}

TEST_F(CorruptSafetensors, AbsurdHeaderLength) {
  EXPECT_THAT(open_error(testing::raw_safetensors("{}", 0, std::uint64_t{1} << 62)),
              HasSubstr("header length 4611686018427387904 exceeds the limit of 100000000 bytes"));
  EXPECT_THAT(open_error(testing::raw_safetensors("{}", 0, ~std::uint64_t{0})),
              HasSubstr("exceeds the limit"));
}

TEST_F(CorruptSafetensors, HeaderNotJsonOrNotAnObject) {
  EXPECT_THAT(open_error("{not json}", 0), HasSubstr("header: not valid JSON"));
  EXPECT_THAT(open_error("", 0), HasSubstr("header: not valid JSON"));
  EXPECT_THAT(open_error("{} {}", 0), HasSubstr("header: not valid JSON"));
  EXPECT_THAT(open_error(std::string("{\"a\0\":1}", 8), 0), HasSubstr("header: not valid JSON"));
  EXPECT_THAT(open_error("{\"\xff\":{}}", 0), HasSubstr("header: not valid JSON"));
  EXPECT_THAT(open_error("[1, 2]", 0), HasSubstr("header is not a JSON object"));
  EXPECT_THAT(open_error("\"text\"", 0), HasSubstr("header is not a JSON object"));
}

TEST_F(CorruptSafetensors, UnknownDtype) {
  EXPECT_THAT(open_error(R"({"w":{"dtype":"F8_E8M0","shape":[2],"data_offsets":[0,2]}})", 2),
              HasSubstr("tensor 'w': unknown dtype 'F8_E8M0'"));
  EXPECT_THAT(open_error(R"({"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", 4),
              HasSubstr("tensor 'w': unknown dtype 'f32'"));
}

TEST_F(CorruptSafetensors, ShapeTimesDtypeSizeDiffersFromTheOffsets) {
  EXPECT_THAT(open_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
              HasSubstr("tensor 'w': shape [2] of F32 needs 8 bytes but data_offsets [0, 4) span 4"));
  EXPECT_THAT(open_error(R"({"w":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}})", 4),
              HasSubstr("tensor 'w': shape [] of BF16 needs 2 bytes but data_offsets [0, 4) span 4"));
  EXPECT_THAT(
      open_error(R"({"w":{"dtype":"F64","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})", 8),
      HasSubstr("tensor 'w': shape [1099511627776, 1099511627776] of F64 needs more than 2^64 bytes"));
}

TEST_F(CorruptSafetensors, OffsetsOutsideTheDataSectionOrReversed) {
  EXPECT_THAT(open_error(R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", 8),
              HasSubstr("tensor 'w': data_offsets [0, 16) run past the data section of 8 bytes"));
  EXPECT_THAT(open_error(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})", 8),
              HasSubstr("tensor 'w': data_offsets [8, 4) begin after they end"));
  EXPECT_THAT(open_error(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,0]}})", 1),
              HasSubstr("tensor 'w': data_offsets [18446744073709551615, 0) begin after they end"));
}

TEST_F(CorruptSafetensors, OverlappingTensors) {
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})", 12),
              HasSubstr("tensor 'b' at data_offsets [4, 12) overlaps tensor 'a' at [0, 8)"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                         R"("same":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", 8),
              HasSubstr("tensor 'same' at data_offsets [0, 8) overlaps tensor 'a' at [0, 8)"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                         R"("inside":{"dtype":"U8","shape":[0],"data_offsets":[4,4]}})", 8),
              HasSubstr("tensor 'inside' at data_offsets [4, 4) overlaps tensor 'a'"));
}

TEST_F(CorruptSafetensors, HolesInTheDataSection) {
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})", 12),
              HasSubstr("hole in the data section: bytes [4, 8) belong to no tensor (next tensor 'b')"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8),
              HasSubstr("bytes [0, 4) belong to no tensor (next tensor 'a')"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 8),
              HasSubstr("hole in the data section: bytes [4, 8) at its end belong to no tensor"));
  EXPECT_THAT(open_error("{}", 3), HasSubstr("bytes [0, 3) at its end belong to no tensor"));
}

TEST_F(CorruptSafetensors, DuplicateNames) {
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8),
              HasSubstr("key 'a' appears twice in one object"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","dtype":"I8","shape":[4],"data_offsets":[0,4]}})", 4),
              HasSubstr("key 'dtype' appears twice"));
}

TEST_F(CorruptSafetensors, MalformedEntries) {
  EXPECT_THAT(open_error(R"({"a":5})", 0), HasSubstr("tensor 'a': header entry is not a JSON object"));
  EXPECT_THAT(open_error(R"({"a":{"shape":[1],"data_offsets":[0,1]}})", 1),
              HasSubstr("tensor 'a': missing or non-string \"dtype\""));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","data_offsets":[0,1]}})", 1),
              HasSubstr("tensor 'a': missing or non-array \"shape\""));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", 1),
              HasSubstr("tensor 'a': shape [-1] has an entry that is not a non-negative 64-bit integer"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", 1),
              HasSubstr("not a non-negative 64-bit integer"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,1]}})", 1),
              HasSubstr("not a non-negative 64-bit integer"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1),
              HasSubstr("tensor 'a': \"data_offsets\" is not a pair of non-negative integers"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,-1]}})", 1),
              HasSubstr("\"data_offsets\" is not a pair"));
  EXPECT_THAT(open_error(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", 1),
              HasSubstr("\"data_offsets\" is not a pair"));
}

TEST_F(CorruptSafetensors, MalformedMetadata) {
  EXPECT_THAT(open_error(R"({"__metadata__":[1]})", 0), HasSubstr("__metadata__ is not a JSON object"));
  EXPECT_THAT(open_error(R"({"__metadata__":{"k":1}})", 0),
              HasSubstr("__metadata__ entry 'k' is not a string"));
}

TEST_F(CorruptSafetensors, NamesWithControlCharactersStayOnOneLine) {
  const std::string message =
      open_error("{\"bad\\nname\":{\"dtype\":\"XX\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
  EXPECT_THAT(message, HasSubstr("tensor 'bad\\nname': unknown dtype 'XX'"));
}

TEST_F(CorruptSafetensors, MissingFileOrAFolder) {
  EXPECT_THAT(open_error_at(dir_ / "absent.safetensors"), HasSubstr("cannot open"));
  std::filesystem::create_directory(dir_ / "folder.safetensors");
  EXPECT_THAT(open_error_at(dir_ / "folder.safetensors"), HasSubstr("not a regular file"));
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
