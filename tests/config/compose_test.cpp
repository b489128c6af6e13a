// Composition: defaults lists, _self_ position, group choices, packages, nested groups,
// optional and null entries, and `override` entries in configs.
#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::compose_tree;
using testing::config_error;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::text_at;

std::vector<std::string> source_names(const ComposedConfig& config) {
  std::vector<std::string> names;
  for (const ConfigSource& source : config.sources()) names.push_back(source.name + "@" + source.package);
  return names;
}

TEST(Compose, GroupsThenSelfLetsThePrimaryWin) {
  const ComposedConfig config = compose_tree("basic");
  EXPECT_EQ(text_at(config, "db.driver"), "mysql");
  EXPECT_EQ(text_at(config, "db.timeout"), "5");  // config.yaml (self, last) beats db/mysql.yaml's 10
  EXPECT_EQ(text_at(config, "server.name"), "apache");
  EXPECT_EQ(text_at(config, "app.port"), "8080");
  EXPECT_THAT(source_names(config), ElementsAre("db/mysql@db", "server/apache@server", "config@"));
}

TEST(Compose, SelfFirstLetsTheGroupsWin) {
  const ComposedConfig config = compose_tree("basic", {}, "self_first");
  EXPECT_EQ(text_at(config, "db.timeout"), "10");
  EXPECT_THAT(source_names(config), ElementsAre("self_first@", "db/mysql@db"));
}

TEST(Compose, MissingSelfIsAppendedLast) {
  const ComposedConfig config = compose_tree("basic", {}, "self_absent");
  EXPECT_EQ(text_at(config, "db.timeout"), "5");
  EXPECT_THAT(source_names(config), ElementsAre("db/mysql@db", "self_absent@"));
}

TEST(Compose, KeyOrderFollowsFirstAppearance) {
  const ComposedConfig config = compose_tree("basic");
  std::vector<std::string> keys;
  for (const auto& item : config.root()) keys.push_back(item.first.Scalar());
  EXPECT_THAT(keys, ElementsAre("db", "server", "app"));
}

TEST(Compose, GroupOverrideChangesTheChoice) {
  const ComposedConfig config = compose_tree("basic", {"db=postgres", "server=nginx"});
  EXPECT_EQ(text_at(config, "db.driver"), "postgres");
  EXPECT_EQ(text_at(config, "db.port"), "5432");
  EXPECT_EQ(text_at(config, "db.timeout"), "5");  // still overridden by the primary's own value
  EXPECT_EQ(text_at(config, "server.threads"), "8");
  EXPECT_EQ(config.choices().at("db"), "postgres");
  EXPECT_EQ(config.choices().at("server"), "nginx");
}

TEST(Compose, LaterGroupOverrideOfTheSameGroupWins) {
  const ComposedConfig config = compose_tree("basic", {"db=postgres", "db=mysql"});
  EXPECT_EQ(text_at(config, "db.driver"), "mysql");
}

TEST(Compose, GroupSetToNullSelectsNothing) {
  const ComposedConfig config = compose_tree("basic", {"server=null"});
  // Only the primary's own keys remain under names the server group would have set.
  EXPECT_FALSE(config.has("server"));
  EXPECT_FALSE(config.choices().at("server").has_value());
}

TEST(Compose, DeletingAGroupRemovesItFromTheDefaults) {
  const ComposedConfig config = compose_tree("basic", {"~server"});
  EXPECT_FALSE(config.has("server"));
  EXPECT_EQ(config.choices().count("server"), 0u);
  const ComposedConfig only_if = compose_tree("basic", {"~db=mysql"});
  EXPECT_FALSE(only_if.has("db.driver"));
  EXPECT_EQ(text_at(only_if, "db.timeout"), "5");  // the primary's own db.timeout stays
}

TEST(Compose, AppendingAGroupFromTheCommandLine) {
  const ComposedConfig config = compose_tree("basic", {"+extras=logging"});
  EXPECT_EQ(text_at(config, "extras.level"), "debug");
  EXPECT_EQ(text_at(config, "extras.app.port"), "9090");
  EXPECT_EQ(text_at(config, "app.port"), "8080");
  EXPECT_THAT(source_names(config),
              ElementsAre("db/mysql@db", "server/apache@server", "config@", "extras/logging@extras"));
  // A group already in the list (even as a null placeholder) is changed, not appended.
  const std::string message = config_error([] { compose_tree("experiment", {"+cache=redis"}); });
  EXPECT_THAT(message, HasSubstr("command-line override '+cache=redis': config group 'cache' is already in the "
                                 "defaults list"));
  EXPECT_THAT(message, HasSubstr("use 'cache=redis'"));
}

TEST(Compose, ForceAddChoosesOrAppends) {
  const ComposedConfig chosen = compose_tree("basic", {"++db=postgres"});
  EXPECT_EQ(text_at(chosen, "db.driver"), "postgres");
  const ComposedConfig appended = compose_tree("experiment", {"++experiment=fast"});
  EXPECT_EQ(text_at(appended, "trainer.steps"), "10");
}

