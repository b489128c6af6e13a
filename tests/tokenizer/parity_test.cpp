// Parity with the Hugging Face `tokenizers` library: scripts/oracles/tokenizer_oracle.py
// trains small tokenizers of every supported kind and records the library's encodings and
// decodings of a varied corpus; every one must match exactly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "specrouter/tokenizer/decode_stream.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "tokenizer_test_support.h"

namespace specrouter {
namespace {

using test::escaped;
using test::Ids;

class TokenizerParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string python = SPECROUTER_PYTHON;
    if (python.empty() || ::access(python.c_str(), X_OK) != 0) {
      skip_reason_ = "no Python interpreter at SPECROUTER_PYTHON='" + python + "'";
      return;
    }
    out_dir_ = new test::TempDir();
    const std::string script = std::string(SPECROUTER_SOURCE_DIR) + "/scripts/oracles/tokenizer_oracle.py";
    const std::string log = (out_dir_->path() / "oracle.log").string();
    const std::string command =
        "'" + python + "' '" + script + "' '" + out_dir_->path().string() + "' > '" + log + "' 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::ifstream in(log);
      const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (output.find("No module named 'tokenizers'") != std::string::npos) {
        skip_reason_ = "the Python at SPECROUTER_PYTHON has no `tokenizers` package";
      } else {
        failure_ = "oracle failed: " + command + "\n" + output;
      }
      return;
    }
    std::ifstream in(out_dir_->path() / "expected.json");
    expected_ = new nlohmann::json(nlohmann::json::parse(in));
  }

  static void TearDownTestSuite() {
    delete expected_;
    delete out_dir_;
    expected_ = nullptr;
    out_dir_ = nullptr;
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  // Checks every case recorded for the tokenizer `name`.
  static void check_tokenizer(const std::string& name) {
    const nlohmann::json* entry = nullptr;
    for (const auto& candidate : (*expected_)["tokenizers"]) {
      if (candidate["name"] == name) entry = &candidate;
    }
    ASSERT_NE(entry, nullptr) << "the oracle wrote no tokenizer named " << name;
    const auto tokenizer = load_tokenizer((*entry)["path"].get<std::string>());
    int mismatches = 0;
    for (const auto& c : (*entry)["cases"]) {
      const std::string text = c["text"];
      const Ids ids = tokenizer->encode(text, true);
      const Ids expected_ids = c["ids"].get<Ids>();
      const std::string decoded = tokenizer->decode(expected_ids, false);
      const std::string decoded_skip = tokenizer->decode(expected_ids, true);
      DecodeStream stream(*tokenizer);
      std::string streamed;
      for (const TokenId id : expected_ids) streamed += stream.step(id);
      streamed += stream.flush();

      const bool ok = ids == expected_ids && tokenizer->encode(text, false) == c["ids_plain"].get<Ids>() &&
                      decoded == c["decoded"].get<std::string>() &&
                      decoded_skip == c["decoded_skip"].get<std::string>() && streamed == decoded;
      if (!ok && ++mismatches <= 5) {
        ADD_FAILURE() << name << ": text '" << escaped(text) << "'\n  ids      " << ::testing::PrintToString(ids)
                      << "\n  expected " << ::testing::PrintToString(expected_ids) << "\n  plain    "
                      << ::testing::PrintToString(tokenizer->encode(text, false)) << "\n  expected "
                      << c["ids_plain"].dump() << "\n  decoded  '" << escaped(decoded) << "'\n  expected '"
                      << escaped(c["decoded"].get<std::string>()) << "'\n  skip     '" << escaped(decoded_skip)
                      << "'\n  expected '" << escaped(c["decoded_skip"].get<std::string>()) << "'\n  streamed '"
                      << escaped(streamed) << "'";
      }
    }
    EXPECT_EQ(mismatches, 0) << name << ": " << mismatches << " of " << (*entry)["cases"].size()
                             << " cases differ from tokenizers " << (*expected_)["tokenizers_version"];
  }

  static inline test::TempDir* out_dir_ = nullptr;
  static inline nlohmann::json* expected_ = nullptr;
  static inline std::string skip_reason_;
  static inline std::string failure_;
};

// One test for all kinds: starting a test process (libtorch) costs more than checking one
// tokenizer, and the oracle runs once per process.
TEST_F(TokenizerParityTest, EveryKindMatchesTokenizersLibrary) {
  const std::vector<std::string> kinds = {"gpt2",   "gpt2_prefix", "smollm2",   "llama3", "qwen2",
                                          "llama2", "mistral",     "metaspace", "sp_unk"};
  ASSERT_EQ((*expected_)["tokenizers"].size(), kinds.size()) << "the oracle and this test disagree on the kinds";
  for (const std::string& kind : kinds) {
    SCOPED_TRACE(kind);
    check_tokenizer(kind);
  }
}

}  // namespace
}  // namespace specrouter
