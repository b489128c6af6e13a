// Temp-then-rename file writing with fsync, so an interrupted write leaves either the
// old file or the complete new one.
#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error) {
  throw CheckpointError("writing '" + path.string() + "': " + what + ": " + std::strerror(error));
}

std::filesystem::path temporary_name(const std::filesystem::path& destination) {
  static std::atomic<unsigned> counter{0};
  const std::string name = "." + destination.filename().string() + ".tmp-" +
                           std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return destination.parent_path() / name;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path destination)
    : destination_(std::move(destination)), temporary_(temporary_name(destination_)) {
  if (destination_.filename().empty()) {
    throw CheckpointError("writing '" + destination_.string() + "': not a file name");
  }
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(destination_, "cannot create '" + temporary_.string() + "'", errno);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  const std::byte* at = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ::ssize_t written = ::write(fd_, at, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(destination_, "write failed", errno);
    }
    at += written;
    left -= static_cast<std::size_t>(written);
  }
}

void AtomicFileWriter::write(std::string_view text) {
  write(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

void AtomicFileWriter::commit() {
  if (::fsync(fd_) != 0) fail(destination_, "fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(destination_, "close failed", errno);
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    fail(destination_, "cannot rename '" + temporary_.string() + "' into place", errno);
  }
  committed_ = true;
  // Make the rename itself durable; a folder that cannot be opened is not an error.
  const std::filesystem::path folder =
      destination_.has_parent_path() ? destination_.parent_path() : std::filesystem::path(".");
  const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder_fd >= 0) {
    ::fsync(folder_fd);
    ::close(folder_fd);
  }
}

void write_text_file_atomically(const std::filesystem::path& destination, std::string_view text) {
  AtomicFileWriter writer(destination);
  writer.write(text);
  writer.commit();
}

}  // namespace specrouter::detail
