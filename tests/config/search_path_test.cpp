// The config search path (ComposeRequest::search_path): folders searched after the config
// folder for group options, as a plugin's configs/ beside its library is.
#include "config_test_util.h"

namespace specrouter::testing {
namespace {

ComposedConfig compose_with_search_path(std::vector<std::string> overrides, bool with_search_path = true) {
  ComposeRequest request;
  request.config_dir = data_dir("basic");
  request.overrides = std::move(overrides);
  if (with_search_path) request.search_path = {data_dir("search_path")};
  return compose(request);
}

TEST(ConfigSearchPath, AnOptionOfAFolderOnTheSearchPathIsSelectable) {
  const ComposedConfig config = compose_with_search_path({"db=sqlite"});
  EXPECT_EQ(config.at("db.driver").as<std::string>(), "sqlite");
  EXPECT_EQ(config.at("db.timeout").as<int>(), 5) << "the primary config's _self_ still wins";
  const std::optional<Origin> origin = config.origin("db.driver");
  ASSERT_TRUE(origin.has_value());
  EXPECT_THAT(origin->describe(), ::testing::HasSubstr("search_path/db/sqlite.yaml"));
}

TEST(ConfigSearchPath, TheConfigFolderWinsOverTheSearchPath) {
  EXPECT_EQ(compose_with_search_path({"db=mysql"}).at("db.driver").as<std::string>(), "mysql");
}

TEST(ConfigSearchPath, AGroupOnlyTheSearchPathHasCanBeAdded) {
  EXPECT_EQ(compose_with_search_path({"+cache=redis"}).at("cache.backend").as<std::string>(), "redis");
}

TEST(ConfigSearchPath, WithoutItTheOptionIsUnknownAndTheMessageListsTheOptions) {
  const std::string message = config_error([] { compose_with_search_path({"db=sqlite"}, false); });
  EXPECT_THAT(message, ::testing::HasSubstr("sqlite"));
  EXPECT_THAT(message, ::testing::HasSubstr("mysql"));
}

}  // namespace
}  // namespace specrouter::testing
