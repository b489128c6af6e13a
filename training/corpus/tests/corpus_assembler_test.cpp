// The corpus assembler on a fake source tree the test writes (so it does not depend on
// which Debian packages exist): deterministic output, stable split, lock and version
// mismatches reported with the file or package named, binary files skipped; and the
// shipped config (configs/corpus/debian.yaml) with its lock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "specrouter/config/compose.h"
#include "specrouter/corpus/assemble.h"
#include "specrouter/corpus/lock_file.h"
#include "specrouter/error.h"
#include "temp_tree.h"

namespace specrouter::corpus {
namespace {

using ::testing::HasSubstr;
using test::read_all;
using Json = nlohmann::json;

// Prose long enough to be cut into several chunks.
std::string long_prose(int paragraphs) {
  std::string text;
  for (int p = 0; p < paragraphs; ++p) {
    text += "Paragraph " + std::to_string(p) + " tells of the " + std::to_string(p * 37 % 101) +
            " small models that drafted for a larger one.\nIt goes on for a second line.\n\n";
  }
  return text;
}

class CorpusAssemblerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.write("src/usr/share/prose/one.txt", "The first file.  \r\nIt has two lines.\r\n");
    tree_.write("src/usr/share/prose/two.txt", "The second file.\n\n\n\nAfter blank lines.\n");
    tree_.write("src/usr/share/prose/big.txt", long_prose(120));
    tree_.write("src/usr/share/prose/copy.txt", "The first file.\nIt has two lines.\n");  // same text as one.txt
    tree_.write("src/usr/share/prose/index.dat", std::string("\x01\x00\x00\x02 binary", 10));
    tree_.write("src/usr/share/prose/latin1.txt", "na\xEFve caf\xE9\n");
    tree_.write("src/usr/lib/code/mod/a.py", "def f(x):\n    return x + 1\n");
    tree_.write("src/usr/lib/code/mod/sub/b.py", "class B:\n\tpass\n");
    tree_.write("src/usr/lib/code/mod/tests/test_a.py", "assert f(1) == 2\n");
    ::symlink((tree_.path() / "src/usr/share/prose/one.txt").c_str(),
              (tree_.path() / "src/usr/share/prose/link.txt").c_str());

    spec_.root = (tree_.path() / "src").string();
    spec_.output_dir = tree_.path() / "out" / "corpus";
    spec_.lock_file = tree_.path() / "fake.lock";
    spec_.heldout_fraction = 0.3;
    spec_.chunk_bytes = 512;
    spec_.domains = {
        {"prose", {{"fake-prose", "1.0", {"/usr/share/prose/*"}, {}}}},
        {"code", {{"fake-code", "2.0", {"/usr/lib/code/**/*.py"}, {"**/tests/**"}}}},
    };
    versions_ = {{"fake-prose", "1.0"}, {"fake-code", "2.0"}};
  }

  AssembleOptions options(bool update_lock = false) {
    AssembleOptions out;
    out.update_lock = update_lock;
    out.installed_version = [this](const std::string& package) -> std::optional<std::string> {
      const auto it = versions_.find(package);
      if (it == versions_.end()) return std::nullopt;
      return it->second;
    };
    return out;
  }

  Json manifest() const { return Json::parse(read_all(spec_.output_dir / "manifest.json")); }

  const Json* file_entry(const Json& manifest, const std::string& path) const {
    for (const Json& entry : manifest["files"]) {
      if (entry["path"] == path) return &entry;
    }
    return nullptr;
  }

  test::TempTree tree_;
  CorpusSpec spec_;
  std::map<std::string, std::string> versions_;
};

