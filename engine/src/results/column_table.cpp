// Column-per-dataset tables: creation, buffered appends, chunked writes.
#include "column_table.h"

#include <stdexcept>

namespace specrouter::detail {
namespace {

const char* type_name(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64: return "int64";
    case ColumnType::kFloat64: return "float64";
    case ColumnType::kString: return "string";
  }
  return "?";
}

}  // namespace

ColumnTable::ColumnTable(hid_t file, const Hdf5Place& place, std::string name, std::string description,
                         std::vector<ColumnSpec> columns, TableLayout layout)
    : place_(place.at("group '/" + name + "'")), name_(std::move(name)), layout_(layout) {
  group_ = Hdf5Id(place_.check(H5Gcreate2(file, ("/" + name_).c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               "cannot create"),
                  H5Gclose);
  write_attribute(group_.get(), "description", description, place_);
  const Hdf5Id string_type = make_utf8_string_type(place_);
  columns_.reserve(columns.size());
  for (ColumnSpec& spec : columns) {
    columns_.push_back(Column{std::move(spec), {}, {}, {}, {}});
    create_column(columns_.back(), string_type.get());
  }
}

void ColumnTable::create_column(Column& column, hid_t string_type) {
  const Hdf5Place here = place_.at("dataset '/" + name_ + "/" + column.spec.name + "'");
  const hsize_t empty = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  const Hdf5Id space(here.check(H5Screate_simple(1, &empty, &unlimited), "cannot create its dataspace"), H5Sclose);
  const Hdf5Id properties(here.check(H5Pcreate(H5P_DATASET_CREATE), "cannot create its properties"), H5Pclose);
  const hsize_t chunk = layout_.chunk_rows;
  here.check_status(H5Pset_chunk(properties.get(), 1, &chunk), "cannot set its chunk size");
  if (layout_.compression_level > 0) {
    // Shuffling the bytes of numbers groups their high bytes together, which deflate
    // compresses far better; it does nothing useful for string references.
    if (column.spec.type != ColumnType::kString) {
      here.check_status(H5Pset_shuffle(properties.get()), "cannot enable the shuffle filter");
    }
    here.check_status(H5Pset_deflate(properties.get(), static_cast<unsigned>(layout_.compression_level)),
                      "cannot enable deflate compression");
  }
  hid_t file_type = string_type;
  if (column.spec.type == ColumnType::kInt64) file_type = H5T_STD_I64LE;
  if (column.spec.type == ColumnType::kFloat64) file_type = H5T_IEEE_F64LE;
  column.dataset = Hdf5Id(here.check(H5Dcreate2(group_.get(), column.spec.name.c_str(), file_type, space.get(),
                                                H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                                     "cannot create"),
                          H5Dclose);
  write_attribute(column.dataset.get(), "unit", column.spec.unit, here);
  write_attribute(column.dataset.get(), "description", column.spec.description, here);
}

void ColumnTable::check_arity(std::size_t values) const {
  if (values != columns_.size()) {
    throw std::logic_error("table '/" + name_ + "' has " + std::to_string(columns_.size()) + " columns, row has " +
                           std::to_string(values) + " values");
  }
}

void ColumnTable::check_type(const Column& column, ColumnType given) const {
  if (column.spec.type != given) {
    throw std::logic_error("column '/" + name_ + "/" + column.spec.name + "' holds " + type_name(column.spec.type) +
                           ", row gives " + type_name(given));
  }
}

void ColumnTable::write_buffered_rows() {
  if (buffered_rows_ == 0) return;
  const Hdf5Id string_type = make_utf8_string_type(place_);
  for (Column& column : columns_) write_column(column, written_rows_, string_type.get());
  written_rows_ += buffered_rows_;
  buffered_rows_ = 0;
}

void ColumnTable::write_column(Column& column, hsize_t rows_before, hid_t string_type) {
  const Hdf5Place here = place_.at("dataset '/" + name_ + "/" + column.spec.name + "'");
  const hsize_t count = buffered_rows_;
  const hsize_t new_size = rows_before + count;
  here.check_status(H5Dset_extent(column.dataset.get(), &new_size), "cannot extend to " + std::to_string(new_size) + " rows");
  const Hdf5Id file_space(here.check(H5Dget_space(column.dataset.get()), "cannot get its dataspace"), H5Sclose);
  here.check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &rows_before, nullptr, &count, nullptr),
                    "cannot select rows");
  const Hdf5Id memory_space(here.check(H5Screate_simple(1, &count, nullptr), "cannot create a dataspace"), H5Sclose);

  hid_t memory_type = string_type;
  const void* data = nullptr;
  std::vector<const char*> pointers;  // [count] for string columns
  switch (column.spec.type) {
    case ColumnType::kInt64:
      memory_type = H5T_NATIVE_INT64;
      data = column.integers.data();
      break;
    case ColumnType::kFloat64:
      memory_type = H5T_NATIVE_DOUBLE;
      data = column.reals.data();
      break;
    case ColumnType::kString:
      pointers.reserve(column.strings.size());
      for (const std::string& text : column.strings) pointers.push_back(text.c_str());
      data = pointers.data();
      break;
  }
  here.check_status(H5Dwrite(column.dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data),
                    "cannot write rows [" + std::to_string(rows_before) + ", " + std::to_string(new_size) + ")");
  column.integers.clear();
  column.reals.clear();
  column.strings.clear();
}

void ColumnTable::close() {
  for (Column& column : columns_) {
    const herr_t status = column.dataset.close();
    place_.at("dataset '/" + name_ + "/" + column.spec.name + "'").check_status(status, "cannot close");
  }
  place_.check_status(group_.close(), "cannot close");
}

}  // namespace specrouter::detail