TEST(Compose, PackagesFromEntriesAndHeaders) {
  const ComposedConfig config = compose_tree("packages");
  EXPECT_EQ(text_at(config, "backup.driver"), "mysql");        // - db@backup: mysql
  EXPECT_EQ(text_at(config, "db.driver"), "postgres");         // default package
  EXPECT_EQ(text_at(config, "cache_host"), "redis.local");     // # @package _global_
  EXPECT_EQ(text_at(config, "logging.sink.kind"), "console");  // # @package _group_.sink
  EXPECT_EQ(text_at(config, "models.target.name"), "llama");   // # @package models.target
  EXPECT_FALSE(config.has("cache"));
  EXPECT_FALSE(config.has("model"));
  EXPECT_EQ(config.choices().at("db@backup"), "mysql");
  EXPECT_EQ(config.choices().at("db"), "postgres");
}

TEST(Compose, OverrideOfAGroupAtAPackage) {
  const ComposedConfig config = compose_tree("packages", {"db@backup=postgres"});
  EXPECT_EQ(text_at(config, "backup.driver"), "postgres");
  EXPECT_EQ(text_at(config, "db.driver"), "postgres");
  const std::string message = config_error([] { compose_tree("packages", {"db@elsewhere=mysql"}); });
  EXPECT_THAT(message, HasSubstr("'db@elsewhere' is not in the defaults list"));
  EXPECT_THAT(message, HasSubstr("did you mean one of db, db@backup?"));
}

TEST(Compose, NestedGroupsAndConfigEntries) {
  const ComposedConfig config = compose_tree("nested");
  EXPECT_EQ(text_at(config, "server.name"), "apache");
  EXPECT_EQ(text_at(config, "server.db.name"), "mysql");   // apache.yaml's `- db: mysql` is server/db
  EXPECT_EQ(text_at(config, "db.engine.kind"), "innodb");  // `- db/engine: innodb`
  EXPECT_EQ(text_at(config, "shared.level"), "info");      // `- shared/logging`
  EXPECT_EQ(config.choices().at("server/db"), "mysql");
  EXPECT_EQ(config.choices().at("db/engine"), "innodb");
}

TEST(Compose, OverridingNestedGroups) {
  const ComposedConfig config = compose_tree("nested", {"server/db=sqlite", "db/engine=myisam"});
  EXPECT_EQ(text_at(config, "server.db.name"), "sqlite");
  EXPECT_EQ(text_at(config, "db.engine.kind"), "myisam");
  // Choosing a server without its own defaults drops the nested choice, so an override
  // of it no longer matches anything.
  const ComposedConfig nginx = compose_tree("nested", {"server=nginx"});
  EXPECT_FALSE(nginx.has("server.db"));
  EXPECT_THAT(config_error([] {
                compose_tree("nested", {"server=nginx", "server/db=sqlite"});
              }),
              HasSubstr("'server/db' is not in the defaults list"));
}

TEST(Compose, OptionalEntriesAreSkippedWhenMissing) {
  const ComposedConfig config = compose_tree("experiment");
  EXPECT_EQ(text_at(config, "extras.enabled"), "true");
  EXPECT_FALSE(config.has("local"));
  EXPECT_FALSE(config.has("plugins"));
  EXPECT_FALSE(config.has("cache"));  // cache: null
  EXPECT_EQ(config.choices().at("extras"), "present");
  EXPECT_FALSE(config.choices().at("cache").has_value());
}

TEST(Compose, NullEntryIsAPlaceholderForAChoice) {
  const ComposedConfig config = compose_tree("experiment", {"cache=redis"});
  EXPECT_EQ(text_at(config, "cache.host"), "redis");
}

TEST(Compose, OverrideEntryInAnExperimentChangesAChoiceMadeElsewhere) {
  const ComposedConfig plain = compose_tree("experiment");
  EXPECT_EQ(text_at(plain, "db.driver"), "mysql");
  EXPECT_EQ(text_at(plain, "trainer.steps"), "100");
  const ComposedConfig fast = compose_tree("experiment", {"+experiment=fast"});
  EXPECT_EQ(text_at(fast, "db.driver"), "postgres");
  EXPECT_EQ(text_at(fast, "trainer.steps"), "10");  // the experiment merges after the primary
  EXPECT_EQ(fast.choices().at("db"), "postgres");
  EXPECT_FALSE(fast.has("experiment"));  // # @package _global_
  // An override of a null choice fills it.
  EXPECT_EQ(text_at(compose_tree("experiment", {"+experiment=with_cache"}), "cache.host"), "redis");
}

TEST(Compose, CommandLineBeatsOverridesInConfigs) {
  const ComposedConfig config = compose_tree("experiment", {"+experiment=fast", "db=mysql"});
  EXPECT_EQ(text_at(config, "db.driver"), "mysql");
}

TEST(Compose, OverrideEntriesMustComeLast) {
  const std::string message = config_error([] { compose_tree("experiment", {"+experiment=bad_order"}); });
  EXPECT_THAT(message, HasSubstr("bad_order.yaml:4:5: defaults entry '- /cache: redis'"));
  EXPECT_THAT(message, HasSubstr("overrides must come last"));
}

TEST(Compose, OverrideEntryWithoutTargetIsAnError) {
  const std::string message = config_error([] { compose_tree("experiment", {"+experiment=orphan"}); });
  EXPECT_THAT(message, HasSubstr("orphan.yaml:3:5: defaults entry '- override /server: big'"));
  EXPECT_THAT(message, HasSubstr("chooses 'server'"));
}

TEST(Compose, ValueOverridesApplyAfterComposition) {
  const ComposedConfig config = compose_tree("basic", {"db=postgres", "db.port=6000"});
  EXPECT_EQ(text_at(config, "db.port"), "6000");
}

}  // namespace
}  // namespace specrouter
