// Reading results files back: attributes and table columns through the HDF5 C API,
// with errors that name the file and the object, like the writer's.
#include "specrouter/results/results_reader.h"

#include <algorithm>

#include "hdf5_support.h"
#include "specrouter/error.h"

namespace specrouter {

using detail::Hdf5CallScope;
using detail::Hdf5Id;
using detail::Hdf5Place;

namespace {

namespace fs = std::filesystem;

bool link_exists(hid_t file, const std::string& path) {
  // H5Lexists fails (negative) rather than answering "no" when a parent is missing, so
  // walk the path one component at a time.
  std::string prefix;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    prefix = path.substr(0, end);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = end + 1;
  }
  return true;
}

// A memory type for reading strings stored with `file_type`: variable-length strings are
// read as char*, fixed-length ones into a buffer of their size.
Hdf5Id string_memory_type(hid_t file_type, const Hdf5Place& place) {
  Hdf5Id type(place.check(H5Tcopy(H5T_C_S1), "cannot create a string type"), H5Tclose);
  const htri_t variable = H5Tis_variable_str(file_type);
  place.check_status(variable < 0 ? -1 : 0, "cannot inspect the string type");
  place.check_status(H5Tset_size(type.get(), variable ? H5T_VARIABLE : H5Tget_size(file_type)),
                     "cannot size the string type");
  place.check_status(H5Tset_cset(type.get(), H5Tget_cset(file_type)), "cannot set the character set");
  return type;
}

// Reads `count` strings with `read(memory_type, buffer)` (an H5Aread or H5Dread).
template <class Read>
std::vector<std::string> read_strings(hid_t file_type, hid_t space, std::size_t count, const Hdf5Place& place,
                                      Read&& read) {
  const Hdf5Id memory_type = string_memory_type(file_type, place);
  std::vector<std::string> values;
  values.reserve(count);
  if (H5Tis_variable_str(file_type) > 0) {
    std::vector<char*> pointers(std::max<std::size_t>(count, 1), nullptr);
    place.check_status(read(memory_type.get(), pointers.data()), "cannot read");
    for (std::size_t i = 0; i < count; ++i) values.emplace_back(pointers[i] ? pointers[i] : "");
    H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, pointers.data());
  } else {
    const std::size_t size = H5Tget_size(file_type);
    std::vector<char> buffer(std::max<std::size_t>(count * size, 1), '\0');
    place.check_status(read(memory_type.get(), buffer.data()), "cannot read");
    for (std::size_t i = 0; i < count; ++i) {
      std::string value(buffer.data() + i * size, size);
      value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
      values.push_back(std::move(value));
    }
  }
  return values;
}

std::size_t element_count(hid_t space, const Hdf5Place& place) {
  const hssize_t points = H5Sget_simple_extent_npoints(space);
  if (points < 0) place.fail("cannot read the extent");
  return static_cast<std::size_t>(points);
}

// One scalar attribute as a summary value.
SummaryValue read_scalar_attribute(hid_t object, const std::string& name, const Hdf5Place& place) {
  const Hdf5Place here = place.at("attribute '" + name + "' of " + place.object);
  const Hdf5Id attribute(here.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "cannot open"), H5Aclose);
  const Hdf5Id type(here.check(H5Aget_type(attribute.get()), "cannot read the type"), H5Tclose);
  const Hdf5Id space(here.check(H5Aget_space(attribute.get()), "cannot read the dataspace"), H5Sclose);
  if (element_count(space.get(), here) != 1) throw Error("results file '" + place.file + "': " + here.object + ": not a scalar");
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: {
      std::int64_t value = 0;
      here.check_status(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "cannot read");
      return value;
    }
    case H5T_FLOAT: {
      double value = 0;
      here.check_status(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), "cannot read");
      return value;
    }
    case H5T_STRING:
      return read_strings(type.get(), space.get(), 1, here,
                          [&](hid_t memory, void* buffer) { return H5Aread(attribute.get(), memory, buffer); })
          .front();
    default:
      throw Error("results file '" + place.file + "': " + here.object +
                  ": neither an integer, a real number nor a string");
  }
}

std::vector<std::string> attribute_names(hid_t object, const Hdf5Place& place) {
  std::vector<std::string> names;
  hsize_t index = 0;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  place.check_status(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names),
                     "cannot list the attributes");
  return names;
}

}  // namespace

