// Validating a component's config mapping against its declared parameters.
#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::compose_tree;
using testing::config_error;
using testing::data_dir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ComponentInfo ngram_info() {
  ComponentInfo info;
  info.kind = "drafter";
  info.name = "ngram";
  info.params = {int_param("max_ngram", 3, "longest n-gram matched"),
                 float_param("temperature", 0.0, "sampling temperature"), string_list_param("stop", {}, "stop strings"),
                 int_param("min_ngram", 1, "shortest n-gram")};
  return info;
}

ComponentInfo scheduler_info() {
  ComponentInfo info;
  info.kind = "scheduler";
  info.name = "scheduler_x";
  info.params = {required_param("budget", ParamType::kFloat, "seconds per step"), int_param("window", 16, "")};
  return info;
}

std::string file() { return (data_dir("validate") / "config.yaml").string(); }

TEST(Validate, ValidComponentGetsValuesAndDefaults) {
  const ComposedConfig config = compose_tree("validate");
  EXPECT_EQ(component_name(config, "drafter"), "ngram");
  const Params params = validate_component(config, "drafter", ngram_info());
  EXPECT_EQ(params.get<std::int64_t>("max_ngram"), 4);
  EXPECT_DOUBLE_EQ(params.get<double>("temperature"), 1.0);
  EXPECT_THAT(params.get<std::vector<std::string>>("stop"), ElementsAre("a", "b"));
  EXPECT_EQ(params.get<std::int64_t>("min_ngram"), 1);  // default
  EXPECT_EQ(params.owner(), "drafter 'ngram'");
}

TEST(Validate, OverriddenValuesAreValidatedToo) {
  const ComposedConfig config = compose_tree("validate", {"drafter.max_ngram=6", "+missing_required.budget=0.25"});
  EXPECT_EQ(validate_component(config, "drafter", ngram_info()).get<std::int64_t>("max_ngram"), 6);
  EXPECT_DOUBLE_EQ(validate_component(config, "missing_required", scheduler_info()).get<double>("budget"), 0.25);
  const ComposedConfig wrong = compose_tree("validate", {"drafter.max_ngram=2.5"});
  EXPECT_THAT(config_error([&] { validate_component(wrong, "drafter", ngram_info()); }),
              HasSubstr("config key 'drafter.max_ngram' (command-line override 'drafter.max_ngram=2.5'): expected "
                        "int, found float 2.5"));
}

TEST(Validate, UnknownKeyNamesPathOriginAndSuggestion) {
  const std::string message = config_error([] { validate_component(compose_tree("validate"), "typo", ngram_info()); });
  EXPECT_THAT(message, HasSubstr("unknown config key 'typo.max_ngrm' (" + file() + ":8:3)"));
  EXPECT_THAT(message, HasSubstr("drafter 'ngram' has no parameter 'max_ngrm'; did you mean 'max_ngram'"));
  EXPECT_THAT(message, HasSubstr("(parameters: max_ngram, temperature, stop, min_ngram)"));
}

TEST(Validate, WrongTypeNamesExpectedAndFound) {
  const ComposedConfig config = compose_tree("validate");
  EXPECT_THAT(config_error([&] { validate_component(config, "wrong_type", ngram_info()); }),
              HasSubstr("config key 'wrong_type.max_ngram' (" + file() + ":11:3): expected int, found string four"));
  EXPECT_THAT(
      config_error([&] { validate_component(config, "wrong_list", ngram_info()); }),
      HasSubstr("config key 'wrong_list.stop[1]' (" + file() + ":14:3): expected string, found a sequence [b]"));
}

TEST(Validate, MissingRequiredValue) {
  const std::string message =
      config_error([] { validate_component(compose_tree("validate"), "missing_required", scheduler_info()); });
  EXPECT_THAT(message,
              HasSubstr("missing config key 'missing_required.budget' (in 'missing_required', " + file() + ":15:1)"));
  EXPECT_THAT(message, HasSubstr("scheduler 'scheduler_x' requires float parameter 'budget' (seconds per step)"));
  EXPECT_THAT(message, HasSubstr("'+missing_required.budget=<value>'"));
  EXPECT_THAT(config_error([] { validate_component(compose_tree("validate"), "mandatory", scheduler_info()); }),
              HasSubstr("config key 'mandatory.budget' (" + file() + ":20:3) is '?\?\?'"));
}

TEST(Validate, ShapeErrors) {
  const ComposedConfig config = compose_tree("validate");
  EXPECT_THAT(config_error([&] { validate_component(config, "not_a_mapping", ngram_info()); }),
              HasSubstr("drafter 'ngram' is configured by a mapping, found int 3"));
  EXPECT_THAT(config_error([&] { validate_component(config, "nowhere", ngram_info()); }),
              HasSubstr("config key 'nowhere' does not exist"));
  EXPECT_THAT(config_error([&] { validate_component(config, "missing_required", ngram_info()); }),
              HasSubstr("key 'missing_required.plugin' (set at " + file() +
                        ":16:3): is string scheduler_x but is "
                        "validated as drafter 'ngram'"));
  EXPECT_THAT(config_error([&] { component_name(config, "not_a_mapping"); }),
              HasSubstr("a component is a mapping with 'plugin: <name>'"));
}

}  // namespace
}  // namespace specrouter
