// The override grammar and every override form applied to a composed config, with the
// YAML typing of values.
#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::compose_tree;
using testing::config_error;
using testing::data_dir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::text_at;

TEST(ParseOverride, PrefixesKeysPackagesAndValues) {
  const Override set = parse_override("db.port=3307");
  EXPECT_EQ(set.kind, Override::Kind::kSet);
  EXPECT_EQ(set.key, "db.port");
  EXPECT_EQ(set.value, "3307");
  EXPECT_EQ(parse_override("+a.b=1").kind, Override::Kind::kAdd);
  EXPECT_EQ(parse_override("++a.b=1").kind, Override::Kind::kForceAdd);
  const Override remove = parse_override("~a.b");
  EXPECT_EQ(remove.kind, Override::Kind::kDelete);
  EXPECT_FALSE(remove.value.has_value());
  EXPECT_EQ(parse_override("~a.b=3").value, "3");
  const Override packaged = parse_override("db@backup=mysql");
  EXPECT_EQ(packaged.key, "db");
  EXPECT_EQ(packaged.package, "backup");
  EXPECT_EQ(packaged.key_with_package(), "db@backup");
  EXPECT_EQ(parse_override("server/db=sqlite").key, "server/db");
  EXPECT_EQ(parse_override("list[0]=1").key, "list[0]");
  // Only the first '=' separates; the value keeps the rest.
  EXPECT_EQ(parse_override("expr=a=b").value, "a=b");
  EXPECT_EQ(parse_override("empty=").value, "");
}

TEST(ParseOverride, MalformedOverridesAreRejected) {
  for (const char* bad :
       {"", "key", "+key", "=1", "a b=1", "a..b=1", ".a=1", "db@=x", "+~a=1", "db/=x", "/db=x", "a//b=1"}) {
    const std::string message = config_error([&] { parse_override(bad); });
    EXPECT_THAT(message, HasSubstr("malformed override '" + std::string(bad) + "'"));
    EXPECT_THAT(message, HasSubstr("expected key=value, +key=value, ++key=value, ~key or ~key=value"));
  }
}

TEST(ParseOverride, SweepDetectionIgnoresQuotedAndNestedCommas) {
  EXPECT_TRUE(parse_override("a=1,2").is_sweep());
  EXPECT_TRUE(parse_override("a=range(1,3)").is_sweep());
  EXPECT_TRUE(parse_override("a=choice(x,y)").is_sweep());
  EXPECT_FALSE(parse_override("a='1,2'").is_sweep());
  EXPECT_FALSE(parse_override("a=\"1,2\"").is_sweep());
  EXPECT_FALSE(parse_override("a=[1,2]").is_sweep());
  EXPECT_FALSE(parse_override("a={x: 1, y: 2}").is_sweep());
  EXPECT_FALSE(parse_override("a=${oc.env:HOME,/tmp}").is_sweep());
  EXPECT_FALSE(parse_override("~a=1,2").is_sweep());
  EXPECT_THAT(split_top_level("'a,b', [1, 2] ,x"), ElementsAre("'a,b'", "[1, 2]", "x"));
}

TEST(ApplyOverride, SetReplacesAnExistingValue) {
  const ComposedConfig config = compose_tree("basic", {"app.port=9000", "app.tags=[slow]"});
  EXPECT_EQ(text_at(config, "app.port"), "9000");
  ASSERT_TRUE(config.at("app.tags").IsSequence());
  EXPECT_EQ(config.at("app.tags").size(), 1u);
  EXPECT_EQ(text_at(config, "app.tags[0]"), "slow");
}

TEST(ApplyOverride, SetOfAListElement) {
  const ComposedConfig config = compose_tree("basic", {"app.tags[1]=large"});
  EXPECT_EQ(text_at(config, "app.tags[0]"), "fast");
  EXPECT_EQ(text_at(config, "app.tags[1]"), "large");
}

