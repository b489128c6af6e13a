// Interpolation: absolute, relative, inside strings, typed whole values, environment
// variables with defaults, time, and the errors for cycles and missing keys.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::compose_tree;
using testing::config_error;
using testing::data_dir;
using ::testing::HasSubstr;
using testing::text_at;

class Interpolation : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SPECROUTER_TEST_HOME", "/home/tester", 1);
    unsetenv("SPECROUTER_TEST_UNSET");
  }
  void TearDown() override { unsetenv("SPECROUTER_TEST_HOME"); }
};

TEST_F(Interpolation, AbsoluteRelativeAndStringInterpolation) {
  const ComposedConfig config = compose_tree("interp");
  EXPECT_EQ(text_at(config, "paths.models"), "/data/models");
  EXPECT_EQ(text_at(config, "paths.cache"), "/data/cache");
  EXPECT_EQ(text_at(config, "model.up"), "/data");
  EXPECT_EQ(text_at(config, "model.tag"), "m7_/data");
  EXPECT_EQ(yaml_type(config.at("model.tag")), YamlType::kString);
  EXPECT_EQ(text_at(config, "model.first_layer"), "1");
  EXPECT_EQ(text_at(config, "chain.a"), "42");
}

TEST_F(Interpolation, WholeValueKeepsTheType) {
  const ComposedConfig config = compose_tree("interp");
  EXPECT_EQ(yaml_type(config.at("model.copy_size")), YamlType::kInt);
  EXPECT_EQ(yaml_type(config.at("model.copy_ratio")), YamlType::kFloat);
  EXPECT_EQ(yaml_type(config.at("chain.a")), YamlType::kInt);
  ASSERT_EQ(yaml_type(config.at("model.copy_layers")), YamlType::kSequence);
  EXPECT_EQ(config.at("model.copy_layers").size(), 3u);
  ASSERT_EQ(yaml_type(config.at("whole")), YamlType::kMapping);
  EXPECT_EQ(text_at(config, "whole.tag"), "m7_/data");  // copied after its own resolution
  EXPECT_EQ(text_at(config, "through"), "7");           // through an interpolated mapping
}

TEST_F(Interpolation, EnvironmentVariablesAndDefaults) {
  const ComposedConfig config = compose_tree("interp");
  EXPECT_EQ(text_at(config, "env.home"), "/home/tester");
  EXPECT_EQ(text_at(config, "env.fallback"), "default_value");
  EXPECT_EQ(yaml_type(config.at("env.none")), YamlType::kNull);
  EXPECT_EQ(yaml_type(config.at("env.port")), YamlType::kInt);  // oc.decode types the text
  EXPECT_EQ(text_at(config, "env.port"), "8080");
  setenv("SPECROUTER_TEST_UNSET", "9", 1);
  EXPECT_EQ(text_at(compose_tree("interp"), "env.port"), "9");
  EXPECT_EQ(yaml_type(compose_tree("interp").at("env.fallback")), YamlType::kString);
}

TEST_F(Interpolation, EscapedInterpolationIsLiteral) {
  EXPECT_EQ(text_at(compose_tree("interp"), "literal"), "${not.an.interpolation}");
}

TEST_F(Interpolation, NowFormatsTheComposeTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  ComposeRequest request;
  request.config_dir = data_dir("interp");
  request.now = std::chrono::system_clock::from_time_t(1715000000);  // 2024-05-06 12:53:20 UTC
  const ComposedConfig config = compose(request);
  EXPECT_EQ(text_at(config, "stamp"), "run_2024-05-06");
}

TEST_F(Interpolation, ResolvesAfterOverrides) {
  const ComposedConfig config = compose_tree("interp", {"model.size=13", "+extra=${model.copy_size}"});
  EXPECT_EQ(text_at(config, "model.copy_size"), "13");
  EXPECT_EQ(text_at(config, "model.tag"), "m13_/data");
  EXPECT_EQ(text_at(config, "extra"), "13");
  EXPECT_EQ(yaml_type(config.at("extra")), YamlType::kInt);
}

TEST_F(Interpolation, CycleIsAnErrorNamingTheChain) {
  const std::string message = config_error([] { compose_tree("interp", {}, "cycle"); });
  EXPECT_THAT(message, HasSubstr("interpolation cycle loop.a -> loop.b -> loop.c -> loop.a"));
  EXPECT_THAT(message, HasSubstr("cycle.yaml:2:3"));
}

// A chain of `count` references, c0 -> c1 -> ... (the last a number), in a config folder
// of its own; returns that folder.
std::filesystem::path write_chain(int count) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("specrouter-chain-" + std::to_string(::getpid()) + "-" + std::to_string(count));
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / "config.yaml");
  out << "chain:\n";
  for (int i = 0; i + 1 < count; ++i) out << "  c" << i << ": ${chain.c" << i + 1 << "}\n";
  out << "  c" << count - 1 << ": 7\n";
  return dir;
}

TEST_F(Interpolation, ChainsUpToTheStatedDepthResolveAndDeeperOnesAreRefused) {
  const std::filesystem::path shallow = write_chain(400);
  ComposeRequest request;
  request.config_dir = shallow;
  EXPECT_EQ(text_at(compose(request), "chain.c0"), "7");
  std::filesystem::remove_all(shallow);

  // 10,000 keys deep used to overflow the stack (exit 139); now a clear error.
  const std::filesystem::path deep = write_chain(10'000);
  request.config_dir = deep;
  const std::string message = config_error([&] { compose(request); });
  EXPECT_THAT(message, HasSubstr("interpolation too deep"));
  EXPECT_THAT(message, HasSubstr("more than 512 keys"));
  EXPECT_THAT(message, HasSubstr("key 'chain' ("));
  EXPECT_THAT(message, HasSubstr("config.yaml"));
  std::filesystem::remove_all(deep);
}

TEST_F(Interpolation, MissingKeyIsAnErrorNamingBothPaths) {
  const std::string message = config_error([] { compose_tree("interp", {}, "missing"); });
  EXPECT_THAT(message, HasSubstr("interpolation '${model.sise}' at key 'model.copy' ("));
  EXPECT_THAT(message, HasSubstr("missing.yaml:3:3"));
  EXPECT_THAT(message, HasSubstr("key 'model.sise' does not exist; did you mean 'model.size'?"));
}

TEST_F(Interpolation, OtherErrors) {
  EXPECT_THAT(config_error([] { compose_tree("interp", {}, "unset_env"); }),
              HasSubstr("environment variable 'SPECROUTER_TEST_UNSET' is not set and has no default"));
  EXPECT_THAT(config_error([] { compose_tree("interp", {}, "mandatory"); }), HasSubstr("key 'data.path' is '?\?\?'"));
  EXPECT_THAT(config_error([] { compose_tree("interp", {}, "unclosed"); }), HasSubstr("is never closed"));
  EXPECT_THAT(config_error([] { compose_tree("interp", {}, "unknown_resolver"); }),
              HasSubstr("unknown resolver 'oc.time'"));
  EXPECT_THAT(config_error([] { compose_tree("interp", {"+bad=${model}_x"}); }),
              HasSubstr("cannot insert a mapping into a string"));
  EXPECT_THAT(config_error([] { compose_tree("interp", {"+bad=${...x}"}); }), HasSubstr("goes above the root"));
}

}  // namespace
}  // namespace specrouter
