// End- and beginning-of-sequence ids from generation_config.json and config.json.
#include <limits>

#include "json_parse.h"
#include "message_text.h"
#include "specrouter/checkpoint/checkpoint_folder.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

using nlohmann::json;

// A config file's JSON object, or null when the folder does not have the file.
json read_config(const CheckpointFolder& folder, const char* filename) {
  if (!folder.has_file(filename)) return json();
  const std::string where = "file '" + folder.file_path(filename).string() + "'";
  json parsed = detail::parse_json_strict(folder.read_text(filename), where);
  if (!parsed.is_object()) throw CheckpointError(where + ": not a JSON object");
  return parsed;
}

// The key's value, or null when the file or the key is absent (or the value is null).
const json* lookup(const json& config, const char* key) {
  if (!config.is_object()) return nullptr;
  const auto it = config.find(key);
  return it == config.end() || it->is_null() ? nullptr : &*it;
}

TokenId token_id(const json& value, const CheckpointFolder& folder, const char* filename,
                 const char* key, bool list_allowed) {
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
      value.get<std::int64_t>() <= std::numeric_limits<TokenId>::max()) {
    return static_cast<TokenId>(value.get<std::int64_t>());
  }
  throw CheckpointError("file '" + (folder.dir() / filename).string() + "': " + key + " " +
                        detail::one_line(value.dump()) +
                        " is not a non-negative 32-bit integer" +
                        (list_allowed ? " or a list of them" : ""));
}

}  // namespace

SpecialTokenIds CheckpointFolder::special_token_ids() const {
  const json generation = read_config(*this, kGenerationConfigFile);
  const json config = read_config(*this, kConfigFile);
  SpecialTokenIds ids;

  const char* eos_file = kGenerationConfigFile;
  const json* eos = lookup(generation, "eos_token_id");
  if (eos == nullptr) {
    eos_file = kConfigFile;
    eos = lookup(config, "eos_token_id");
  }
  if (eos != nullptr) {
    ids.eos_source = eos_file;
    if (eos->is_array()) {
      for (const json& item : *eos) {
        ids.eos_token_ids.push_back(token_id(item, *this, eos_file, "eos_token_id", true));
      }
    } else {
      ids.eos_token_ids.push_back(token_id(*eos, *this, eos_file, "eos_token_id", true));
    }
  }

  const char* bos_file = kGenerationConfigFile;
  const json* bos = lookup(generation, "bos_token_id");
  if (bos == nullptr) {
    bos_file = kConfigFile;
    bos = lookup(config, "bos_token_id");
  }
  if (bos != nullptr) {
    ids.bos_source = bos_file;
    ids.bos_token_id = token_id(*bos, *this, bos_file, "bos_token_id", false);
  }
  return ids;
}

}  // namespace specrouter