TEST(ApplyOverride, SetWithAMappingMerges) {
  const ComposedConfig config = compose_tree("basic", {"db={port: 1, user: me}"});
  EXPECT_EQ(text_at(config, "db.port"), "1");
  EXPECT_EQ(text_at(config, "db.user"), "me");
  EXPECT_EQ(text_at(config, "db.driver"), "mysql");
}

TEST(ApplyOverride, AddCreatesNewKeysAndTheirParents) {
  const ComposedConfig config = compose_tree("basic", {"+app.limits.memory=4G", "+seed=7"});
  EXPECT_EQ(text_at(config, "app.limits.memory"), "4G");
  EXPECT_EQ(text_at(config, "seed"), "7");
}

TEST(ApplyOverride, AddRefusesToGoThroughAScalar) {
  const std::string message = config_error([] { compose_tree("basic", {"+app.port.x=1"}); });
  EXPECT_THAT(message, HasSubstr("'app.port' is int 8080 (set at "));
  EXPECT_THAT(message, HasSubstr("not a mapping"));
}

TEST(ApplyOverride, ForceAddSetsOrAdds) {
  const ComposedConfig config = compose_tree("basic", {"++app.port=1", "++app.debug=true"});
  EXPECT_EQ(text_at(config, "app.port"), "1");
  EXPECT_EQ(text_at(config, "app.debug"), "true");
}

TEST(ApplyOverride, DeleteRemovesAKey) {
  const ComposedConfig config = compose_tree("basic", {"~app.port", "~db"});
  EXPECT_FALSE(config.has("app.port"));
  EXPECT_TRUE(config.has("app.name"));
  // `db` is a group: ~db drops it from the defaults; the primary's db.timeout stays.
  EXPECT_FALSE(config.has("db.driver"));
  EXPECT_TRUE(config.has("db.timeout"));
  const ComposedConfig shorter = compose_tree("basic", {"~app.tags[0]"});
  ASSERT_EQ(shorter.at("app.tags").size(), 1u);
  EXPECT_EQ(text_at(shorter, "app.tags[0]"), "small");
}

TEST(ApplyOverride, DeleteWithAValueOnlyWhenEqual) {
  EXPECT_FALSE(compose_tree("basic", {"~app.port=8080"}).has("app.port"));
  EXPECT_FALSE(compose_tree("basic", {"~app.port=0x1F90"}).has("app.port"));  // same int
  const std::string message = config_error([] { compose_tree("basic", {"~app.port=8081"}); });
  EXPECT_THAT(message, HasSubstr("key 'app.port' is int 8080 (set at "));
  EXPECT_THAT(message, HasSubstr("not int 8081; nothing deleted"));
  EXPECT_THAT(config_error([] { compose_tree("basic", {"~app.port='8080'"}); }), HasSubstr("not string \"8080\""));
  EXPECT_THAT(config_error([] { compose_tree("basic", {"~app.nope"}); }),
              HasSubstr("key 'app.nope' is not in the config"));
  EXPECT_THAT(config_error([] { compose_tree("basic", {"~db=postgres"}); }),
              HasSubstr("the choice of 'db' is 'mysql', not 'postgres'"));
}

TEST(ApplyOverride, GroupSetToNullOnTheCommandLine) {
  EXPECT_FALSE(compose_tree("basic", {"db=null"}).has("db.driver"));
}

