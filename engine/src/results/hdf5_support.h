#pragma once
// Thin helpers over the HDF5 C API for the results writer (private): identifier
// ownership, serialised and silenced calls, errors turned into exceptions that name the
// file and the object, and attribute writing.

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace specrouter::detail {

/// Owns one HDF5 identifier and closes it with the function that matches its kind.
class Hdf5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Hdf5Id() = default;
  Hdf5Id(hid_t id, Closer close) : id_(id), close_(close) {}
  Hdf5Id(Hdf5Id&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Hdf5Id& operator=(Hdf5Id&& other) noexcept;
  Hdf5Id(const Hdf5Id&) = delete;
  Hdf5Id& operator=(const Hdf5Id&) = delete;
  ~Hdf5Id() { release(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes the identifier now; returns HDF5's status (negative on failure), 0 if none.
  herr_t close();

 private:
  void release() noexcept { close(); }
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Held around every use of HDF5: serialises calls process-wide (Debian's libhdf5 is
/// built without thread safety) and turns off HDF5's printing of its error stack for the
/// duration, restoring whatever handler was installed before.
class Hdf5CallScope {
 public:
  Hdf5CallScope();
  ~Hdf5CallScope();
  Hdf5CallScope(const Hdf5CallScope&) = delete;
  Hdf5CallScope& operator=(const Hdf5CallScope&) = delete;

 private:
  std::unique_lock<std::recursive_mutex> lock_;
  H5E_auto2_t previous_handler_ = nullptr;
  void* previous_data_ = nullptr;
};

/// The file and the object within it that a sequence of HDF5 calls works on, for error
/// messages: `results file 'run.h5.partial': dataset '/steps/plan': <what>: <HDF5 says>`.
struct Hdf5Place {
  std::string file;    ///< path of the HDF5 file
  std::string object;  ///< "dataset '/steps/plan'", "attribute 'host' of '/metadata'"; may be empty

  /// Throws Error with `what` and the innermost message of HDF5's error stack (cleared).
  [[noreturn]] void fail(const std::string& what) const;
  /// Returns `id` when valid, otherwise fails with `what`.
  hid_t check(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }
  /// Fails with `what` when `status` is negative.
  void check_status(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
  /// The same file with another object.
  Hdf5Place at(std::string other_object) const { return {file, std::move(other_object)}; }
};

/// A variable-length UTF-8 string type, for datasets and attributes of strings.
Hdf5Id make_utf8_string_type(const Hdf5Place& place);

/// Scalar attribute writers: create attribute `name` on `object` and write `value`.
void write_attribute(hid_t object, const std::string& name, std::string_view value, const Hdf5Place& place);
void write_attribute(hid_t object, const std::string& name, std::int64_t value, const Hdf5Place& place);
void write_attribute(hid_t object, const std::string& name, double value, const Hdf5Place& place);
/// A one-dimensional attribute of strings (of length 0 when `values` is empty).
void write_attribute(hid_t object, const std::string& name, std::span<const std::string> values,
                     const Hdf5Place& place);

}  // namespace specrouter::detail
