// Core-schema typing of scalars and type-preserving YAML output.
#include "config_test_util.h"

namespace specrouter {
namespace {

YamlType type_of_text(const std::string& yaml) { return yaml_type(YAML::Load(yaml)); }

TEST(YamlValue, PlainScalarsFollowTheCoreSchema) {
  EXPECT_EQ(type_of_text("42"), YamlType::kInt);
  EXPECT_EQ(type_of_text("-7"), YamlType::kInt);
  EXPECT_EQ(type_of_text("0x1F"), YamlType::kInt);
  EXPECT_EQ(type_of_text("0o17"), YamlType::kInt);
  EXPECT_EQ(type_of_text("1.5"), YamlType::kFloat);
  EXPECT_EQ(type_of_text("1e-3"), YamlType::kFloat);
  EXPECT_EQ(type_of_text(".5"), YamlType::kFloat);
  EXPECT_EQ(type_of_text("-.inf"), YamlType::kFloat);
  EXPECT_EQ(type_of_text(".nan"), YamlType::kFloat);
  EXPECT_EQ(type_of_text("true"), YamlType::kBool);
  EXPECT_EQ(type_of_text("False"), YamlType::kBool);
  EXPECT_EQ(type_of_text("null"), YamlType::kNull);
  EXPECT_EQ(type_of_text("~"), YamlType::kNull);
  EXPECT_EQ(type_of_text("yes"), YamlType::kString);
  EXPECT_EQ(type_of_text("1.2.3"), YamlType::kString);
  EXPECT_EQ(type_of_text("'42'"), YamlType::kString);
  EXPECT_EQ(type_of_text("\"true\""), YamlType::kString);
  EXPECT_EQ(type_of_text("!!str 42"), YamlType::kString);
  EXPECT_EQ(type_of_text("[1]"), YamlType::kSequence);
  EXPECT_EQ(type_of_text("{a: 1}"), YamlType::kMapping);
  EXPECT_EQ(yaml_type(YAML::Node()), YamlType::kNull);
  EXPECT_EQ(yaml_type(YAML::Node(YAML::NodeType::Undefined)), YamlType::kUndefined);
}

TEST(YamlValue, Conversions) {
  EXPECT_EQ(yaml_to_int(YAML::Load("0x10")), 16);
  EXPECT_EQ(yaml_to_int(YAML::Load("-9223372036854775808")), INT64_MIN);
  EXPECT_THROW(yaml_to_int(YAML::Load("9223372036854775808")), ConfigError);
  EXPECT_DOUBLE_EQ(yaml_to_float(YAML::Load("+2.5e1")), 25.0);
  EXPECT_DOUBLE_EQ(yaml_to_float(YAML::Load("3")), 3.0);
  EXPECT_TRUE(std::isinf(yaml_to_float(YAML::Load("-.inf"))));
  EXPECT_TRUE(std::isnan(yaml_to_float(YAML::Load(".NaN"))));
  EXPECT_TRUE(yaml_to_bool(YAML::Load("TRUE")));
  EXPECT_FALSE(yaml_to_bool(YAML::Load("false")));
}

TEST(YamlValue, WritingKeepsTypes) {
  YAML::Node node(YAML::NodeType::Map);
  node["number_text"] = make_string_node("8080");
  node["bool_text"] = make_string_node("true");
  node["empty"] = make_string_node("");
  node["number"] = make_plain_node("8080");
  node["nothing"] = make_plain_node("null");
  node["list"] = YAML::Load("[1, '2', x]");
  const std::string text = to_yaml_string(node);
  const YAML::Node back = YAML::Load(text);
  EXPECT_EQ(yaml_type(back["number_text"]), YamlType::kString) << text;
  EXPECT_EQ(yaml_type(back["bool_text"]), YamlType::kString);
  EXPECT_EQ(yaml_type(back["empty"]), YamlType::kString);
  EXPECT_EQ(yaml_type(back["number"]), YamlType::kInt);
  EXPECT_EQ(yaml_type(back["nothing"]), YamlType::kNull);
  EXPECT_EQ(yaml_type(back["list"][1]), YamlType::kString);
  EXPECT_NE(text.find("list: [1, \"2\", x]"), std::string::npos) << text;
  EXPECT_EQ(to_flow_yaml(YAML::Load("{a: [1, 2], b: {c: x}}")), "{a: [1, 2], b: {c: x}}");
  EXPECT_EQ(describe_value(make_string_node("7")), "string \"7\"");
  EXPECT_EQ(describe_value(make_plain_node("7")), "int 7");
}

}  // namespace
}  // namespace specrouter