struct ResultsReader::State {
  fs::path path;
  Hdf5Place place;
  Hdf5Id file;

  [[noreturn]] void missing(const std::string& object) const {
    throw Error("results file '" + path.string() + "': " + object + ": not found");
  }

  Hdf5Id open_group(const std::string& group_path) const {
    if (!link_exists(file.get(), group_path)) missing("group '" + group_path + "'");
    const Hdf5Place here = place.at("group '" + group_path + "'");
    return Hdf5Id(here.check(H5Gopen2(file.get(), group_path.c_str(), H5P_DEFAULT), "cannot open"), H5Gclose);
  }

  // Opens `/<table>/<column>` and reads it with `read(dataset, type, space, count, place)`.
  template <class Read>
  auto read_column(const std::string& table, const std::string& column, Read&& read) const {
    const std::string dataset_path = "/" + table + "/" + column;
    if (!link_exists(file.get(), dataset_path)) missing("dataset '" + dataset_path + "'");
    const Hdf5Place here = place.at("dataset '" + dataset_path + "'");
    const Hdf5Id dataset(here.check(H5Dopen2(file.get(), dataset_path.c_str(), H5P_DEFAULT), "cannot open"),
                         H5Dclose);
    const Hdf5Id type(here.check(H5Dget_type(dataset.get()), "cannot read the type"), H5Tclose);
    const Hdf5Id space(here.check(H5Dget_space(dataset.get()), "cannot read the dataspace"), H5Sclose);
    return read(dataset.get(), type.get(), space.get(), element_count(space.get(), here), here);
  }

  template <class Value>
  std::vector<Value> numeric_column(const std::string& table, const std::string& column, hid_t memory_type,
                                    bool integers_only) const {
    return read_column(table, column, [&](hid_t dataset, hid_t type, hid_t, std::size_t count, const Hdf5Place& here) {
      const H5T_class_t type_class = H5Tget_class(type);
      if (type_class != H5T_INTEGER && (integers_only || type_class != H5T_FLOAT)) {
        throw Error("results file '" + path.string() + "': " + here.object + ": not " +
                    (integers_only ? "an integer" : "a numeric") + " column");
      }
      std::vector<Value> values(count);
      if (count > 0) {
        here.check_status(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "cannot read");
      }
      return values;
    });
  }
};

