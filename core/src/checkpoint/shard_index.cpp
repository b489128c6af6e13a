// The shard index of a sharded Hugging Face checkpoint.
#include "shard_index.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "json_parse.h"
#include "message_text.h"
#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::optional<std::uint64_t> read_total_size(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return std::nullopt;
  const auto it = metadata.find("total_size");
  if (it == metadata.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  // Some exporters wrote it as a float; accept an exact non-negative integer value.
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (value >= 0 && value < 1.8e19 && std::floor(value) == value) {
      return static_cast<std::uint64_t>(value);
    }
  }
  return std::nullopt;
}

}  // namespace

ShardIndex read_shard_index(const std::filesystem::path& path) {
  const std::string label = "shard index '" + path.string() + "'";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(label + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw CheckpointError(label + ": read failed");

  const nlohmann::json index = parse_json_strict(text.str(), label);
  if (!index.is_object()) throw CheckpointError(label + ": not a JSON object");
  const auto map_it = index.find("weight_map");
  if (map_it == index.end() || !map_it->is_object()) {
    throw CheckpointError(label + ": no \"weight_map\" object");
  }
  ShardIndex parsed;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      throw CheckpointError(label + ": weight_map entry for tensor " + quote(tensor) +
                            " is not a string");
    }
    std::string shard_name = shard.get<std::string>();
    if (!is_plain_file_name(shard_name)) {
      throw CheckpointError(label + ": weight_map puts tensor " + quote(tensor) + " in " +
                            quote(shard_name) + ", which is not a file name in the folder");
    }
    parsed.weight_map.emplace(tensor, std::move(shard_name));
  }
  if (const auto metadata_it = index.find("metadata"); metadata_it != index.end()) {
    parsed.total_size = read_total_size(*metadata_it);
  }
  return parsed;
}

}  // namespace specrouter::detail
