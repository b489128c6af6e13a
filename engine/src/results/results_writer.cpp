// The lifecycle of a results file: created as `<path>.partial` with its metadata,
// appended to, and on finish() completed, synced and renamed into place.
#include "specrouter/results/results_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "hdf5_support.h"
#include "results_tables.h"
#include "specrouter/error.h"
#include "specrouter/results/run_environment.h"

namespace specrouter {

using detail::Hdf5CallScope;
using detail::Hdf5Id;
using detail::Hdf5Place;
using detail::write_attribute;

namespace {

/// Identifies the layout readers can rely on; raise the version on incompatible changes.
constexpr const char* kFormatName = "specrouter-results";
constexpr std::int64_t kFormatVersion = 1;

std::filesystem::path partial_path_of(const std::filesystem::path& path) { return path.string() + ".partial"; }

[[noreturn]] void fail_system(const std::filesystem::path& file, const std::string& what, int error) {
  throw Error("results file '" + file.string() + "': " + what + ": " + std::strerror(error));
}

// Flushes a closed file's data to disk, so that the rename below never exposes a name
// whose contents a crash could still lose.
void sync_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_system(file, "cannot open to sync", errno);
  const bool synced = ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!synced) fail_system(file, "fsync failed", error);
}

// Makes a rename durable; a folder that cannot be opened (some file systems) is no error.
void sync_folder_of(const std::filesystem::path& file) {
  const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Hdf5Id create_file(const std::filesystem::path& partial, const Hdf5Place& place) {
  const Hdf5Id access(place.check(H5Pcreate(H5P_FILE_ACCESS), "cannot create file access properties"), H5Pclose);
  // The 1.8 object format at least: it stores large attributes (the config YAML may pass
  // 64 KiB) and many attributes densely. The low bound fixes the object versions, so
  // files stay readable by HDF5 1.8 and later whatever library writes them.
  place.check_status(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST),
                     "cannot set the file format version");
  return Hdf5Id(place.check(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "cannot create"),
                H5Fclose);
}

Hdf5Id create_group(hid_t parent, const std::string& path, const Hdf5Place& place) {
  return Hdf5Id(place.at("group '" + path + "'")
                    .check(H5Gcreate2(parent, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "cannot create"),
                H5Gclose);
}

}  // namespace

struct ResultsWriter::State {
  std::filesystem::path path;
  std::filesystem::path partial;
  ResultsWriterOptions options;
  Hdf5Place place;
  Hdf5Id file;
  Hdf5Id metadata_group;  // open until finish() writes the end time into it
  std::optional<detail::ResultsTables> tables;
  std::int64_t steps = 0;
  bool finished = false;
  bool failed = false;

  // Refuses a call on a finished, failed or moved-from writer.
  void check_open(const char* operation) const {
    if (finished) throw UsageError("results file '" + path.string() + "': " + operation + " after finish()");
    if (failed) {
      throw UsageError("results file '" + partial.string() + "': " + operation +
                       " after an earlier write failed; the file is abandoned");
    }
  }

  // Runs `write`, marking the writer failed if it throws: a half-written row or a file
  // in an unknown state must not be completed later.
  template <class Write>
  auto guarded(Write&& write) {
    try {
      return write();
    } catch (...) {
      failed = true;
      throw;
    }
  }

  void write_metadata(const RunMetadata& metadata) {
    const Hdf5Place root = place.at("group '/'");
    write_attribute(file.get(), "format", kFormatName, root);
    write_attribute(file.get(), "format_version", kFormatVersion, root);

    metadata_group = create_group(file.get(), "/metadata", place);
    const Hdf5Place here = place.at("group '/metadata'");
    const hid_t group = metadata_group.get();
    write_attribute(group, "config_yaml", metadata.config_yaml, here);
    write_attribute(group, "overrides", std::span<const std::string>(metadata.overrides), here);
    write_attribute(group, "git_commit", metadata.git_commit, here);
    write_attribute(group, "host", metadata.host, here);
    write_attribute(group, "cpu", metadata.cpu, here);
    write_attribute(group, "gpu", metadata.gpu, here);
    write_attribute(group, "start_time", metadata.start_time.empty() ? utc_timestamp_now() : metadata.start_time, here);

    std::map<std::string, std::string> versions = metadata.library_versions;
    versions.emplace("hdf5", hdf5_library_version());
    const Hdf5Id libraries = create_group(group, "library_versions", here);
    const Hdf5Place libraries_place = place.at("group '/metadata/library_versions'");
    for (const auto& [library, version] : versions) {
      if (library.empty()) throw UsageError("results file '" + partial.string() + "': a library version has an empty name");
      write_attribute(libraries.get(), library, version, libraries_place);
    }
  }

  void write_summary(const Summary& summary) {
    Hdf5Id group = create_group(file.get(), "/summary", place);
    const Hdf5Place here = place.at("group '/summary'");
    for (const auto& [key, value] : summary) {
      if (key.empty()) throw UsageError("results file '" + partial.string() + "': a summary entry has an empty name");
      std::visit([&](const auto& v) { write_attribute(group.get(), key, v, here); }, value);
    }
    here.check_status(group.close(), "cannot close");
  }

