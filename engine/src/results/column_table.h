#pragma once
// A table stored as an HDF5 group with one extendible, chunked 1-D dataset per column
// (private). Rows are buffered and written a chunk at a time, so memory stays bounded
// and every column always has the same length in the file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hdf5_support.h"

namespace specrouter::detail {

/// Element type of a column.
enum class ColumnType { kInt64, kFloat64, kString };

/// One column: its dataset name, element type, unit and a one-line description (stored
/// as the dataset's `unit` and `description` attributes).
struct ColumnSpec {
  std::string name;
  ColumnType type;
  std::string unit;  ///< "s", "tokens", "tokens/s", ... or "" for none
  std::string description;
};

/// Chunking and compression of every column.
struct TableLayout {
  std::size_t chunk_rows = 4096;  ///< rows per chunk and per buffered write
  int compression_level = 4;      ///< deflate level, 0 for none
};

class ColumnTable {
 public:
  /// Creates group `/<name>` in `file`, with its `description` attribute and one empty
  /// dataset per column. `place.file` names the file in errors.
  ColumnTable(hid_t file, const Hdf5Place& place, std::string name, std::string description,
              std::vector<ColumnSpec> columns, TableLayout layout);

  /// Appends one row: one value per column, in column order (integers for kInt64,
  /// floating-point numbers for kFloat64, strings for kString). Writes the buffered rows
  /// when they fill a chunk.
  template <class... Values>
  void append(const Values&... values) {
    check_arity(sizeof...(Values));
    std::size_t index = 0;
    (push(columns_[index++], values), ...);
    if (++buffered_rows_ == layout_.chunk_rows) write_buffered_rows();
  }

  /// Writes the buffered rows to the file.
  void write_buffered_rows();
  /// Rows appended and not yet written.
  std::size_t buffered_rows() const { return buffered_rows_; }
  /// Closes the datasets and the group (buffered rows are discarded; write them first).
  void close();

 private:
  struct Column {
    ColumnSpec spec;
    Hdf5Id dataset;
    std::vector<std::int64_t> integers;  // [buffered_rows] when spec.type is kInt64
    std::vector<double> reals;           // [buffered_rows] when spec.type is kFloat64
    std::vector<std::string> strings;    // [buffered_rows] when spec.type is kString
  };

  template <class Value>
  void push(Column& column, const Value& value) {
    if constexpr (std::is_integral_v<Value>) {
      check_type(column, ColumnType::kInt64);
      column.integers.push_back(static_cast<std::int64_t>(value));
    } else if constexpr (std::is_floating_point_v<Value>) {
      check_type(column, ColumnType::kFloat64);
      column.reals.push_back(static_cast<double>(value));
    } else {
      check_type(column, ColumnType::kString);
      column.strings.emplace_back(std::string_view(value));
    }
  }
  void check_arity(std::size_t values) const;
  void check_type(const Column& column, ColumnType given) const;
  void create_column(Column& column, hid_t string_type);
  void write_column(Column& column, hsize_t rows_before, hid_t string_type);

  Hdf5Place place_;
  std::string name_;
  TableLayout layout_;
  Hdf5Id group_;
  std::vector<Column> columns_;
  std::size_t buffered_rows_ = 0;
  hsize_t written_rows_ = 0;
};

}  // namespace specrouter::detail