TEST(ApplyOverride, ValuesAreTypedAsYamlReadsThem) {
  const ComposedConfig config = compose_tree(
      "basic", {"+v.int=42", "+v.hex=0x2A", "+v.float=1e-3", "+v.bool=true", "+v.null=null", "+v.tilde=~",
                "+v.quoted='42'", "+v.dquoted=\"true\"", "+v.word=yes", "+v.list=[1, 2.5, x]", "+v.map={a: 1, b: [2]}",
                "+v.empty=", "+v.spaces=hello world", "+v.hash=a#b", "+v.commas='a,b'"});
  EXPECT_EQ(yaml_type(config.at("v.int")), YamlType::kInt);
  EXPECT_EQ(yaml_to_int(config.at("v.hex")), 42);
  EXPECT_EQ(yaml_type(config.at("v.float")), YamlType::kFloat);
  EXPECT_DOUBLE_EQ(yaml_to_float(config.at("v.float")), 1e-3);
  EXPECT_EQ(yaml_type(config.at("v.bool")), YamlType::kBool);
  EXPECT_EQ(yaml_type(config.at("v.null")), YamlType::kNull);
  EXPECT_EQ(yaml_type(config.at("v.tilde")), YamlType::kNull);
  EXPECT_EQ(yaml_type(config.at("v.quoted")), YamlType::kString);
  EXPECT_EQ(config.at("v.quoted").Scalar(), "42");
  EXPECT_EQ(yaml_type(config.at("v.dquoted")), YamlType::kString);
  EXPECT_EQ(yaml_type(config.at("v.word")), YamlType::kString);  // YAML 1.2: yes is a string
  ASSERT_EQ(yaml_type(config.at("v.list")), YamlType::kSequence);
  EXPECT_EQ(yaml_type(config.at("v.list[0]")), YamlType::kInt);
  EXPECT_EQ(yaml_type(config.at("v.list[1]")), YamlType::kFloat);
  EXPECT_EQ(yaml_type(config.at("v.list[2]")), YamlType::kString);
  EXPECT_EQ(yaml_type(config.at("v.map")), YamlType::kMapping);
  EXPECT_EQ(text_at(config, "v.map.b[0]"), "2");
  EXPECT_EQ(yaml_type(config.at("v.empty")), YamlType::kString);
  EXPECT_EQ(config.at("v.empty").Scalar(), "");
  EXPECT_EQ(text_at(config, "v.spaces"), "hello world");
  EXPECT_EQ(text_at(config, "v.hash"), "a#b");
  EXPECT_EQ(text_at(config, "v.commas"), "a,b");
  // The composed YAML keeps the types when read back.
  const YAML::Node reread = YAML::Load(config.to_yaml());
  EXPECT_EQ(yaml_type(reread["v"]["quoted"]), YamlType::kString);
  EXPECT_EQ(yaml_type(reread["v"]["dquoted"]), YamlType::kString);
  EXPECT_EQ(yaml_type(reread["v"]["empty"]), YamlType::kString);
  EXPECT_EQ(yaml_type(reread["v"]["int"]), YamlType::kInt);
  EXPECT_EQ(yaml_type(reread["v"]["null"]), YamlType::kNull);
}

TEST(ApplyOverride, OverridesApplyInOrder) {
  const ComposedConfig config = compose_tree("basic", {"app.port=1", "app.port=2", "~app.port", "+app.port=3"});
  EXPECT_EQ(text_at(config, "app.port"), "3");
}

TEST(ApplyOverride, ProvenanceRecordsTheCommandLine) {
  const ComposedConfig config = compose_tree("basic", {"app.port=9000", "+extra={a: 1}"});
  ASSERT_TRUE(config.origin("app.port").has_value());
  EXPECT_EQ(config.origin("app.port")->override_text, "app.port=9000");
  EXPECT_EQ(config.origin("extra.a")->describe(), "command-line override '+extra={a: 1}'");
  // Untouched keys keep their file origin.
  const Origin name = *config.origin("app.name");
  EXPECT_EQ(name.file, (data_dir("basic") / "config.yaml").string());
  EXPECT_EQ(name.line, 8);
  EXPECT_EQ(name.column, 3);
  // db.driver came from the group file, db.timeout from the primary.
  EXPECT_EQ(config.origin("db.driver")->file, (data_dir("basic") / "db" / "mysql.yaml").string());
  EXPECT_EQ(config.origin("db.timeout")->file, (data_dir("basic") / "config.yaml").string());
  EXPECT_EQ(config.origin("app.tags[1]")->line, 10);
}

}  // namespace
}  // namespace specrouter
