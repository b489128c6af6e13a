// The corpus's parts, each against cases worked out by hand: SHA-256 test vectors, globs,
// text normalisation, chunking and the held-out rule.
#include <gtest/gtest.h>
#include <zlib.h>

#include "specrouter/corpus/chunk_split.h"
#include "specrouter/corpus/file_glob.h"
#include "specrouter/corpus/normalize_text.h"
#include "specrouter/corpus/sha256.h"
#include "specrouter/error.h"
#include "temp_tree.h"

namespace specrouter::corpus {
namespace {

std::string gzip(std::string_view text) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, static_cast<uLong>(text.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(Sha256Test, MatchesFipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PiecewiseUpdatesEqualOneUpdate) {
  std::string message;
  for (int i = 0; i < 300; ++i) message.push_back(static_cast<char>(i * 7));
  for (const std::size_t cut : {0, 1, 55, 56, 63, 64, 65, 128, 299}) {
    Sha256 hasher;
    hasher.update(std::string_view(message).substr(0, cut));
    hasher.update(std::string_view(message).substr(cut));
    EXPECT_EQ(hasher.hex(), sha256_hex(message)) << "cut at " << cut;
  }
}

TEST(FileGlobTest, MatchesSegmentBySegment) {
  EXPECT_TRUE(glob_matches("/usr/share/games/fortunes/*", "/usr/share/games/fortunes/art"));
  EXPECT_FALSE(glob_matches("/usr/share/games/fortunes/*", "/usr/share/games/fortunes/off/art"));
  EXPECT_TRUE(glob_matches("/a/**/*.py", "/a/x.py"));
  EXPECT_TRUE(glob_matches("/a/**/*.py", "/a/b/c/x.py"));
  EXPECT_FALSE(glob_matches("/a/**/*.py", "/b/x.py"));
  EXPECT_TRUE(glob_matches("**/tests/**", "/a/b/tests/test_x.py"));
  EXPECT_FALSE(glob_matches("**/tests/**", "/a/b/testsuite/x.py"));
  EXPECT_TRUE(glob_matches("*.dat", "/usr/share/games/fortunes/art.dat"));  // no '/': the name alone
  EXPECT_FALSE(glob_matches("*.dat", "/usr/share/games/fortunes/art"));
  EXPECT_TRUE(glob_matches("/x/file?.[ch]", "/x/file1.h"));
}

TEST(FileGlobTest, ListsRegularFilesSortedWithoutSymlinks) {
  test::TempTree tree;
  tree.write("d/b.txt", "b");
  tree.write("d/a.txt", "a");
  tree.write("d/sub/c.txt", "c");
  tree.write("d/sub/deeper/e.txt", "e");
  ASSERT_EQ(::symlink((tree.path() / "d/a.txt").c_str(), (tree.path() / "d/link.txt").c_str()), 0);
  EXPECT_EQ(expand_glob(tree.path().string(), "/d/*.txt"), (std::vector<std::string>{"/d/a.txt", "/d/b.txt"}));
  EXPECT_EQ(expand_glob(tree.path().string(), "/d/**/*.txt"),
            (std::vector<std::string>{"/d/a.txt", "/d/b.txt", "/d/sub/c.txt", "/d/sub/deeper/e.txt"}));
  EXPECT_TRUE(expand_glob(tree.path().string(), "/missing/*").empty());
  EXPECT_THROW(expand_glob(tree.path().string(), "relative/*"), ConfigError);
}

TEST(NormalizeTextTest, NormalisesLinesAndBlankRuns) {
  const NormalizedText result =
      normalize_file("/x.txt", "\xEF\xBB\xBF\n\nfirst  \r\nsecond\t\r\n\n\n\n third\rfo\bour\x1F\x0C\n\n");
  EXPECT_EQ(result.skip_reason, "");
  EXPECT_EQ(result.text, "first\nsecond\n\n third\nfour\n");
}

TEST(NormalizeTextTest, BackspaceRemovesAWholeCharacter) {
  EXPECT_EQ(normalize_file("/x", "caf\xC3\xA9\b\xC3\xA9!").text, "caf\xC3\xA9!\n");
}

TEST(NormalizeTextTest, SkipsBinaryNonUtf8AndEmptyFiles) {
  EXPECT_EQ(normalize_file("/x.dat", std::string("ab\0cd", 5)).skip_reason, "binary (NUL byte at offset 2)");
  EXPECT_EQ(normalize_file("/x", "caf\xE9 au lait").skip_reason, "not UTF-8 (invalid byte at offset 3)");
  EXPECT_EQ(normalize_file("/x", "\xC0\xAF").skip_reason, "not UTF-8 (invalid byte at offset 0)");  // overlong
  EXPECT_EQ(normalize_file("/x", "\xED\xA0\x80").skip_reason, "not UTF-8 (invalid byte at offset 0)");  // surrogate
  EXPECT_EQ(normalize_file("/x", " \n\t\n").skip_reason, "empty");
}

TEST(NormalizeTextTest, DecompressesGzipFiles) {
  EXPECT_EQ(normalize_file("/doc.txt.gz", gzip("Hello,  \nworld")).text, "Hello,\nworld\n");
  EXPECT_EQ(normalize_file("/doc.txt.gz", "plain text").skip_reason, "not valid gzip data");
  // Without the .gz name, compressed bytes are just binary.
  EXPECT_NE(normalize_file("/doc.txt", gzip("Hello")).skip_reason, "");
}

TEST(ChunkTextTest, CutsAtBlankLinesThenNewlinesThenCharacters) {
  const std::string text = "aaaa\n\nbbbb\ncccc\n\ndddd\n";
  const auto chunks = chunk_text(text, 12);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], "aaaa\n\n");       // the blank line within 12 bytes
  EXPECT_EQ(chunks[1], "bbbb\ncccc\n\n");  // 11 bytes
  EXPECT_EQ(chunks[2], "dddd\n");
  const std::string line = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";  // no newline: cut between characters
  const auto pieces = chunk_text(line, 3);
  ASSERT_EQ(pieces.size(), 4u);
  for (const auto piece : pieces) EXPECT_EQ(piece, "\xC3\xA9");
}

TEST(ChunkTextTest, ChunksConcatenateToTheTextAndRespectTheLimit) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i * 7919 % 1000) + (i % 9 == 0 ? "\n\n" : "\n");
  for (const std::size_t limit : {64, 300, 4096}) {
    std::string joined;
    for (const auto chunk : chunk_text(text, limit)) {
      EXPECT_LE(chunk.size(), limit);
      joined += chunk;
    }
    EXPECT_EQ(joined, text);
  }
}

TEST(HeldoutRuleTest, HoldsOutAboutTheFractionAndDependsOnlyOnPathAndIndex) {
  int held = 0;
  for (int i = 0; i < 20000; ++i) held += is_heldout("/usr/lib/file" + std::to_string(i % 400), i / 400, 0.05);
  EXPECT_GT(held, 20000 * 0.04);
  EXPECT_LT(held, 20000 * 0.06);
  EXPECT_EQ(is_heldout("/a/b", 3, 0.5), is_heldout("/a/b", 3, 0.5));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(is_heldout("/f", i, 0.0));
    // A larger fraction only adds chunks to the held-out split.
    if (is_heldout("/f", i, 0.05)) {
      EXPECT_TRUE(is_heldout("/f", i, 0.2));
    }
  }
}

}  // namespace
}  // namespace specrouter::corpus
