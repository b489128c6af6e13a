// Declared parameters, Params, and the "did you mean" ranking.
#include "specrouter/plugin/params.h"

#include "config_test_util.h"
#include "specrouter/plugin/registry.h"

namespace specrouter {
namespace {

using testing::config_error;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<ParamSpec> ngram_specs() {
  return {int_param("max_ngram", 3, "longest n-gram matched"),
          float_param("temperature", 0.0, "sampling temperature"),
          bool_param("greedy", true, "argmax instead of sampling"),
          string_param("mode", "prompt", "where to look"),
          int_list_param("sizes", {1, 2}, "draft sizes"),
          float_list_param("weights", {0.5}, "weights"),
          string_list_param("stop", {}, "stop strings"),
          required_param("window", ParamType::kInt, "tokens to search")};
}

TEST(ParamTypes, NamesAndRendering) {
  EXPECT_STREQ(to_string(ParamType::kInt), "int");
  EXPECT_STREQ(to_string(ParamType::kFloatList), "list[float]");
  EXPECT_STREQ(to_string(ParamType::kStringList), "list[string]");
  EXPECT_EQ(to_string(ParamValue{true}), "true");
  EXPECT_EQ(to_string(ParamValue{std::int64_t{-3}}), "-3");
  EXPECT_EQ(to_string(ParamValue{2.0}), "2.0");
  EXPECT_EQ(to_string(ParamValue{0.1}), "0.1");
  EXPECT_EQ(to_string(ParamValue{std::string("abc")}), "abc");
  EXPECT_EQ(to_string(ParamValue{std::string("12")}), "\"12\"");  // reads back as a string
  EXPECT_EQ(to_string(ParamValue{std::vector<std::int64_t>{1, 2}}), "[1, 2]");
  EXPECT_EQ(to_string(ParamValue{std::vector<double>{1, 0.5}}), "[1.0, 0.5]");
  EXPECT_EQ(to_string(ParamValue{std::vector<std::string>{"a", "true"}}), "[a, \"true\"]");
  EXPECT_EQ(type_of(ParamValue{std::vector<double>{}}), ParamType::kFloatList);
  EXPECT_EQ(type_of(ParamValue{std::string()}), ParamType::kString);
}

TEST(ParamSpecs, ShorthandsFillEveryField) {
  const ParamSpec spec = int_param("k", 4, "doc");
  EXPECT_EQ(spec.name, "k");
  EXPECT_EQ(spec.type, ParamType::kInt);
  EXPECT_EQ(std::get<std::int64_t>(*spec.default_value), 4);
  EXPECT_EQ(spec.doc, "doc");
  EXPECT_FALSE(spec.required());
  EXPECT_TRUE(required_param("k", ParamType::kString, "").required());
}

TEST(Params, FromSpecsFillsDefaultsAndCoercesInts) {
  const Params params = Params::from_specs("drafter 'ngram'", ngram_specs(),
                                           {{"window", std::int64_t{64}}, {"temperature", std::int64_t{1}}});
  EXPECT_EQ(params.get<std::int64_t>("window"), 64);
  EXPECT_EQ(params.get<std::int64_t>("max_ngram"), 3);
  EXPECT_DOUBLE_EQ(params.get<double>("temperature"), 1.0);
  EXPECT_TRUE(params.get<bool>("greedy"));
  EXPECT_EQ(params.get<std::string>("mode"), "prompt");
  EXPECT_THAT(params.get<std::vector<std::int64_t>>("sizes"), ElementsAre(1, 2));
  EXPECT_THAT(params.get<std::vector<std::string>>("stop"), IsEmpty());
  EXPECT_EQ(params.values().size(), 8u);
  EXPECT_EQ(params.owner(), "drafter 'ngram'");
  EXPECT_TRUE(params.has("mode"));
  EXPECT_FALSE(params.has("nope"));
}

TEST(Params, FromSpecsErrors) {
  EXPECT_THAT(config_error([] { Params::from_specs("drafter 'ngram'", ngram_specs(), {}); }),
              HasSubstr("drafter 'ngram': missing required parameter 'window' (int: tokens to search)"));
  EXPECT_THAT(config_error([] {
                Params::from_specs("drafter 'ngram'", ngram_specs(),
                                   {{"window", std::int64_t{1}}, {"max_ngarm", std::int64_t{2}}});
              }),
              HasSubstr("unknown parameter 'max_ngarm'; did you mean 'max_ngram'?"));
  EXPECT_THAT(config_error([] {
                Params::from_specs("drafter 'ngram'", ngram_specs(), {{"window", std::string("wide")}});
              }),
              HasSubstr("parameter 'window' expects int, got string wide"));
  EXPECT_THAT(config_error([] {
                ParamSpec bad = int_param("k", 1, "");
                bad.default_value = std::string("x");
                Params::from_specs("scheduler 's'", {bad});
              }),
              HasSubstr("the default of parameter 'k' is string x but the parameter is declared int"));
}

TEST(Params, GetErrorsNameOwnerAndKey) {
  const Params params("verifier 'typical'", {{"threshold", 0.3}});
  EXPECT_THAT(config_error([&] { params.get<double>("treshold"); }),
              HasSubstr("verifier 'typical': no parameter 'treshold'; did you mean 'threshold'?"));
  EXPECT_THAT(config_error([&] { params.get<std::int64_t>("threshold"); }),
              HasSubstr("verifier 'typical': parameter 'threshold' holds float 0.3; read it as double"));
}

TEST(NearestNames, RanksCloseNamesAndDropsFarOnes) {
  const std::vector<std::string> names = {"max_ngram", "temperature", "top_k", "top_p", "window", "seed"};
  EXPECT_THAT(nearest_names("max_ngarm", names), ElementsAre("max_ngram"));  // a swap costs 1
  EXPECT_THAT(nearest_names("temprature", names), ElementsAre("temperature"));
  EXPECT_THAT(nearest_names("top_q", names), ElementsAre("top_k", "top_p"));
  EXPECT_THAT(nearest_names("TOP_K", names), ElementsAre("top_k", "top_p"));
  EXPECT_THAT(nearest_names("speed", names), ElementsAre("seed"));
  EXPECT_THAT(nearest_names("batch_size", names), IsEmpty());
  EXPECT_THAT(nearest_names("x", names), IsEmpty());
  EXPECT_THAT(nearest_names("top", names, 1), ElementsAre("top_k"));
  EXPECT_THAT(nearest_names("a", {}), IsEmpty());
}

}  // namespace
}  // namespace specrouter
