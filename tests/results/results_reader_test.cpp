// ResultsReader, the read side of docs/results-schema.md: what ResultsWriter wrote comes
// back with its types; missing objects, other formats and unfinished files are errors
// that name the file and the object.
#include "specrouter/results/results_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "results_test_support.h"
#include "specrouter/error.h"
#include "specrouter/results/results_writer.h"

namespace specrouter {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::ScratchDir;

StepRecord step(double time, const std::string& plan, std::int64_t committed) {
  StepRecord record;
  record.time_seconds = time;
  record.duration_seconds = 0.25;
  record.batch_size = 2;
  record.plan = plan;
  record.committed_tokens = committed;
  record.levels = {LevelRecord{-1, 0, "draft", 8, 5, 0.1}, LevelRecord{-1, 1, "target", 0, 0, 0.15}};
  return record;
}

void write_run(const std::filesystem::path& path, const Summary& summary, int steps) {
  ResultsWriterOptions options;
  options.chunk_rows = 2;  // several chunks, so reading crosses chunk boundaries
  ResultsWriter writer(path, testing::sample_metadata(), options);
  for (int i = 0; i < steps; ++i) writer.add_step(step(0.5 * i, i % 2 ? "target" : "draft:4>target", 1 + i));
  writer.finish(summary);
}

TEST(ResultsReaderTest, ReadsBackWhatTheWriterWrote) {
  ScratchDir dir;
  const Summary summary = {{"method", std::string("greedy +ngram")},
                           {"tokens_per_second", 123.25},
                           {"requests", std::int64_t{7}},
                           {"acceptance/draft", 0.625},
                           {"plans", std::string("draft:4>target 3; target 2")}};
  write_run(dir / "results.h5", summary, 5);

  const ResultsReader reader(dir / "results.h5");
  EXPECT_EQ(reader.format(), kResultsFormatName);
  EXPECT_EQ(reader.format_version(), kReadableResultsFormatVersion);
  EXPECT_NO_THROW(reader.check_format());
  ASSERT_TRUE(reader.has_summary());
  EXPECT_EQ(reader.summary(), summary);
  EXPECT_EQ(reader.metadata("host"), testing::sample_metadata().host);
  EXPECT_EQ(reader.metadata("config_yaml"), testing::sample_metadata().config_yaml);

  EXPECT_TRUE(reader.has_table("steps"));
  EXPECT_FALSE(reader.has_table("no_such_table"));
  EXPECT_EQ(reader.rows("steps"), 5);
  EXPECT_EQ(reader.rows("step_levels"), 10);
  EXPECT_EQ(reader.string_column("steps", "plan"),
            (std::vector<std::string>{"draft:4>target", "target", "draft:4>target", "target", "draft:4>target"}));
  EXPECT_EQ(reader.int64_column("steps", "committed_tokens"), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(reader.float64_column("steps", "time_seconds"), (std::vector<double>{0, 0.5, 1.0, 1.5, 2.0}));
  // Integers widen to reals on request; the other way round is refused.
  EXPECT_EQ(reader.float64_column("steps", "batch_size"), (std::vector<double>(5, 2.0)));
  EXPECT_THROW(reader.int64_column("steps", "time_seconds"), Error);
  EXPECT_EQ(reader.rows("requests"), 0);
  EXPECT_TRUE(reader.string_column("requests", "id").empty());
}

TEST(ResultsReaderTest, ListsEveryTableAndItsColumns) {
  ScratchDir dir;
  write_run(dir / "results.h5", {{"method", std::string("static")}}, 3);
  const ResultsReader reader(dir / "results.h5");
  const std::vector<std::string> tables = reader.tables();
  EXPECT_TRUE(std::is_sorted(tables.begin(), tables.end()));
  for (const char* table : {"steps", "step_levels", "model_calls", "requests"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), table), tables.end()) << table;
  }
  // /metadata and /summary hold attributes, not columns: they are not tables.
  EXPECT_EQ(std::find(tables.begin(), tables.end(), "metadata"), tables.end());
  EXPECT_EQ(std::find(tables.begin(), tables.end(), "summary"), tables.end());
  EXPECT_EQ(reader.columns("steps"), (std::vector<std::string>{"batch_size", "committed_tokens", "duration_seconds",
                                                               "plan", "step", "time_seconds"}));
  EXPECT_THROW(reader.columns("no_such_table"), Error);
}

TEST(ResultsReaderTest, ErrorsNameTheFileAndTheObject) {
  ScratchDir dir;
  write_run(dir / "results.h5", {{"method", std::string("m")}}, 1);
  const ResultsReader reader(dir / "results.h5");
  const std::string file = (dir / "results.h5").string();
  try {
    reader.string_column("steps", "no_such_column");
    FAIL() << "a missing column was read";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file), HasSubstr("dataset '/steps/no_such_column'"), HasSubstr("not found")));
  }
  try {
    reader.string_column("steps", "committed_tokens");
    FAIL() << "an integer column was read as strings";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file), HasSubstr("/steps/committed_tokens"), HasSubstr("not a string")));
  }
  EXPECT_THROW(reader.metadata("no_such_attribute"), Error);

  std::ofstream(dir / "text.h5") << "not HDF5\n";
  try {
    ResultsReader bad(dir / "text.h5");
    FAIL() << "a text file was opened";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr((dir / "text.h5").string()), HasSubstr("not an HDF5 file")));
  }
  EXPECT_THROW(ResultsReader(dir / "missing.h5"), Error);
}

TEST(ResultsReaderTest, AnotherFormatVersionAndAnUnfinishedFileAreRecognised) {
  ScratchDir dir;
  write_run(dir / "results.h5", {{"method", std::string("m")}}, 1);
  {
    const hid_t file = H5Fopen((dir / "results.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
    const std::int64_t future = kReadableResultsFormatVersion + 1;
    ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &future), 0);
    H5Aclose(attribute);
    H5Fclose(file);
  }
  const ResultsReader future(dir / "results.h5");
  EXPECT_EQ(future.format_version(), kReadableResultsFormatVersion + 1);
  try {
    future.check_format();
    FAIL() << "a file of another format version passed";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr((dir / "results.h5").string()),
                                HasSubstr("format_version " + std::to_string(kReadableResultsFormatVersion + 1))));
  }

  ResultsWriterOptions keep;
  keep.keep_partial_file = true;
  { ResultsWriter unfinished(dir / "killed.h5", testing::sample_metadata(), keep); }
  const ResultsReader partial(dir / "killed.h5.partial");
  EXPECT_NO_THROW(partial.check_format());
  EXPECT_FALSE(partial.has_summary());
  EXPECT_THROW(partial.summary(), Error);
}

TEST(ResultsReaderTest, FindsFinishedFilesOnly) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "sweep" / "0");
  std::filesystem::create_directories(dir / "sweep" / "1" / "deeper");
  write_run(dir / "sweep" / "0" / "results.h5", {{"method", std::string("a")}}, 1);
  write_run(dir / "sweep" / "1" / "deeper" / "results.h5", {{"method", std::string("b")}}, 1);
  std::ofstream(dir / "sweep" / "1" / "results.h5.partial") << "half\n";
  std::ofstream(dir / "sweep" / "1" / "other.h5") << "not a run's results file\n";
  EXPECT_EQ(find_results_files(dir / "sweep"),
            (std::vector<std::filesystem::path>{dir / "sweep" / "0" / "results.h5",
                                                dir / "sweep" / "1" / "deeper" / "results.h5"}));
  EXPECT_THROW(find_results_files(dir / "absent"), Error);
}

}  // namespace
}  // namespace specrouter
