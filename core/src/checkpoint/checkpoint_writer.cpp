// write_checkpoint_folder: the files transformers' save_pretrained writes, written
// atomically, plus the cleanup of an earlier save's weight files.
#include "specrouter/checkpoint/checkpoint_writer.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>

#include "atomic_file.h"
#include "json_emit.h"
#include "json_parse.h"
#include "message_text.h"
#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

namespace fs = std::filesystem;

std::string shard_file_name(std::size_t number, std::size_t count) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", number, count);
  return name;
}

void require_json_object(const std::string& text, const std::string& what) {
  if (!detail::parse_json_strict(text, what).is_object()) {
    throw CheckpointError(what + ": not a JSON object");
  }
}

// The index exactly as `json.dumps(index, indent=2, sort_keys=True) + "\n"` prints it.
std::string index_json(std::span<const TensorToWrite> tensors, const ShardPlan& plan) {
  std::uint64_t total_parameters = 0;
  for (const TensorToWrite& tensor : tensors) {
    std::uint64_t numel = 1;
    for (const std::int64_t dim : tensor.shape) numel *= static_cast<std::uint64_t>(dim);
    total_parameters += numel;
  }
  std::map<std::string_view, std::string_view> weight_map;  // sorted, as sort_keys does
  for (std::size_t file = 0; file < plan.files.size(); ++file) {
    for (const std::size_t index : plan.tensors_per_file[file]) {
      weight_map.emplace(tensors[index].name, plan.files[file]);
    }
  }
  std::string json = "{\n  \"metadata\": {\n    \"total_parameters\": " +
                     std::to_string(total_parameters) + ",\n    \"total_size\": " +
                     std::to_string(plan.total_size) + "\n  },\n  \"weight_map\": {";
  bool first = true;
  for (const auto& [tensor, file] : weight_map) {
    json += first ? "\n    " : ",\n    ";
    first = false;
    detail::append_python_json_string(json, tensor);
    json += ": ";
    detail::append_python_json_string(json, file);
  }
  json += weight_map.empty() ? "}\n}\n" : "\n  }\n}\n";
  return json;
}

void copy_file_atomically(const fs::path& source, const fs::path& destination) {
  std::error_code error;
  if (fs::equivalent(source, destination, error)) return;  // already in place
  std::ifstream in(source, std::ios::binary);
  if (!in) throw CheckpointError("file '" + source.string() + "': cannot be read");
  detail::AtomicFileWriter writer(destination);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    writer.write(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) throw CheckpointError("file '" + source.string() + "': read failed");
  writer.commit();
}

// Removes weight files of an earlier save that the new one does not use, the way
// save_pretrained cleans shards, and also the other kind's entry point so the folder
// is unambiguous.
void remove_stale_weight_files(const fs::path& dir, const ShardPlan& plan) {
  static const std::regex kShardPattern(R"(model-\d{5}-of-\d{5}\.safetensors)");
  const std::set<std::string> kept(plan.files.begin(), plan.files.end());
  std::vector<fs::path> stale;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const bool stale_shard = std::regex_match(name, kShardPattern) && !kept.contains(name);
    const bool stale_single = name == kSingleWeightsFile && !kept.contains(name);
    const bool stale_index = name == kShardIndexFile && !plan.is_sharded();
    if ((stale_shard || stale_single || stale_index) && entry.is_regular_file(error)) {
      stale.push_back(entry.path());
    }
  }
  for (const fs::path& path : stale) {  // after listing: never unlink while iterating
    if (!fs::remove(path, error) && error) {
      throw CheckpointError("checkpoint folder '" + dir.string() + "': cannot remove stale '" +
                            path.filename().string() + "': " + error.message());
    }
  }
}

}  // namespace

ShardPlan plan_shards(std::span<const TensorToWrite> tensors, std::uint64_t max_shard_bytes) {
  if (max_shard_bytes == 0) throw CheckpointError("plan_shards: max_shard_bytes must be positive");
  std::vector<std::vector<std::size_t>> shards;
  std::vector<std::size_t> current;
  std::uint64_t current_size = 0;
  ShardPlan plan;
  for (std::size_t index = 0; index < tensors.size(); ++index) {
    const std::uint64_t size = tensors[index].data.size();
    plan.total_size += size;
    if (size > max_shard_bytes) {
      shards.push_back({index});
      continue;
    }
    if (current_size + size > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_size = 0;
    }
    current.push_back(index);
    current_size += size;
  }
  if (!current.empty() || shards.empty()) shards.push_back(std::move(current));

  for (std::size_t i = 0; i < shards.size(); ++i) {
    plan.files.push_back(shards.size() == 1 ? std::string(kSingleWeightsFile)
                                            : shard_file_name(i + 1, shards.size()));
  }
  plan.tensors_per_file = std::move(shards);
  return plan;
}

std::vector<fs::path> write_checkpoint_folder(const fs::path& dir,
                                              std::span<const TensorToWrite> tensors,
                                              const std::string& config_json_text,
                                              const CheckpointWriteOptions& options) {
  const std::string label = "checkpoint folder '" + dir.string() + "'";
  require_json_object(config_json_text, label + ": config.json text");
  if (options.generation_config_json_text) {
    require_json_object(*options.generation_config_json_text,
                        label + ": generation_config.json text");
  }
  if (options.tokenizer_json_path && options.tokenizer_json_text) {
    throw CheckpointError(label + ": give tokenizer.json as a path or as text, not both");
  }
  // Validates every tensor, and name uniqueness across shards, before writing anything.
  (void)safetensors_header_json(tensors, std::nullopt);
  const ShardPlan plan = plan_shards(tensors, options.max_shard_bytes);

  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw CheckpointError(label + ": cannot create: " + error.message());

  std::vector<fs::path> written;
  for (std::size_t file = 0; file < plan.files.size(); ++file) {
    std::vector<TensorToWrite> shard;
    for (const std::size_t index : plan.tensors_per_file[file]) shard.push_back(tensors[index]);
    written.push_back(dir / plan.files[file]);
    write_safetensors(written.back(), shard, options.weights_metadata);
  }
  if (plan.is_sharded()) {
    detail::write_text_file_atomically(dir / kShardIndexFile, index_json(tensors, plan));
  }
  detail::write_text_file_atomically(dir / kConfigFile, config_json_text);
  if (options.generation_config_json_text) {
    detail::write_text_file_atomically(dir / kGenerationConfigFile,
                                       *options.generation_config_json_text);
  }
  if (options.tokenizer_json_text) {
    detail::write_text_file_atomically(dir / kTokenizerFile, *options.tokenizer_json_text);
  } else if (options.tokenizer_json_path) {
    copy_file_atomically(*options.tokenizer_json_path, dir / kTokenizerFile);
  }
  remove_stale_weight_files(dir, plan);
  return written;
}

}  // namespace specrouter
