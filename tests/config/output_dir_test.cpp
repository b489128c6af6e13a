// Run folders: where they go, and the composed config and overrides saved in them.
#include <fstream>
#include <sstream>

#include "config_test_util.h"

namespace specrouter {
namespace {

namespace fs = std::filesystem;
using testing::data_dir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OutputDir : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    base_ = fs::path(SPECROUTER_BINARY_DIR) / "test_output" / "config" / info->name();
    testing::remove_tree(base_);
    fs::create_directories(base_);
    cwd_ = fs::current_path();
  }
  void TearDown() override {
    EXPECT_EQ(fs::current_path(), cwd_) << "the working directory changed";
    testing::remove_tree(base_);
  }

  ComposedConfig compose_basic(std::vector<std::string> overrides) const {
    ComposeRequest request;
    request.config_dir = data_dir("basic");
    request.overrides = std::move(overrides);
    request.now = now_;
    return compose(request);
  }

  fs::path base_;
  fs::path cwd_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::from_time_t(1715000000);
};

TEST_F(OutputDir, SingleRunUsesTheDatedDefault) {
  const ComposedConfig config = compose_basic({"db=postgres", "app.port=9000"});
  const fs::path dir = prepare_output_dir(config, {base_, std::nullopt});
  EXPECT_EQ(dir, base_ / "results" / "2024-05-06" / "12-53-20");
  ASSERT_TRUE(fs::is_regular_file(dir / ".specrouter" / "config.yaml"));
  ASSERT_TRUE(fs::is_regular_file(dir / ".specrouter" / "overrides.yaml"));

  const YAML::Node saved = YAML::LoadFile((dir / ".specrouter" / "config.yaml").string());
  EXPECT_EQ(saved["db"]["driver"].as<std::string>(), "postgres");
  EXPECT_EQ(saved["app"]["port"].as<int>(), 9000);
  EXPECT_EQ(read_file(dir / ".specrouter" / "config.yaml"), config.to_yaml());

  const YAML::Node overrides = YAML::LoadFile((dir / ".specrouter" / "overrides.yaml").string());
  ASSERT_TRUE(overrides.IsSequence());
  EXPECT_EQ(overrides.size(), 2u);
  EXPECT_EQ(overrides[0].as<std::string>(), "db=postgres");
  EXPECT_EQ(overrides[1].as<std::string>(), "app.port=9000");
  EXPECT_FALSE(fs::exists(dir / ".specrouter" / "config.yaml.tmp"));
}

TEST_F(OutputDir, ConfiguredFolderWithInterpolation) {
  const ComposedConfig config = compose_basic({"+run.output_dir=out/${app.name}_${now:%H%M}"});
  EXPECT_EQ(output_dir_of(config, {base_, std::nullopt}), base_ / "out" / "demo_1253");
  const fs::path absolute = base_ / "elsewhere";
  const ComposedConfig pinned = compose_basic({"+run.output_dir=" + absolute.string()});
  EXPECT_EQ(prepare_output_dir(pinned, {fs::path("/ignored/for/absolute"), std::nullopt}), absolute);
  EXPECT_TRUE(fs::exists(absolute / ".specrouter" / "config.yaml"));
}

TEST_F(OutputDir, EmptyOverrideListIsAnEmptyYamlList) {
  const fs::path dir = prepare_output_dir(compose_basic({}), {base_, std::nullopt});
  const YAML::Node overrides = YAML::LoadFile((dir / ".specrouter" / "overrides.yaml").string());
  EXPECT_TRUE(overrides.IsSequence());
  EXPECT_EQ(overrides.size(), 0u);
}

TEST_F(OutputDir, MultirunGivesOneFolderPerJob) {
  const std::vector<Job> jobs = expand_multirun({"db=mysql,postgres", "app.port=1,2,3", "+note='a,b'"});
  ASSERT_EQ(jobs.size(), 6u);
  std::vector<std::string> folders;
  for (const Job& job : jobs) {
    const fs::path dir = prepare_output_dir(compose_basic(job.overrides), {base_, job.number});
    folders.push_back(dir.lexically_relative(base_).generic_string());
    const YAML::Node saved = YAML::LoadFile((dir / ".specrouter" / "config.yaml").string());
    EXPECT_EQ(saved["db"]["driver"].as<std::string>(), job.number < 3 ? "mysql" : "postgres");
    EXPECT_EQ(saved["app"]["port"].as<int>(), static_cast<int>(job.number % 3) + 1);
    EXPECT_EQ(saved["note"].as<std::string>(), "a,b");
    const YAML::Node overrides = YAML::LoadFile((dir / ".specrouter" / "overrides.yaml").string());
    ASSERT_EQ(overrides.size(), 3u);
    EXPECT_EQ(overrides[2].as<std::string>(), "+note='a,b'");
  }
  const std::string sweep = "results/multirun/2024-05-06/12-53-20/";
  EXPECT_THAT(folders, ElementsAre(sweep + "0", sweep + "1", sweep + "2", sweep + "3", sweep + "4", sweep + "5"));
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(base_ / sweep)) count += entry.is_directory();
  EXPECT_EQ(count, 6u);
}

TEST_F(OutputDir, ConfiguredSweepFolder) {
  const ComposedConfig config = compose_basic({"+run.sweep_dir=sweeps/${db.driver}"});
  EXPECT_EQ(output_dir_of(config, {base_, 4}), base_ / "sweeps" / "mysql" / "4");
}

TEST_F(OutputDir, NonStringFolderIsAnError) {
  const ComposedConfig config = compose_basic({"+run.output_dir={a: 1}"});
  const std::string message = testing::config_error([&] { output_dir_of(config, {base_, std::nullopt}); });
  EXPECT_THAT(message, HasSubstr("key 'run.output_dir' (set at command-line override '+run.output_dir={a: 1}')"));
  EXPECT_THAT(message, HasSubstr("must be a non-empty string"));
}

}  // namespace
}  // namespace specrouter
