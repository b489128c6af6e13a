// CheckpointFolder: finds the weights of a Hugging Face folder, opens every shard, and
// checks that the index and the shards agree.
#include "specrouter/checkpoint/checkpoint_folder.h"

#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "message_text.h"
#include "shard_index.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

namespace fs = std::filesystem;

bool is_existing_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

std::string folder_label(const fs::path& dir) { return "checkpoint folder '" + dir.string() + "'"; }

// Opens every shard the index names and checks both directions of the mapping.
std::vector<SafetensorsFile> open_shards(const fs::path& dir, const detail::ShardIndex& index) {
  const std::string label =
      folder_label(dir) + ": shard index " + detail::quote(kShardIndexFile);
  // One example tensor per shard, for messages.
  std::map<std::string, std::string> shards;
  for (const auto& [tensor, shard] : index.weight_map) shards.emplace(shard, tensor);

  std::vector<SafetensorsFile> files;
  std::map<std::string, std::string> stored_in;  // tensor -> shard holding it
  for (const auto& [shard, example_tensor] : shards) {
    const fs::path shard_path = dir / shard;
    if (!is_existing_file(shard_path)) {
      throw CheckpointError(label + " maps tensor " + detail::quote(example_tensor) +
                            " to shard " + detail::quote(shard) + ", which does not exist");
    }
    files.push_back(SafetensorsFile::open(shard_path));
    for (const std::string& tensor : files.back().names()) {
      const auto [it, inserted] = stored_in.emplace(tensor, shard);
      if (!inserted) {
        throw CheckpointError(folder_label(dir) + ": tensor " + detail::quote(tensor) +
                              " is stored in both shard " + detail::quote(it->second) +
                              " and shard " + detail::quote(shard));
      }
    }
  }
  for (const auto& [tensor, shard] : index.weight_map) {
    const auto it = stored_in.find(tensor);
    if (it == stored_in.end() || it->second != shard) {
      std::string message = label + " lists tensor " + detail::quote(tensor) + " in shard " +
                            detail::quote(shard) + ", which does not hold it";
      if (it != stored_in.end()) message += " (it is in shard " + detail::quote(it->second) + ")";
      throw CheckpointError(message);
    }
  }
  for (const auto& [tensor, shard] : stored_in) {
    if (!index.weight_map.contains(tensor)) {
      throw CheckpointError(folder_label(dir) + ": tensor " + detail::quote(tensor) +
                            " in shard " + detail::quote(shard) + " is not listed in " +
                            detail::quote(kShardIndexFile));
    }
  }
  return files;
}

}  // namespace

CheckpointFolder CheckpointFolder::open(const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) throw CheckpointError(folder_label(dir) + " does not exist");
  if (!fs::is_directory(dir, error)) throw CheckpointError(folder_label(dir) + " is not a folder");

  CheckpointFolder folder;
  folder.dir_ = dir;
  if (is_existing_file(dir / kSingleWeightsFile)) {
    folder.files_.push_back(SafetensorsFile::open(dir / kSingleWeightsFile));
  } else if (is_existing_file(dir / kShardIndexFile)) {
    const detail::ShardIndex index = detail::read_shard_index(dir / kShardIndexFile);
    folder.sharded_ = true;
    folder.index_total_size_ = index.total_size;
    folder.files_ = open_shards(dir, index);
  } else {
    throw CheckpointError(folder_label(dir) + " holds neither " + kSingleWeightsFile + " nor " +
                          kShardIndexFile);
  }
  folder.index_tensors();
  return folder;
}

void CheckpointFolder::index_tensors() {
  for (std::size_t file = 0; file < files_.size(); ++file) {
    const std::vector<TensorView>& views = files_[file].tensors();
    for (std::size_t view = 0; view < views.size(); ++view) {
      tensors_.emplace(views[view].name, std::make_pair(file, view));
    }
  }
  names_.reserve(tensors_.size());
  for (const auto& entry : tensors_) names_.push_back(entry.first);
}

std::vector<fs::path> CheckpointFolder::weight_files() const {
  std::vector<fs::path> paths;
  for (const SafetensorsFile& file : files_) paths.push_back(file.path());
  return paths;
}

const TensorView* CheckpointFolder::find(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) return nullptr;
  return &files_[it->second.first].tensors()[it->second.second];
}

const TensorView& CheckpointFolder::tensor(std::string_view name) const {
  if (const TensorView* view = find(name)) return *view;
  std::string message = folder_label(dir_) + ": no tensor " + detail::quote(name);
  const std::string nearest = detail::nearest_names(name, names_);
  if (!nearest.empty()) message += " (nearest: " + nearest + ")";
  throw CheckpointError(message);
}

std::uint64_t CheckpointFolder::total_bytes() const {
  std::uint64_t total = 0;
  for (const SafetensorsFile& file : files_) {
    for (const TensorView& view : file.tensors()) total += view.nbytes;
  }
  return total;
}

bool CheckpointFolder::has_file(std::string_view filename) const {
  return is_existing_file(dir_ / filename);
}

fs::path CheckpointFolder::file_path(std::string_view filename) const {
  fs::path path = dir_ / filename;
  if (!is_existing_file(path)) {
    throw CheckpointError(folder_label(dir_) + " has no " + detail::quote(filename));
  }
  return path;
}

std::string CheckpointFolder::read_text(std::string_view filename) const {
  const fs::path path = file_path(filename);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw CheckpointError("file '" + path.string() + "': cannot be read");
  return text.str();
}

}  // namespace specrouter
