#pragma once
// Reading model.safetensors.index.json (private to the checkpoint module).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace specrouter::detail {

/// The parts of a shard index the reader uses.
struct ShardIndex {
  std::map<std::string, std::string> weight_map;  // tensor -> shard file name
  std::optional<std::uint64_t> total_size;        // metadata.total_size, if an integer
};

/// Parses the index at `path`. Throws CheckpointError naming the file for invalid JSON,
/// a missing or malformed `weight_map`, or a shard name that is not a plain file name
/// (empty, `.`, `..`, or containing `/`), which could otherwise reach outside the folder.
ShardIndex read_shard_index(const std::filesystem::path& path);

}  // namespace specrouter::detail
