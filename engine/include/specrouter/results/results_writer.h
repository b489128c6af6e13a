#pragma once

/// @file
/// @brief Writing one run's results file: HDF5, appended to during the run, renamed into
/// place only when complete. Layout: docs/results-schema.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "specrouter/results/records.h"

namespace specrouter {

/// How a ResultsWriter lays out its tables and treats an unfinished file.
struct ResultsWriterOptions {
  /// Rows per chunk of every table column, and the most rows a table buffers in memory
  /// before writing them (so memory stays bounded however long the run). At least 1.
  std::size_t chunk_rows = 4096;
  /// Deflate (gzip) level 1-9 of every column, 0 for none.
  int compression_level = 4;
  /// What becomes of `<path>.partial` when the writer is destroyed without finish():
  /// false (default) deletes it; true writes the buffered rows and keeps it, for
  /// inspecting a failed run. A killed process leaves the `.partial` file either way.
  bool keep_partial_file = false;
};

/// The HDF5 results file of one run.
///
/// The constructor creates `<path>.partial` and writes the metadata; the `add_*`
/// functions append rows, buffering at most `chunk_rows` rows per table; finish() writes
/// the summary and the end time, closes the file, flushes it to disk and renames it to
/// `<path>` (replacing any file there). So `<path>` exists only complete: a run that
/// throws, or is killed, leaves no file at `<path>`. See ResultsWriterOptions for what
/// happens to the partial file.
///
/// Every failure throws Error naming the file and the HDF5 object (`results file
/// 'r.h5.partial': dataset '/steps/plan': ...`); HDF5's own error printing is silenced.
/// After a failed write the writer refuses further rows. Calls are serialised
/// process-wide (Debian's libhdf5 is not thread-safe), so writers in different threads
/// are safe, while one writer must not be shared between threads without a lock.
class ResultsWriter {
 public:
  /// Creates `<path>.partial` (truncating a stale one) and writes `metadata`; throws
  /// Error naming the path when the file cannot be created (missing or unwritable folder).
  ResultsWriter(std::filesystem::path path, const RunMetadata& metadata, ResultsWriterOptions options = {});
  /// Deletes or keeps the partial file when finish() was not called (never throws).
  ~ResultsWriter();
  ResultsWriter(ResultsWriter&&) noexcept;             ///< moves the open file
  ResultsWriter& operator=(ResultsWriter&&) noexcept;  ///< moves the open file; abandons this one's
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  /// Appends a row to `/requests`.
  void add_request(const RequestRecord& request);
  /// Appends a row to `/steps`, its levels to `/step_levels` and its calls to
  /// `/model_calls`; returns the step's index (0, 1, 2, ... in call order).
  std::int64_t add_step(const StepRecord& step);
  /// Appends a row to `/estimates`.
  void add_estimate(const EstimateRecord& estimate);
  /// Appends a row to `/events`.
  void add_event(const EventRecord& event);
  /// Appends a row to `/acceptance_by_position`.
  void add_draft_position(const DraftPositionRecord& position);
  /// Appends one row per token to `/output_tokens`.
  void add_output_tokens(const OutputTokensRecord& output);

  /// Writes every buffered row and flushes the file, so a killed run's `.partial` file
  /// holds everything recorded so far.
  void flush();
  /// Writes the buffered rows, `summary` and the end time; closes, syncs and renames the
  /// file to its final path. Throws UsageError if called twice, Error if a write fails
  /// (the partial file is then treated as on destruction).
  void finish(const Summary& summary);

  /// The final path of the file (`<path>`).
  const std::filesystem::path& path() const;
  /// The path written to until finish() (`<path>.partial`).
  const std::filesystem::path& partial_path() const;
  /// Rows held in memory and not yet written, over all tables; each table holds fewer
  /// than `chunk_rows`.
  std::size_t buffered_rows() const;
  /// Steps added so far.
  std::int64_t steps() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Version of the HDF5 library the core runs with, "major.minor.release".
std::string hdf5_library_version();

}  // namespace specrouter
