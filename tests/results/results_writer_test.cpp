// The life of a results file: created as `.partial`, renamed into place by finish()
// only; removed (or kept, by option) when the writer dies unfinished; errors that name
// the path; bounded buffering.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "results_test_support.h"
#include "specrouter/error.h"
#include "specrouter/results/results_writer.h"

namespace specrouter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::file_names;
using testing::sample_metadata;
using testing::sample_step;
using testing::ScratchDir;

TEST(ResultsWriter, FinishRenamesThePartialFileIntoPlace) {
  ScratchDir dir;
  ResultsWriter writer(dir / "run.h5", sample_metadata());
  EXPECT_EQ(writer.path(), dir / "run.h5");
  EXPECT_EQ(writer.partial_path(), dir / "run.h5.partial");
  writer.add_step(sample_step(0));
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5.partial"));
  writer.finish({});
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5"));
}

TEST(ResultsWriter, DestroyedUnfinishedLeavesNoFile) {
  ScratchDir dir;
  {
    ResultsWriter writer(dir / "run.h5", sample_metadata());
    for (int i = 0; i < 10; ++i) writer.add_step(sample_step(i));
    writer.flush();
  }
  EXPECT_THAT(file_names(dir.path()), ElementsAre());
}

TEST(ResultsWriter, ExceptionDuringTheRunLeavesNoFile) {
  ScratchDir dir;
  const auto run = [&] {
    ResultsWriter writer(dir / "run.h5", sample_metadata());
    writer.add_step(sample_step(0));
    throw std::runtime_error("the model ran out of memory");
  };
  EXPECT_THROW(run(), std::runtime_error);
  EXPECT_THAT(file_names(dir.path()), ElementsAre());
}

TEST(ResultsWriter, KeepPartialFileOptionKeepsOnlyThePartialFile) {
  ScratchDir dir;
  {
    ResultsWriter writer(dir / "run.h5", sample_metadata(), {.keep_partial_file = true});
    writer.add_step(sample_step(0));
  }
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5.partial"));
}

TEST(ResultsWriter, ExistingFileIsReplacedOnlyAtFinish) {
  ScratchDir dir;
  { std::ofstream(dir / "run.h5") << "previous run"; }
  { std::ofstream(dir / "run.h5.partial") << "stale partial file of a killed run"; }
  ResultsWriter writer(dir / "run.h5", sample_metadata());
  writer.add_step(sample_step(0));
  EXPECT_EQ(testing::read_text(dir / "run.h5"), "previous run");
  writer.finish({});
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5"));
  EXPECT_NE(testing::read_text(dir / "run.h5"), "previous run");
}

TEST(ResultsWriter, MissingFolderIsAnErrorNamingThePath) {
  ScratchDir dir;
  const std::filesystem::path path = dir / "no-such-folder" / "run.h5";
  ::testing::internal::CaptureStderr();
  try {
    ResultsWriter writer(path, sample_metadata());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "HDF5 printed its error stack";
    EXPECT_THAT(e.what(), HasSubstr("results file '" + path.string() + ".partial'"));
    EXPECT_THAT(e.what(), HasSubstr("cannot create"));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(ResultsWriter, FileInPlaceOfTheFolderIsAnErrorNamingThePath) {
  ScratchDir dir;
  { std::ofstream(dir / "not-a-folder") << "x"; }
  const std::filesystem::path path = dir / "not-a-folder" / "run.h5";
  try {
    ResultsWriter writer(path, sample_metadata());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("results file '" + path.string() + ".partial'"));
    EXPECT_THAT(e.what(), HasSubstr("Not a directory"));
  }
}

TEST(ResultsWriter, CallsAfterFinishAreUsageErrors) {
  ScratchDir dir;
  ResultsWriter writer(dir / "run.h5", sample_metadata());
  writer.finish({});
  EXPECT_THROW(writer.add_step(sample_step(0)), UsageError);
  EXPECT_THROW(writer.add_request({}), UsageError);
  EXPECT_THROW(writer.add_estimate({}), UsageError);
  EXPECT_THROW(writer.flush(), UsageError);
  try {
    writer.finish({});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("finish after finish()"));
    EXPECT_THAT(e.what(), HasSubstr((dir / "run.h5").string()));
  }
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5"));
}

