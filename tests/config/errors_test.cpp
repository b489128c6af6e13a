// Error messages: each names the file and line, the defaults entry, the override or the
// key at fault, on one line.
#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::compose_tree;
using testing::config_error;
using testing::data_dir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string errors_file(const std::string& name) { return (data_dir("errors") / name).string(); }

TEST(ConfigErrors, YamlSyntaxErrorNamesFileLineAndColumn) {
  const std::string message = config_error([] { compose_tree("errors", {}, "bad_syntax"); });
  EXPECT_THAT(message, HasSubstr(errors_file("bad_syntax.yaml") + ":3:"));
  EXPECT_THAT(message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(message, MatchesRegex(".*bad_syntax\\.yaml:3:[0-9]+: YAML syntax error: .+"));
}

TEST(ConfigErrors, YamlSyntaxErrorInAGroupOption) {
  const std::string message = config_error([] { compose_tree("errors", {"db=broken"}); });
  EXPECT_THAT(message, MatchesRegex(".*db/broken\\.yaml:[34]:[0-9]+: YAML syntax error: .+"));
}

TEST(ConfigErrors, MissingGroupOptionListsTheAvailableOnes) {
  const std::string message = config_error([] { compose_tree("errors", {}, "missing_option"); });
  EXPECT_THAT(message, HasSubstr(errors_file("missing_option.yaml") + ":2:5: defaults entry '- db: oracle'"));
  EXPECT_THAT(message, HasSubstr("config group 'db' has no option 'oracle'"));
  EXPECT_THAT(message, HasSubstr("(available: broken, mysql, postgres)"));
}

TEST(ConfigErrors, MissingOptionFromTheCommandLineNamesTheOverride) {
  const std::string message = config_error([] { compose_tree("errors", {"db=postgress"}); });
  EXPECT_THAT(message, HasSubstr("command-line override 'db=postgress': config group 'db' has no option 'postgress'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'postgres'?"));
  EXPECT_THAT(message, HasSubstr("available: broken, mysql, postgres"));
}

TEST(ConfigErrors, UnknownGroupNamesTheEntryAndItsFile) {
  const std::string message = config_error([] { compose_tree("errors", {}, "unknown_group"); });
  EXPECT_THAT(message, HasSubstr(errors_file("unknown_group.yaml") + ":3:5: defaults entry '- dbs: mysql'"));
  EXPECT_THAT(message, HasSubstr("no config group 'dbs'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'db'?"));
}

TEST(ConfigErrors, MandatoryChoiceAsksForIt) {
  const std::string message = config_error([] { compose_tree("errors", {}, "mandatory"); });
  EXPECT_THAT(message, HasSubstr("config group 'db' needs a choice; add 'db=<option>'"));
  EXPECT_EQ(testing::text_at(compose_tree("errors", {"db=mysql"}, "mandatory"), "db.driver"), "mysql");
}

TEST(ConfigErrors, FileStructureProblems) {
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "duplicate_key"); }),
              HasSubstr(errors_file("duplicate_key.yaml") + ":3:3: duplicate key 'port'"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "two_self"); }), HasSubstr("_self_ appears more than once"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "malformed_entry"); }),
              HasSubstr(":2:5: malformed defaults entry '- mandatory db: mysql': unknown keyword 'mandatory'"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "not_a_mapping"); }),
              HasSubstr("a config file must hold a mapping"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "cycle_a"); }),
              HasSubstr("the defaults lists include each other: cycle_a -> cycle_b -> cycle_a"));
}

TEST(ConfigErrors, GroupChosenTwice) {
  const std::string message = config_error([] { compose_tree("errors", {}, "chosen_twice"); });
  EXPECT_THAT(message, HasSubstr("config group 'db' is also chosen by"));
  EXPECT_THAT(message, HasSubstr("'- override db: "));
}

TEST(ConfigErrors, MissingPrimaryConfigAndFolder) {
  EXPECT_THAT(config_error([] { compose_tree("errors", {}, "nope"); }),
              HasSubstr("primary config 'nope' not found: no file " + errors_file("nope.yaml")));
  EXPECT_THAT(config_error([] { compose_tree("no_such_tree"); }), HasSubstr("config folder"));
}

TEST(ConfigErrors, OverrideOfAMissingKeySuggestsPlus) {
  const std::string message = config_error([] { compose_tree("errors", {"app.prot=1"}); });
  EXPECT_THAT(message, HasSubstr("command-line override 'app.prot=1': key 'app.prot' is not in the config"));
  EXPECT_THAT(message, HasSubstr("did you mean 'app.port'?"));
  EXPECT_THAT(message, HasSubstr("to add it use '+app.prot=1'"));
}

TEST(ConfigErrors, GroupOverrideNotInTheDefaultsSuggestsPlus) {
  const std::string message = config_error([] { compose_tree("basic", {"extras=logging"}); });
  EXPECT_THAT(message, HasSubstr("command-line override 'extras=logging': config group 'extras' is not in the "
                                 "defaults list; to add it use '+extras=logging'"));
}

TEST(ConfigErrors, AddingAnExistingKeyNamesWhereItWasSet) {
  const std::string message = config_error([] { compose_tree("errors", {"+app.port=1"}); });
  EXPECT_THAT(message, HasSubstr("key 'app.port' already exists (set at " + errors_file("config.yaml") + ":6:3)"));
  EXPECT_THAT(message, HasSubstr("use 'app.port=1' or '++app.port=1'"));
}

TEST(ConfigErrors, MalformedOverridesShowWhatWasExpected) {
  const std::string message = config_error([] { compose_tree("errors", {"app.port"}); });
  EXPECT_THAT(message, HasSubstr("malformed override 'app.port': no '=' after the key"));
  EXPECT_THAT(message, HasSubstr("expected key=value, +key=value, ++key=value, ~key or ~key=value"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {"=3"}); }), HasSubstr("the key is empty"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {"app..port=3"}); }), HasSubstr("has an empty segment"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {"app port=3"}); }),
              HasSubstr("character ' ' is not allowed in a key"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {"app.port=[1,2"}); }),
              HasSubstr("value '[1,2' is not valid YAML (expected a flow list like [1, 2])"));
  EXPECT_THAT(config_error([] { compose_tree("errors", {"app={port:1}"}); }),
              HasSubstr("write 'key: value' with a space after ':'"));
}

TEST(ConfigErrors, SweepsAreRefusedOutsideAMultirun) {
  const std::string message = config_error([] { compose_tree("errors", {"app.port=1,2"}); });
  EXPECT_THAT(message, HasSubstr("has several values"));
  EXPECT_THAT(message, HasSubstr("'app.port=[1,2]'"));
  EXPECT_THAT(message, HasSubstr("multirun"));
}

TEST(ConfigErrors, LookupOfAMissingKeyNamesTheParentOrigin) {
  const ComposedConfig config = compose_tree("errors");
  const std::string message = config_error([&] { config.at("app.nmae"); });
  EXPECT_THAT(message, HasSubstr("config key 'app.nmae' does not exist; did you mean 'app.name'?"));
  EXPECT_THAT(message, HasSubstr("('app' is set at " + errors_file("config.yaml") + ":5:1)"));
}

}  // namespace
}  // namespace specrouter
