// SafetensorsFile: maps a file, validates its header, and hands out views into it.
#include "specrouter/checkpoint/safetensors_file.h"

#include <algorithm>

#include "mapped_file.h"
#include "message_text.h"
#include "safetensors_header.h"
#include "specrouter/error.h"

namespace specrouter {

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string label = "safetensors file '" + path.string() + "'";
  const std::shared_ptr<const detail::MappedFile> mapped = detail::MappedFile::map(path);

  detail::ParsedHeader header = detail::parse_safetensors_header(mapped->bytes(), label);

  SafetensorsFile file;
  file.path_ = path;
  file.mapping_ = mapped;
  file.bytes_ = mapped->bytes();
  file.header_size_ = header.header_size;
  file.data_size_ = header.data_size;
  file.metadata_ = std::move(header.metadata);
  file.has_metadata_ = header.has_metadata;

  const std::byte* data_section = file.bytes_.data() + 8 + header.header_size;
  file.tensors_.reserve(header.entries.size());
  for (detail::HeaderEntry& entry : header.entries) {
    TensorView view;
    view.name = std::move(entry.name);
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.data = data_section + entry.begin;
    view.nbytes = entry.end - entry.begin;
    view.file = path;
    view.keep_alive = mapped;
    file.index_.emplace(view.name, file.tensors_.size());
    file.names_.push_back(view.name);
    file.tensors_.push_back(std::move(view));
  }
  std::sort(file.names_.begin(), file.names_.end());
  return file;
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& SafetensorsFile::tensor(std::string_view name) const {
  if (const TensorView* view = find(name)) return *view;
  std::string message = "safetensors file '" + path_.string() + "': no tensor " +
                        detail::quote(name);
  const std::string nearest = detail::nearest_names(name, names_);
  if (!nearest.empty()) message += " (nearest: " + nearest + ")";
  throw CheckpointError(message);
}

std::span<const std::byte> SafetensorsFile::file_bytes() const { return bytes_; }

}  // namespace specrouter