TEST_F(CorpusAssemblerTest, WritesSplitsAndManifestAndSkipsWhatIsNotText) {
  const AssembleReport report = assemble_corpus(spec_, options(/*update_lock=*/true));
  ASSERT_EQ(report.domains.size(), 2u);
  EXPECT_EQ(report.domains[0].name, "prose");
  EXPECT_EQ(report.domains[0].files_used, 3u);     // big, copy, two
  EXPECT_EQ(report.domains[0].files_skipped, 3u);  // index.dat, latin1.txt, one (duplicate of copy)
  EXPECT_EQ(report.domains[1].files_used, 2u);     // a.py, sub/b.py; tests/ excluded

  const Json m = manifest();
  EXPECT_THAT(file_entry(m, "/usr/share/prose/index.dat")->at("skipped").get<std::string>(), HasSubstr("binary"));
  EXPECT_THAT(file_entry(m, "/usr/share/prose/latin1.txt")->at("skipped").get<std::string>(), HasSubstr("not UTF-8"));
  EXPECT_EQ(file_entry(m, "/usr/share/prose/copy.txt")->count("skipped"), 0u);  // sorts first: kept
  EXPECT_EQ(file_entry(m, "/usr/share/prose/one.txt")->at("skipped"), "duplicate of /usr/share/prose/copy.txt");
  EXPECT_EQ(file_entry(m, "/usr/share/prose/link.txt"), nullptr);  // symlinks are never read
  EXPECT_EQ(file_entry(m, "/usr/lib/code/mod/tests/test_a.py"), nullptr);
  EXPECT_EQ(m["packages"][0]["package"], "fake-prose");
  EXPECT_EQ(m["packages"][0]["version"], "1.0");

  // Every used file's text is in exactly one of the splits, normalised.
  const std::string train = read_all(spec_.output_dir / "train/prose.txt");
  const std::string heldout = read_all(spec_.output_dir / "heldout/prose.txt");
  EXPECT_EQ(train.size(), m["domains"]["prose"]["train"]["bytes"].get<std::size_t>());
  EXPECT_GT(heldout.size(), 0u);
  EXPECT_GT(train.size(), heldout.size());
  const std::string all = train + heldout;
  EXPECT_THAT(all, HasSubstr("The second file.\n\nAfter blank lines.\n"));
  EXPECT_EQ(all.find("\r"), std::string::npos);
  EXPECT_EQ(all.find("  \n"), std::string::npos);
  EXPECT_EQ(all.find("binary"), std::string::npos);
  const std::string code = read_all(spec_.output_dir / "train/code.txt") + read_all(spec_.output_dir / "heldout/code.txt");
  EXPECT_THAT(code, HasSubstr("def f(x):\n    return x + 1\n"));
  EXPECT_THAT(code, HasSubstr("class B:\n\tpass\n"));
  EXPECT_EQ(code.find("assert"), std::string::npos);
}

TEST_F(CorpusAssemblerTest, OutputIsByteIdenticalWhenBuiltAgain) {
  const AssembleReport first = assemble_corpus(spec_, options(true));
  const std::string manifest_text = read_all(spec_.output_dir / "manifest.json");
  const std::string train = read_all(spec_.output_dir / "train/prose.txt");
  spec_.output_dir = tree_.path() / "elsewhere";
  const AssembleReport second = assemble_corpus(spec_, options(false));
  EXPECT_EQ(first.corpus_sha256, second.corpus_sha256);
  EXPECT_EQ(read_all(spec_.output_dir / "manifest.json"), manifest_text);
  EXPECT_EQ(read_all(spec_.output_dir / "train/prose.txt"), train);
}

TEST_F(CorpusAssemblerTest, SplitOfAFileStaysWhenOtherFilesComeOrGo) {
  assemble_corpus(spec_, options(true));
  const Json before = manifest();
  tree_.write("src/usr/share/prose/added.txt", long_prose(50));
  ::remove((tree_.path() / "src/usr/share/prose/two.txt").c_str());
  assemble_corpus(spec_, options(true));
  const Json after = manifest();
  const Json* big_before = file_entry(before, "/usr/share/prose/big.txt");
  const Json* big_after = file_entry(after, "/usr/share/prose/big.txt");
  ASSERT_NE(big_after, nullptr);
  EXPECT_GT(big_before->at("train_chunks").get<int>(), 0);
  EXPECT_GT(big_before->at("heldout_chunks").get<int>(), 0);
  EXPECT_EQ(big_before->at("train_chunks"), big_after->at("train_chunks"));
  EXPECT_EQ(big_before->at("heldout_chunks"), big_after->at("heldout_chunks"));
}

TEST_F(CorpusAssemblerTest, ChangedFileIsReportedByNameAndNothingIsOverwritten) {
  assemble_corpus(spec_, options(true));
  const std::string manifest_text = read_all(spec_.output_dir / "manifest.json");
  tree_.write("src/usr/share/prose/two.txt", "A newer version of the second file.\n");
  try {
    assemble_corpus(spec_, options(false));
    FAIL() << "a changed file was used silently";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'/usr/share/prose/two.txt' (package fake-prose 1.0) has SHA-256"));
    EXPECT_THAT(e.what(), HasSubstr("--update-lock"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("one.txt")));
  }
  EXPECT_EQ(read_all(spec_.output_dir / "manifest.json"), manifest_text);

  tree_.write("src/usr/share/prose/new.txt", "An extra file.\n");
  ::remove((tree_.path() / "src/usr/lib/code/mod/a.py").c_str());
  try {
    assemble_corpus(spec_, options(false));
    FAIL() << "files not in the lock were used silently";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'/usr/share/prose/new.txt' (package fake-prose 1.0) is not in the lock"));
    EXPECT_THAT(e.what(), HasSubstr("'/usr/lib/code/mod/a.py' is in the lock but was not found"));
  }
}

