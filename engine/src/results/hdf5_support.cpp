// HDF5 identifier ownership, serialised and silenced calls, and HDF5 errors as
// exceptions naming the file and the object.
#include "hdf5_support.h"

#include <vector>

#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// The innermost description on HDF5's current error stack: walking down from the API
// call, the last frame is where the failure was detected and says the most
// ("unable to open file: name = '...', errno = 2, error message = 'No such file or directory'").
std::string innermost_hdf5_message() {
  std::string message;
  const auto visit = [](unsigned, const H5E_error2_t* frame, void* out) -> herr_t {
    if (frame->desc && *frame->desc) *static_cast<std::string*>(out) = frame->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, visit, &message);
  H5Eclear2(H5E_DEFAULT);
  return message.empty() ? "HDF5 gave no reason" : message;
}

Hdf5Id scalar_space(const Hdf5Place& place) {
  return {place.check(H5Screate(H5S_SCALAR), "cannot create a scalar dataspace"), H5Sclose};
}

// Creates attribute `name` of `type` over `space` on `object` and writes `data` into it.
void write_attribute_data(hid_t object, const std::string& name, hid_t type, hid_t space, const void* data,
                          const Hdf5Place& place) {
  const Hdf5Place here = place.at("attribute '" + name + "' of " + place.object);
  Hdf5Id attribute(here.check(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "cannot create"),
                   H5Aclose);
  here.check_status(H5Awrite(attribute.get(), type, data), "cannot write");
  here.check_status(attribute.close(), "cannot close");
}

}  // namespace

Hdf5Id& Hdf5Id::operator=(Hdf5Id&& other) noexcept {
  if (this != &other) {
    release();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

herr_t Hdf5Id::close() {
  if (id_ < 0 || close_ == nullptr) return 0;
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  return close_(id);
}

Hdf5CallScope::Hdf5CallScope() : lock_(hdf5_mutex()) {
  H5Eget_auto2(H5E_DEFAULT, &previous_handler_, &previous_data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Hdf5CallScope::~Hdf5CallScope() { H5Eset_auto2(H5E_DEFAULT, previous_handler_, previous_data_); }

void Hdf5Place::fail(const std::string& what) const {
  std::string message = "results file '" + file + "': ";
  if (!object.empty()) message += object + ": ";
  throw Error(message + what + ": " + innermost_hdf5_message());
}

Hdf5Id make_utf8_string_type(const Hdf5Place& place) {
  Hdf5Id type(place.check(H5Tcopy(H5T_C_S1), "cannot create a string type"), H5Tclose);
  place.check_status(H5Tset_size(type.get(), H5T_VARIABLE), "cannot make a variable-length string type");
  place.check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot set the UTF-8 character set");
  return type;
}

void write_attribute(hid_t object, const std::string& name, std::string_view value, const Hdf5Place& place) {
  const Hdf5Id type = make_utf8_string_type(place);
  const std::string text(value);  // NUL-terminated for HDF5
  const char* pointer = text.c_str();
  write_attribute_data(object, name, type.get(), scalar_space(place).get(), &pointer, place);
}

void write_attribute(hid_t object, const std::string& name, std::int64_t value, const Hdf5Place& place) {
  write_attribute_data(object, name, H5T_NATIVE_INT64, scalar_space(place).get(), &value, place);
}

void write_attribute(hid_t object, const std::string& name, double value, const Hdf5Place& place) {
  write_attribute_data(object, name, H5T_NATIVE_DOUBLE, scalar_space(place).get(), &value, place);
}

void write_attribute(hid_t object, const std::string& name, std::span<const std::string> values,
                     const Hdf5Place& place) {
  const Hdf5Id type = make_utf8_string_type(place);
  const hsize_t length = values.size();
  const Hdf5Id space(place.check(H5Screate_simple(1, &length, nullptr), "cannot create a dataspace"), H5Sclose);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  // HDF5 refuses a null buffer even for zero elements.
  const char* none = nullptr;
  write_attribute_data(object, name, type.get(), space.get(), pointers.empty() ? &none : pointers.data(), place);
}

}  // namespace specrouter::detail