  // Closes every HDF5 object, reporting the first failure.
  void close_file() {
    if (tables) tables->close();
    place.at("group '/metadata'").check_status(metadata_group.close(), "cannot close");
    place.check_status(file.close(), "cannot close");
  }

  // What the destructor does for an unfinished file; never throws.
  void abandon() noexcept {
    if (options.keep_partial_file && !failed) {
      try {
        if (tables) tables->write_buffered_rows();
      } catch (...) {  // keep what is there
      }
    }
    tables.reset();
    metadata_group.close();
    file.close();
    if (!options.keep_partial_file) ::unlink(partial.c_str());
  }
};

ResultsWriter::ResultsWriter(std::filesystem::path path, const RunMetadata& metadata, ResultsWriterOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = std::move(path);
  s.partial = partial_path_of(s.path);
  s.options = options;
  s.place = Hdf5Place{s.partial.string(), ""};
  if (options.chunk_rows == 0) throw UsageError("results file '" + s.path.string() + "': chunk_rows must be at least 1");
  if (options.compression_level < 0 || options.compression_level > 9) {
    throw UsageError("results file '" + s.path.string() + "': compression_level " +
                     std::to_string(options.compression_level) + " is outside 0-9");
  }
  const Hdf5CallScope scope;
  if (options.compression_level > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
    throw Error("results file '" + s.path.string() + "': this HDF5 library has no deflate filter; set compression_level 0");
  }
  s.file = create_file(s.partial, s.place);
  try {
    s.write_metadata(metadata);
    s.tables.emplace(s.file.get(), s.place,
                     detail::TableLayout{options.chunk_rows, options.compression_level});
  } catch (...) {
    s.failed = true;
    s.abandon();
    throw;
  }
}

ResultsWriter::~ResultsWriter() {
  if (!state_ || state_->finished) return;
  const Hdf5CallScope scope;
  state_->abandon();
}

ResultsWriter::ResultsWriter(ResultsWriter&&) noexcept = default;

ResultsWriter& ResultsWriter::operator=(ResultsWriter&& other) noexcept {
  if (this != &other) {
    if (state_ && !state_->finished) {
      const Hdf5CallScope scope;
      state_->abandon();
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

void ResultsWriter::add_request(const RequestRecord& request) {
  if (!state_) throw UsageError("add_request on a moved-from ResultsWriter");
  state_->check_open("add_request");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(request); });
}

std::int64_t ResultsWriter::add_step(const StepRecord& step) {
  if (!state_) throw UsageError("add_step on a moved-from ResultsWriter");
  state_->check_open("add_step");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(state_->steps, step); });
  return state_->steps++;
}

void ResultsWriter::add_estimate(const EstimateRecord& estimate) {
  if (!state_) throw UsageError("add_estimate on a moved-from ResultsWriter");
  state_->check_open("add_estimate");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(estimate); });
}

void ResultsWriter::add_event(const EventRecord& event) {
  if (!state_) throw UsageError("add_event on a moved-from ResultsWriter");
  state_->check_open("add_event");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(event); });
}

void ResultsWriter::add_draft_position(const DraftPositionRecord& position) {
  if (!state_) throw UsageError("add_draft_position on a moved-from ResultsWriter");
  state_->check_open("add_draft_position");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(position); });
}

void ResultsWriter::add_output_tokens(const OutputTokensRecord& output) {
  if (!state_) throw UsageError("add_output_tokens on a moved-from ResultsWriter");
  state_->check_open("add_output_tokens");
  const Hdf5CallScope scope;
  state_->guarded([&] { state_->tables->append(output); });
}

void ResultsWriter::flush() {
  if (!state_) throw UsageError("flush on a moved-from ResultsWriter");
  state_->check_open("flush");
  const Hdf5CallScope scope;
  state_->guarded([&] {
    state_->tables->write_buffered_rows();
    state_->place.check_status(H5Fflush(state_->file.get(), H5F_SCOPE_GLOBAL), "cannot flush");
  });
}

void ResultsWriter::finish(const Summary& summary) {
  if (!state_) throw UsageError("finish on a moved-from ResultsWriter");
  State& s = *state_;
  s.check_open("finish");
  const Hdf5CallScope scope;
  s.guarded([&] {
    s.tables->write_buffered_rows();
    s.write_summary(summary);
    write_attribute(s.metadata_group.get(), "end_time", utc_timestamp_now(), s.place.at("group '/metadata'"));
    s.close_file();
    s.tables.reset();
    sync_file(s.partial);
    if (::rename(s.partial.c_str(), s.path.c_str()) != 0) {
      fail_system(s.path, "cannot rename '" + s.partial.string() + "' into place", errno);
    }
  });
  s.finished = true;
  sync_folder_of(s.path);
}

const std::filesystem::path& ResultsWriter::path() const {
  if (!state_) throw UsageError("path of a moved-from ResultsWriter");
  return state_->path;
}

const std::filesystem::path& ResultsWriter::partial_path() const {
  if (!state_) throw UsageError("partial_path of a moved-from ResultsWriter");
  return state_->partial;
}

std::size_t ResultsWriter::buffered_rows() const {
  return state_ && state_->tables ? state_->tables->buffered_rows() : 0;
}

std::int64_t ResultsWriter::steps() const { return state_ ? state_->steps : 0; }

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  const Hdf5CallScope scope;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace specrouter
