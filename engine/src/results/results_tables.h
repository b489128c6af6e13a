#pragma once
// The tables of a results file and how records become their rows (private). The
// column names, types, units and descriptions here are the schema docs/results-schema.md
// documents; change both together.

#include <cstdint>
#include <vector>

#include "column_table.h"
#include "specrouter/results/records.h"

namespace specrouter::detail {

class ResultsTables {
 public:
  /// Creates the groups `/requests`, `/steps`, `/step_levels`, `/model_calls`,
  /// `/estimates`, `/events`, `/output_tokens` and `/acceptance_by_position` with their
  /// empty columns.
  ResultsTables(hid_t file, const Hdf5Place& place, TableLayout layout);

  void append(const RequestRecord& request);
  /// Appends the step as step number `step`, with its levels and model calls.
  void append(std::int64_t step, const StepRecord& record);
  void append(const EstimateRecord& estimate);
  void append(const EventRecord& event);
  void append(const OutputTokensRecord& output);
  void append(const DraftPositionRecord& position);

  /// Writes every table's buffered rows.
  void write_buffered_rows();
  /// Rows buffered over all tables.
  std::size_t buffered_rows() const;
  /// Closes every table (write the buffered rows first).
  void close();

 private:
  ColumnTable requests_;
  ColumnTable steps_;
  ColumnTable step_levels_;
  ColumnTable model_calls_;
  ColumnTable estimates_;
  ColumnTable events_;
  ColumnTable output_tokens_;
  ColumnTable acceptance_by_position_;

  // Every table, for the operations done to all of them.
  std::vector<ColumnTable*> all();
};

}  // namespace specrouter::detail