TEST(ResultsWriter, FailedFinishLeavesNoFileAndRefusesMore) {
  ScratchDir dir;
  {
    ResultsWriter writer(dir / "run.h5", sample_metadata());
    writer.add_step(sample_step(0));
    EXPECT_THROW(writer.finish({{"", std::int64_t{1}}}), UsageError);  // empty summary name
    EXPECT_THROW(writer.add_step(sample_step(1)), UsageError);
    EXPECT_THROW(writer.finish({}), UsageError);
  }
  EXPECT_THAT(file_names(dir.path()), ElementsAre());
}

TEST(ResultsWriter, InvalidOptionsAreUsageErrors) {
  ScratchDir dir;
  EXPECT_THROW(ResultsWriter(dir / "a.h5", sample_metadata(), {.chunk_rows = 0}), UsageError);
  EXPECT_THROW(ResultsWriter(dir / "b.h5", sample_metadata(), {.compression_level = 10}), UsageError);
  EXPECT_THROW(ResultsWriter(dir / "c.h5", sample_metadata(), {.compression_level = -1}), UsageError);
  EXPECT_THAT(file_names(dir.path()), ElementsAre());
}

TEST(ResultsWriter, StepIndicesCountUpFromZero) {
  ScratchDir dir;
  ResultsWriter writer(dir / "run.h5", sample_metadata());
  EXPECT_EQ(writer.steps(), 0);
  EXPECT_EQ(writer.add_step(sample_step(0)), 0);
  EXPECT_EQ(writer.add_step(sample_step(1)), 1);
  EXPECT_EQ(writer.add_step(sample_step(2)), 2);
  EXPECT_EQ(writer.steps(), 3);
}

TEST(ResultsWriter, BuffersFewerRowsThanAChunkPerTable) {
  ScratchDir dir;
  const std::size_t chunk_rows = 64;
  ResultsWriter writer(dir / "run.h5", sample_metadata(), {.chunk_rows = chunk_rows});
  std::size_t most_buffered = 0;
  for (int i = 0; i < 2000; ++i) {
    writer.add_step(sample_step(i));
    writer.add_estimate({i, "target", 0.01, 0.011});
    if (i % 10 == 0) writer.add_request({.id = "r" + std::to_string(i)});
    most_buffered = std::max(most_buffered, writer.buffered_rows());
  }
  // Five tables, each below one chunk; 2000 steps made 2000 + 4000 + 4000 + 2000 + 200 rows.
  EXPECT_LT(most_buffered, 5 * chunk_rows);
  EXPECT_GT(most_buffered, 0u);
  writer.flush();
  EXPECT_EQ(writer.buffered_rows(), 0u);
  writer.finish({});
}

TEST(ResultsWriter, MovedWriterFinishesTheSameFile) {
  ScratchDir dir;
  ResultsWriter first(dir / "run.h5", sample_metadata());
  first.add_step(sample_step(0));
  ResultsWriter second(std::move(first));
  EXPECT_EQ(second.add_step(sample_step(1)), 1);
  EXPECT_THROW(first.add_step(sample_step(2)), UsageError);  // NOLINT(bugprone-use-after-move): the contract
  second.finish({});
  EXPECT_THAT(file_names(dir.path()), ElementsAre("run.h5"));
}

TEST(ResultsWriter, MoveAssignmentAbandonsTheOverwrittenFile) {
  ScratchDir dir;
  ResultsWriter kept(dir / "kept.h5", sample_metadata());
  ResultsWriter replaced(dir / "replaced.h5", sample_metadata());
  replaced = std::move(kept);
  replaced.finish({});
  EXPECT_THAT(file_names(dir.path()), ElementsAre("kept.h5"));
}

TEST(ResultsWriter, ReportsTheHdf5Version) {
  EXPECT_TRUE(std::regex_match(hdf5_library_version(), std::regex(R"(\d+\.\d+\.\d+)"))) << hdf5_library_version();
}

}  // namespace
}  // namespace specrouter
