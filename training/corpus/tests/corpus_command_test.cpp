// `specrouter corpus` as a user runs it, on a fake source tree and a config folder the test
// writes: build + tokenizer, skipping what is up to date, exit codes and messages for a
// missing lock, a changed file and a malformed command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "temp_tree.h"

namespace specrouter::corpus {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandRun run_specrouter(const std::vector<std::string>& args, const fs::path& log) {
  std::string command = "'" + std::string(SPECROUTER_BINARY_DIR) + "/bin/specrouter'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_all(log)};
}

class CorpusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string prose;
    for (int i = 0; i < 200; ++i) prose += "The draft model proposes, and the target model disposes. Line " + std::to_string(i) + ".\n";
    tree_.write("src/share/prose/a.txt", prose);
    tree_.write("src/share/prose/b.txt", "Another story about speculative decoding.\n");
    tree_.write("src/share/prose/index.dat", std::string("\0\1\2", 3));
    tree_.write("src/lib/code/m.py", "def add(a, b):\n    return a + b\n\n\nclass Adder:\n    pass\n");
    const fs::path root = tree_.path();
    tree_.write("configs/corpus/fake.yaml",
                "# @package corpus\nroot: " + (root / "src").string() + "\noutput_dir: " + (root / "out/corpus").string() +
                    "\nlock_file: " + (root / "fake.lock").string() +
                    "\nheldout_fraction: 0.2\nchunk_bytes: 1024\ndomains:\n  prose:\n    - include: [/share/prose/*]\n"
                    "  code:\n    - include: ['/lib/**/*.py']\n"
                    "tokenizer:\n  output_dir: " + (root / "out/tokenizer").string() + "\n  vocab_size: 300\n");
  }

  CommandRun corpus(std::vector<std::string> args) {
    args.insert(args.begin(), "corpus");
    args.insert(args.end(), {"--config-dir", (tree_.path() / "configs").string(), "--config-name", "corpus/fake"});
    return run_specrouter(args, tree_.path() / "log.txt");
  }

  test::TempTree tree_;
};

TEST_F(CorpusCommandTest, BuildsCorpusAndTokenizerThenSkipsWhatIsUpToDate) {
  const CommandRun no_lock = corpus({"build"});
  EXPECT_EQ(no_lock.exit_code, 1) << no_lock.output;
  EXPECT_THAT(no_lock.output, HasSubstr("fake.lock' does not exist"));

  const CommandRun first = corpus({"--update-lock"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("round trip exact"));
  EXPECT_TRUE(fs::exists(tree_.path() / "out/corpus/train/prose.txt"));
  EXPECT_TRUE(fs::exists(tree_.path() / "out/corpus/heldout/code.txt"));
  EXPECT_TRUE(fs::exists(tree_.path() / "out/tokenizer/tokenizer.json"));

  const CommandRun again = corpus({});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("corpus: " + (tree_.path() / "out/corpus").string() + " is up to date"));
  EXPECT_THAT(again.output, HasSubstr("tokenizer: " + (tree_.path() / "out/tokenizer").string() + " is up to date"));

  // A changed vocabulary size retrains only the tokenizer.
  const CommandRun bigger = corpus({"corpus.tokenizer.vocab_size=280"});
  ASSERT_EQ(bigger.exit_code, 0) << bigger.output;
  EXPECT_THAT(bigger.output, HasSubstr("corpus: " + (tree_.path() / "out/corpus").string() + " is up to date"));
  EXPECT_THAT(bigger.output, HasSubstr("280 ids"));
}

TEST_F(CorpusCommandTest, ChangedSourceFileFailsNamingItAndKeepsTheCorpus) {
  ASSERT_EQ(corpus({"build", "--update-lock"}).exit_code, 0);
  const std::string manifest = test::read_all(tree_.path() / "out/corpus/manifest.json");
  tree_.write("src/share/prose/b.txt", "A story that changed.\n");
  const CommandRun changed = corpus({"build", "--force"});
  EXPECT_EQ(changed.exit_code, 1) << changed.output;
  EXPECT_THAT(changed.output, HasSubstr("file '/share/prose/b.txt' has SHA-256"));
  EXPECT_EQ(test::read_all(tree_.path() / "out/corpus/manifest.json"), manifest);
}

TEST_F(CorpusCommandTest, MalformedCommandLineIsAUsageError) {
  EXPECT_EQ(corpus({"bogus"}).exit_code, 2);
  EXPECT_EQ(corpus({"--no-such-flag"}).exit_code, 2);
  const CommandRun bad_key = corpus({"+corpus.heldout=0.1"});
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_THAT(bad_key.output, HasSubstr("corpus.heldout"));
}

}  // namespace
}  // namespace specrouter::corpus