ResultsReader::ResultsReader(fs::path path) : state_(std::make_unique<State>()) {
  Hdf5CallScope scope;
  state_->path = std::move(path);
  state_->place = Hdf5Place{state_->path.string(), ""};
  if (!fs::is_regular_file(state_->path)) throw Error("results file '" + state_->path.string() + "': no such file");
  if (H5Fis_hdf5(state_->path.c_str()) <= 0) throw Error("results file '" + state_->path.string() + "': not an HDF5 file");
  state_->file = Hdf5Id(state_->place.check(H5Fopen(state_->path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open"),
                        H5Fclose);
}

ResultsReader::~ResultsReader() {
  if (!state_) return;
  Hdf5CallScope scope;
  state_->file.close();
}

ResultsReader::ResultsReader(ResultsReader&&) noexcept = default;
ResultsReader& ResultsReader::operator=(ResultsReader&&) noexcept = default;

const fs::path& ResultsReader::path() const { return state_->path; }

std::string ResultsReader::format() const {
  Hdf5CallScope scope;
  if (H5Aexists(state_->file.get(), "format") <= 0) return "";
  const SummaryValue value = read_scalar_attribute(state_->file.get(), "format", state_->place.at("group '/'"));
  const std::string* text = std::get_if<std::string>(&value);
  return text ? *text : "";
}

std::int64_t ResultsReader::format_version() const {
  Hdf5CallScope scope;
  if (H5Aexists(state_->file.get(), "format_version") <= 0) return -1;
  const SummaryValue value =
      read_scalar_attribute(state_->file.get(), "format_version", state_->place.at("group '/'"));
  const std::int64_t* version = std::get_if<std::int64_t>(&value);
  return version ? *version : -1;
}

void ResultsReader::check_format() const {
  const std::string name = format();
  if (name != kResultsFormatName) {
    throw Error("results file '" + state_->path.string() + "': attribute 'format' of group '/' is '" + name +
                "', not '" + kResultsFormatName + "'");
  }
  const std::int64_t version = format_version();
  if (version != kReadableResultsFormatVersion) {
    throw Error("results file '" + state_->path.string() + "': format_version " + std::to_string(version) +
                ", this reader reads version " + std::to_string(kReadableResultsFormatVersion));
  }
}

bool ResultsReader::has_summary() const {
  Hdf5CallScope scope;
  return link_exists(state_->file.get(), "/summary");
}

Summary ResultsReader::summary() const {
  Hdf5CallScope scope;
  const Hdf5Id group = state_->open_group("/summary");
  const Hdf5Place here = state_->place.at("group '/summary'");
  Summary summary;
  for (const std::string& name : attribute_names(group.get(), here)) {
    summary.emplace(name, read_scalar_attribute(group.get(), name, here));
  }
  return summary;
}

std::string ResultsReader::metadata(const std::string& name) const {
  Hdf5CallScope scope;
  const Hdf5Id group = state_->open_group("/metadata");
  const Hdf5Place here = state_->place.at("group '/metadata'");
  if (H5Aexists(group.get(), name.c_str()) <= 0) state_->missing("attribute '" + name + "' of group '/metadata'");
  const SummaryValue value = read_scalar_attribute(group.get(), name, here);
  if (const std::string* text = std::get_if<std::string>(&value)) return *text;
  throw Error("results file '" + state_->path.string() + "': attribute '" + name +
              "' of group '/metadata': not a string");
}

bool ResultsReader::has_table(const std::string& table) const {
  Hdf5CallScope scope;
  return link_exists(state_->file.get(), "/" + table);
}

namespace {
// The names of the links of `group`, in name order.
std::vector<std::string> link_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  const auto take = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, take, &names);
  return names;
}
}  // namespace

std::vector<std::string> ResultsReader::tables() const {
  Hdf5CallScope scope;
  std::vector<std::string> tables;
  for (std::string& name : link_names(state_->file.get())) {
    if (name != "metadata" && name != "summary") tables.push_back(std::move(name));
  }
  return tables;
}

std::vector<std::string> ResultsReader::columns(const std::string& table) const {
  Hdf5CallScope scope;
  const Hdf5Id group = state_->open_group("/" + table);
  return link_names(group.get());
}

std::int64_t ResultsReader::rows(const std::string& table) const {
  Hdf5CallScope scope;
  const Hdf5Id group = state_->open_group("/" + table);
  hsize_t index = 0;
  std::string first;
  const auto take_first = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    *static_cast<std::string*>(out) = name;
    return 1;  // stop after the first column
  };
  H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, take_first, &first);
  if (first.empty()) return 0;
  return state_->read_column(table, first, [](hid_t, hid_t, hid_t, std::size_t count, const Hdf5Place&) {
    return static_cast<std::int64_t>(count);
  });
}

std::vector<std::int64_t> ResultsReader::int64_column(const std::string& table, const std::string& column) const {
  Hdf5CallScope scope;
  return state_->numeric_column<std::int64_t>(table, column, H5T_NATIVE_INT64, true);
}

std::vector<double> ResultsReader::float64_column(const std::string& table, const std::string& column) const {
  Hdf5CallScope scope;
  return state_->numeric_column<double>(table, column, H5T_NATIVE_DOUBLE, false);
}

std::vector<std::string> ResultsReader::string_column(const std::string& table, const std::string& column) const {
  Hdf5CallScope scope;
  return state_->read_column(table, column, [&](hid_t dataset, hid_t type, hid_t space, std::size_t count,
                                                const Hdf5Place& here) {
    if (H5Tget_class(type) != H5T_STRING) {
      throw Error("results file '" + state_->path.string() + "': " + here.object + ": not a string column");
    }
    return read_strings(type, space, count, here, [&](hid_t memory, void* buffer) {
      return count == 0 ? herr_t{0} : H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    });
  });
}

std::vector<fs::path> find_results_files(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw Error("results folder '" + folder.string() + "': no such folder");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error) && it->path().filename() == "results.h5") files.push_back(it->path());
  }
  if (error) throw Error("results folder '" + folder.string() + "': cannot list: " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace specrouter
