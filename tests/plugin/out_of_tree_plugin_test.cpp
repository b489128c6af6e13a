// `cmake --install` gives a package an out-of-tree plugin builds against with
// find_package(SpecRouter); the plugin then loads into this core and runs, and its own
// test, linked with the installed conformance kit, passes. Built with the plugin kit
// alone (COMPONENTS plugin_kit), the same plugin needs no Torch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "specrouter/plugin/plugin_loader.h"

namespace specrouter {
namespace {
namespace fs = std::filesystem;

// Runs a shell command, logging to `log`; returns its exit status.
int run(const std::string& command, const fs::path& log) {
  const std::string full = command + " > '" + log.string() + "' 2>&1";
  return std::system(full.c_str());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OutOfTreePlugin, BuildsAgainstInstalledPackageAndLoads) {
  const fs::path work = fs::temp_directory_path() / ("specrouter-oot-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path prefix = work / "prefix";
  const fs::path build = work / "build";
  const std::string cmake = SPECROUTER_CMAKE_COMMAND;

  ASSERT_EQ(run("'" + cmake + "' --install '" SPECROUTER_BINARY_DIR "' --prefix '" + prefix.string() + "'",
                work / "install.log"),
            0)
      << read_file(work / "install.log");
  EXPECT_TRUE(fs::exists(prefix / "include/specrouter/plugin/plugin_api.h"));
  EXPECT_TRUE(fs::exists(prefix / "lib/cmake/SpecRouter/SpecRouterConfig.cmake"));

  ASSERT_EQ(run("'" + cmake + "' -S '" SPECROUTER_OUT_OF_TREE_SOURCE "' -B '" + build.string() +
                    "' -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER='" SPECROUTER_CXX_COMPILER
                    "' -DCMAKE_PREFIX_PATH='" + prefix.string() + "'",
                work / "configure.log"),
            0)
      << read_file(work / "configure.log");
  ASSERT_EQ(run("'" + cmake + "' --build '" + build.string() + "' --target reverse_drafter", work / "build.log"), 0)
      << read_file(work / "build.log");

  const fs::path library = build / "plugins" / "libreverse_drafter.so";
  ASSERT_TRUE(fs::exists(library)) << read_file(work / "build.log");
  Registries registries;
  PluginLoader loader(registries);
  loader.load_file(library);
  auto drafter = registries.drafters.create("reverse", Params());
  const std::vector<TokenId> context = {1, 2, 3};
  const DraftRequest request{context, 2};
  EXPECT_EQ(drafter->propose({&request, 1}, {})[0].tokens, (std::vector<TokenId>{3, 2}));
  EXPECT_THAT(registries.drafters.at("reverse").info.source_file, ::testing::HasSubstr("reverse_drafter.cpp"));

  // The plugin's own test: the installed kit's checks, with the installed token verifier.
  EXPECT_TRUE(fs::exists(prefix / "include/specrouter/conformance/conformance.h"));
  ASSERT_EQ(run("'" + cmake + "' --build '" + build.string() + "' --target reverse_drafter_test", work / "build_test.log"),
            0)
      << read_file(work / "build_test.log");
  ASSERT_EQ(run("'" + (build / "reverse_drafter_test").string() + "' --gtest_color=no", work / "conformance.log"), 0)
      << read_file(work / "conformance.log");
  EXPECT_THAT(read_file(work / "conformance.log"), ::testing::HasSubstr("[  PASSED  ] 2 tests"));

  // Its config file beside the library: the installed command line selects it by name.
  ASSERT_TRUE(fs::exists(build / "plugins" / "configs" / "drafter" / "reverse.yaml"));
  const std::string cli = "cd '" + work.string() + "' && env -u LD_LIBRARY_PATH -u SPECROUTER_PLUGIN_PATH '" +
                          (prefix / "bin" / "specrouter").string() + "' --plugin-path '" +
                          (build / "plugins").string() + "' ";
  const std::string run_args = "pool=tiny_random method=null drafter=reverse 'pool.models[0].path=" +
                               (work / "tiny").string() + "' run.output_dir=" + (work / "run").string() +
                               " workload.requests=2 workload.max_new_tokens=4";
  ASSERT_EQ(run(cli + "--cfg job " + run_args, work / "config.log"), 0) << read_file(work / "config.log");
  EXPECT_THAT(read_file(work / "config.log"), ::testing::HasSubstr("plugin: reverse"));
  ASSERT_EQ(run(cli + run_args, work / "run.log"), 0) << read_file(work / "run.log");
  EXPECT_TRUE(fs::exists(work / "run" / "results.h5")) << read_file(work / "run.log");
  // Without the plugin's folder the option is unknown, and the message lists the options.
  ASSERT_NE(run("cd '" + work.string() + "' && '" + (prefix / "bin" / "specrouter").string() + "' " + run_args,
                work / "unknown.log"),
            0);
  EXPECT_THAT(read_file(work / "unknown.log"), ::testing::HasSubstr("reverse"));

  // The same plugin built with the plugin kit alone, Torch impossible to find: it loads
  // into this core (its build fingerprint names the core's libtorch) and the installed
  // command line lists it.
  const fs::path tensor_free = work / "tensor_free";
  ASSERT_EQ(run("env -u Torch_DIR '" + cmake + "' -S '" SPECROUTER_TENSOR_FREE_SOURCE "' -B '" + tensor_free.string() +
                    "' -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER='" SPECROUTER_CXX_COMPILER
                    "' -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_PREFIX_PATH='" +
                    prefix.string() + "'",
                work / "tensor_free_configure.log"),
            0)
      << read_file(work / "tensor_free_configure.log");
  ASSERT_EQ(run("'" + cmake + "' --build '" + tensor_free.string() + "' --target reverse_drafter_tensor_free",
                work / "tensor_free_build.log"),
            0)
      << read_file(work / "tensor_free_build.log");
  const std::string compile_commands = read_file(tensor_free / "compile_commands.json");
  EXPECT_THAT(compile_commands, ::testing::HasSubstr("reverse_drafter.cpp"));
  EXPECT_THAT(compile_commands, ::testing::Not(::testing::HasSubstr("torch"))) << "the plugin saw libtorch's headers";
  const fs::path tensor_free_plugins = tensor_free / "plugins";
  Registries tensor_free_registries;
  PluginLoader(tensor_free_registries).load_file(tensor_free_plugins / "libreverse_drafter_tensor_free.so");
  EXPECT_EQ(tensor_free_registries.drafters.create("reverse", Params())->propose({&request, 1}, {})[0].tokens,
            (std::vector<TokenId>{3, 2}));
  ASSERT_EQ(run("env -u LD_LIBRARY_PATH -u SPECROUTER_PLUGIN_PATH '" + (prefix / "bin" / "specrouter").string() +
                    "' plugins --plugin-path '" + tensor_free_plugins.string() + "'",
                work / "tensor_free_plugins.log"),
            0)
      << read_file(work / "tensor_free_plugins.log");
  EXPECT_THAT(read_file(work / "tensor_free_plugins.log"), ::testing::HasSubstr("reverse"));
  fs::remove_all(work);
}

// The installed command line starts from its prefix (libtorch found through its RUNPATH),
// loads the installed plugins, and composes the installed configs from any directory.
TEST(InstalledPackage, CommandLineStartsAndFindsItsPluginsAndConfigs) {
  const fs::path work = fs::temp_directory_path() / ("specrouter-installed-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work / "elsewhere");
  const fs::path prefix = work / "prefix";
  ASSERT_EQ(run("'" SPECROUTER_CMAKE_COMMAND "' --install '" SPECROUTER_BINARY_DIR "' --prefix '" + prefix.string() + "'",
                work / "install.log"),
            0)
      << read_file(work / "install.log");
  const std::string cli = (prefix / "bin" / "specrouter").string();
  // No LD_LIBRARY_PATH and none of the project's variables: what a user's shell has.
  const std::string clean = "cd '" + (work / "elsewhere").string() +
                            "' && env -u LD_LIBRARY_PATH -u SPECROUTER_CONFIG_DIR -u SPECROUTER_DATA_DIR "
                            "-u SPECROUTER_PLUGIN_PATH '" + cli + "' ";
  ASSERT_EQ(run(clean + "--help", work / "help.log"), 0) << read_file(work / "help.log");
  EXPECT_THAT(read_file(work / "help.log"), ::testing::HasSubstr("usage: specrouter"));
  ASSERT_EQ(run(clean + "plugins", work / "plugins.log"), 0) << read_file(work / "plugins.log");
  EXPECT_THAT(read_file(work / "plugins.log"), ::testing::HasSubstr((prefix / "lib").string()));
  EXPECT_THAT(read_file(work / "plugins.log"), ::testing::HasSubstr("scheduler dp"));
  ASSERT_EQ(run(clean + "--cfg job", work / "config.log"), 0) << read_file(work / "config.log");
  EXPECT_THAT(read_file(work / "config.log"), ::testing::HasSubstr("name: zoo"));
  EXPECT_TRUE(fs::exists(prefix / "share/specrouter/experiments/workloads/prose.jsonl"));
  fs::remove_all(work);
}

}  // namespace
}  // namespace specrouter