TEST_F(CorpusAssemblerTest, PackageVersionOtherThanThePinIsReported) {
  versions_["fake-code"] = "2.1";
  versions_.erase("fake-prose");
  try {
    assemble_corpus(spec_, options(true));
    FAIL() << "a different package version was used silently";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("package 'fake-code' is installed at version 2.1, the corpus config pins 2.0"));
    EXPECT_THAT(e.what(), HasSubstr("package 'fake-prose' (pinned 1.0) is not installed"));
  }
  EXPECT_FALSE(std::filesystem::exists(spec_.lock_file));
  EXPECT_FALSE(std::filesystem::exists(spec_.output_dir));
}

TEST_F(CorpusAssemblerTest, MissingLockAndEmptyGlobAreErrors) {
  EXPECT_THROW(
      {
        try {
          assemble_corpus(spec_, options(false));
        } catch (const ConfigError& e) {
          EXPECT_THAT(e.what(), HasSubstr("fake.lock' does not exist"));
          throw;
        }
      },
      ConfigError);
  spec_.domains[1].sources[0].include = {"/usr/lib/nothing/*.py"};
  EXPECT_THROW(
      {
        try {
          assemble_corpus(spec_, options(true));
        } catch (const ConfigError& e) {
          EXPECT_THAT(e.what(), HasSubstr("glob '/usr/lib/nothing/*.py' of domain 'code' matches no file"));
          throw;
        }
      },
      ConfigError);
}

TEST(CorpusSpecTest, ParsesAComposedConfigAndNamesBadKeys) {
  test::TempTree configs;
  configs.write("corpus/small.yaml",
                "# @package corpus\nroot: /\noutput_dir: out\nlock_file: corpus/small.lock\nheldout_fraction: 0.1\n"
                "chunk_bytes: 1024\ndomains:\n  prose:\n    - package: p\n      version: '1:2'\n"
                "      include: [/a/*]\n      exclude: ['*.dat']\n  code:\n    - include: [/b/**/*.py]\n");
  const ComposedConfig config = compose({configs.path(), "corpus/small", {}, std::nullopt});
  const CorpusSpec spec = parse_corpus_spec(config, "corpus", configs.path());
  EXPECT_EQ(spec.lock_file, configs.path() / "corpus/small.lock");
  ASSERT_EQ(spec.domains.size(), 2u);
  EXPECT_EQ(spec.domains[0].name, "prose");
  EXPECT_EQ(spec.domains[0].sources[0].version, "1:2");
  EXPECT_EQ(spec.domains[0].sources[0].exclude, std::vector<std::string>{"*.dat"});
  EXPECT_EQ(spec.domains[1].sources[0].package, "");

  const ComposedConfig typo = compose({configs.path(), "corpus/small", {"+corpus.heldout=0.1"}, std::nullopt});
  try {
    parse_corpus_spec(typo, "corpus", configs.path());
    FAIL() << "an unknown key was accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("corpus.heldout"));
  }
  const ComposedConfig bad = compose({configs.path(), "corpus/small", {"corpus.heldout_fraction=1.5"}, std::nullopt});
  EXPECT_THROW(parse_corpus_spec(bad, "corpus", configs.path()), ConfigError);
}

// The shipped config parses, and its lock pins exactly the packages and versions it names.
TEST(CorpusSpecTest, ShippedDebianConfigMatchesItsLock) {
  const std::filesystem::path config_dir = std::filesystem::path(SPECROUTER_SOURCE_DIR) / "configs";
  const ComposedConfig config = compose({config_dir, "corpus/debian", {}, std::nullopt});
  const CorpusSpec spec = parse_corpus_spec(config, "corpus", config_dir);
  ASSERT_GE(spec.domains.size(), 2u);
  const std::string lock = read_all(spec.lock_file);
  ASSERT_FALSE(lock.empty()) << spec.lock_file;
  EXPECT_FALSE(read_lock_file(spec.lock_file).empty());
  for (const DomainSpec& domain : spec.domains) {
    for (const SourceSpec& source : domain.sources) {
      EXPECT_THAT(lock, HasSubstr("# package " + source.package + " " + source.version + "\n"));
    }
  }
}

}  // namespace
}  // namespace specrouter::corpus
