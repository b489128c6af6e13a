// The plugin loader: good plugins load and run; every kind of bad library is refused
// with a one-line message naming the file and the reason, and registers nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "specrouter/plugin/plugin_api.h"
#include "specrouter/plugin/plugin_loader.h"

namespace specrouter {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path fixture(const std::string& name) { return fs::path(SPECROUTER_FIXTURE_DIR) / ("lib" + name + ".so"); }

// A fresh temporary folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("specrouter-loader-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             "-" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string load_error(Registries& registries, const fs::path& library) {
  PluginLoader loader(registries);
  try {
    loader.load_file(library);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

TEST(PluginLoader, LoadsGoodPluginAndRunsItsComponent) {
  Registries registries;
  PluginLoader loader(registries);
  loader.load_file(fixture("fixture_good"));

  const auto& entry = registries.drafters.at("fixture_echo");
  EXPECT_EQ(entry.info.kind, "drafter");
  EXPECT_EQ(entry.info.description, "test fixture: repeats the last token");
  EXPECT_THAT(entry.info.source_file, HasSubstr("echo_drafter.cpp"));
  EXPECT_EQ(fs::path(entry.info.library), fs::canonical(fixture("fixture_good")));
  ASSERT_EQ(entry.info.params.size(), 1u);
  EXPECT_EQ(entry.info.params[0].name, "repeat");

  auto drafter = registries.drafters.create("fixture_echo", Params("drafter 'fixture_echo'", {{"repeat", std::int64_t{3}}}));
  const std::vector<TokenId> context = {5, 9};
  const DraftRequest request{context, 8};
  auto drafts = drafter->propose({&request, 1}, {});
  ASSERT_EQ(drafts.size(), 1u);
  EXPECT_EQ(drafts[0].tokens, (std::vector<TokenId>{9, 9, 9}));
}

TEST(PluginLoader, ComponentOutlivesRegistriesAndLoader) {
  std::shared_ptr<Drafter> drafter;
  {
    Registries registries;
    PluginLoader loader(registries);
    loader.load_file(fixture("fixture_good"));
    drafter = registries.drafters.create("fixture_echo", Params("drafter", {{"repeat", std::int64_t{1}}}));
  }
  const std::vector<TokenId> context = {4};
  const DraftRequest request{context, 8};
  EXPECT_EQ(drafter->propose({&request, 1}, {})[0].tokens, (std::vector<TokenId>{4}));
}

TEST(PluginLoader, RefusesWrongApiVersion) {
  Registries registries;
  const std::string error = load_error(registries, fixture("fixture_wrong_version"));
  EXPECT_THAT(error, HasSubstr("libfixture_wrong_version.so"));
  EXPECT_THAT(error, HasSubstr("plugin API version " + std::to_string(SPECROUTER_PLUGIN_API_VERSION + 998) +
                               ", but this core has " + std::to_string(SPECROUTER_PLUGIN_API_VERSION)));
}

TEST(PluginLoader, RefusesLibraryWithoutEntryPoint) {
  Registries registries;
  const std::string error = load_error(registries, fixture("fixture_no_entry"));
  EXPECT_THAT(error, HasSubstr("libfixture_no_entry.so"));
  EXPECT_THAT(error, HasSubstr("missing entry point specrouter_plugin_entry"));
}

TEST(PluginLoader, RefusesUndefinedSymbol) {
  Registries registries;
  const std::string error = load_error(registries, fixture("fixture_undefined"));
  EXPECT_THAT(error, HasSubstr("libfixture_undefined.so"));
  EXPECT_THAT(error, HasSubstr("undefined symbol specrouter_fixture_function_that_does_not_exist"));
}

TEST(PluginLoader, RefusesFingerprintMismatch) {
  Registries registries;
  const std::string error = load_error(registries, fixture("fixture_fingerprint"));
  EXPECT_THAT(error, HasSubstr("libfixture_fingerprint.so"));
  EXPECT_THAT(error, HasSubstr("build fingerprint mismatch: plugin 'compiler=other-toolchain'"));
  EXPECT_EQ(registries.drafters.find("fixture_fp"), nullptr);
}

TEST(PluginLoader, RefusesCorruptFiles) {
  TempDir dir;
  const fs::path garbage = dir.path() / "libgarbage.so";
  std::ofstream(garbage) << "this is not an ELF file";
  Registries registries;
  EXPECT_THAT(load_error(registries, garbage), HasSubstr("libgarbage.so: not a shared library (no ELF header)"));

  // A real plugin cut short: the ELF header is there, the rest is missing.
  const fs::path truncated = dir.path() / "libtruncated.so";
  fs::copy_file(fixture("fixture_good"), truncated);
  fs::resize_file(truncated, 200);
  const std::string error = load_error(registries, truncated);
  EXPECT_THAT(error, HasSubstr("libtruncated.so"));
  EXPECT_THAT(error, HasSubstr("not a shared library"));

  EXPECT_THAT(load_error(registries, dir.path() / "libmissing.so"), HasSubstr("libmissing.so: no such file"));
  EXPECT_TRUE(registries.all().empty());
}

TEST(PluginLoader, ExceptionInRegistrationIsReportedNotPropagated) {
  Registries registries;
  const std::string error = load_error(registries, fixture("fixture_throws"));
  EXPECT_THAT(error, HasSubstr("libfixture_throws.so: registration failed: fixture refuses to register"));
  EXPECT_TRUE(registries.all().empty());
}

TEST(PluginLoader, DuplicateNameIsRefusedAndKeepsTheFirst) {
  Registries registries;
  PluginLoader loader(registries);
  loader.load_file(fixture("fixture_good"));
  const std::string error = load_error(registries, fixture("fixture_duplicate"));
  EXPECT_THAT(error, HasSubstr("libfixture_duplicate.so"));
  EXPECT_THAT(error, HasSubstr("duplicate drafter name 'fixture_echo'"));
  EXPECT_THAT(error, HasSubstr("already registered by " + fs::canonical(fixture("fixture_good")).string()));
  EXPECT_EQ(fs::path(registries.drafters.at("fixture_echo").info.library), fs::canonical(fixture("fixture_good")));
}

TEST(PluginLoader, SameFileThroughTwoPathsLoadsOnce) {
  TempDir dir;
  fs::create_symlink(fixture("fixture_good"), dir.path() / "libalias.so");
  Registries registries;
  PluginLoader loader(registries);
  loader.load_file(fixture("fixture_good"));
  EXPECT_NO_THROW(loader.load_file(dir.path() / "libalias.so"));
  EXPECT_EQ(registries.drafters.names(), (std::vector<std::string>{"fixture_echo"}));
}

TEST(PluginLoader, DirectoryLoadCollectsErrorsAndLoadsTheRest) {
  TempDir dir;
  fs::copy_file(fixture("fixture_good"), dir.path() / "libgood.so");
  fs::copy_file(fixture("fixture_wrong_version"), dir.path() / "libwrong.so");
  std::ofstream(dir.path() / "libbroken.so") << "garbage";
  std::ofstream(dir.path() / "README.txt") << "not a library, ignored";
  Registries registries;
  PluginLoader loader(registries);
  const PluginLoadReport report = loader.load_directories({dir.path()});
  EXPECT_EQ(report.loaded.size(), 1u);
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_THAT(report.errors[0], HasSubstr("libbroken.so"));
  EXPECT_THAT(report.errors[1], HasSubstr("libwrong.so"));
  EXPECT_NE(registries.drafters.find("fixture_echo"), nullptr);
}

TEST(PluginLoader, EnvironmentVariableAddsSearchFolders) {
  TempDir first, second;
  fs::copy_file(fixture("fixture_other_name"), second.path() / "libother.so");
  const std::string value = first.path().string() + ":" + second.path().string();
  ASSERT_EQ(::setenv(kPluginPathEnv, value.c_str(), 1), 0);
  const auto folders = PluginLoader::default_search_path();
  ::unsetenv(kPluginPathEnv);
  ASSERT_GE(folders.size(), 2u);
  EXPECT_EQ(folders[0], first.path());
  EXPECT_EQ(folders[1], second.path());

  Registries registries;
  PluginLoader loader(registries);
  const PluginLoadReport report = loader.load_directories(folders);
  EXPECT_NE(registries.drafters.find("fixture_other"), nullptr);
  EXPECT_THAT(report.loaded, ::testing::Contains(second.path() / "libother.so"));
}

}  // namespace
}  // namespace specrouter
