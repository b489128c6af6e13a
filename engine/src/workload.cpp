// Reading the workload section and its JSONL prompt files; every refusal names the key or
// the file and line at fault.
#include "specrouter/engine/workload.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "specrouter/engine/config_values.h"
#include "specrouter/error.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string json_type(const json& value) {
  if (value.is_string()) return "a string";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  return "an object";
}

std::string text_field(const json& object, const char* field, const std::string& where) {
  if (!object.contains(field)) throw ConfigError(where + ": missing field '" + field + "'");
  const json& value = object.at(field);
  if (!value.is_string()) {
    throw ConfigError(where + ": field '" + field + "' must be a string, not " + json_type(value));
  }
  return value.get<std::string>();
}

std::int64_t capped(std::int64_t requested, std::int64_t cap) { return cap > 0 ? std::min(requested, cap) : requested; }

// A prompt file named in the config: relative to the working directory, else to the
// source tree (so experiments run from anywhere).
fs::path locate(const fs::path& file, const fs::path& source_dir) {
  if (file.is_absolute() || fs::exists(file) || source_dir.empty()) return file;
  const fs::path in_source = source_dir / file;
  return fs::exists(in_source) ? in_source : file;
}

}  // namespace

std::vector<WorkloadPrompt> read_prompt_file(const fs::path& path, std::int64_t max_new_tokens_cap) {
  // A folder or a device opens and reads as nothing: say what it is instead.
  std::error_code error;
  if (fs::is_directory(path, error)) throw ConfigError("workload file " + path.string() + ": is a folder, not a JSONL file");
  if (fs::exists(path, error) && !fs::is_regular_file(path, error)) {
    throw ConfigError("workload file " + path.string() + ": is not a regular file (a device or a pipe)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("workload file " + path.string() + ": cannot be opened");
  std::vector<WorkloadPrompt> prompts;
  std::set<std::string> ids;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    json object;
    try {
      object = json::parse(line);
    } catch (const json::exception& error) {  // parse errors, and numbers out of range (1e400)
      throw ConfigError(where + ": not a JSON line (" + error.what() + ")");
    }
    if (!object.is_object()) throw ConfigError(where + ": expected a JSON object, not " + json_type(object));
    WorkloadPrompt prompt;
    prompt.id = text_field(object, "id", where);
    prompt.request_class = text_field(object, "class", where);
    prompt.prompt = text_field(object, "prompt", where);
    if (!object.contains("max_new_tokens")) throw ConfigError(where + ": missing field 'max_new_tokens'");
    const json& limit = object.at("max_new_tokens");
    if (!limit.is_number_integer() || limit.get<std::int64_t>() < 1) {
      throw ConfigError(where + ": field 'max_new_tokens' must be a positive integer, not " +
                        (limit.is_number_integer() ? limit.dump() : json_type(limit)));
    }
    prompt.max_new_tokens = capped(limit.get<std::int64_t>(), max_new_tokens_cap);
    if (prompt.id.empty()) throw ConfigError(where + ": field 'id' is empty");
    if (!ids.insert(prompt.id).second) throw ConfigError(where + ": id '" + prompt.id + "' appears twice");
    prompts.push_back(std::move(prompt));
  }
  if (prompts.empty()) throw ConfigError("workload file " + path.string() + ": holds no prompts (empty or blank lines only)");
  return prompts;
}

Workload read_workload(const ComposedConfig& config, const fs::path& source_dir) {
  Workload workload;
  workload.name = config_value_or<std::string>(config, "workload.name", "");
  if (workload.name.empty()) throw ConfigError(config.describe_key("workload.name") + ": every workload needs a name");
  // Older configs (the smoke workload) give one max_new_tokens for all; it caps file values.
  const auto cap = config_value_or<std::int64_t>(config, "workload.max_new_tokens", 0);
  if (cap < 0) throw ConfigError(config.describe_key("workload.max_new_tokens") + ": must be >= 0 (0 = the files' values)");

  const YAML::Node files = config.find("workload.files");
  if (files.IsDefined() && !files.IsNull()) {
    if (!files.IsSequence()) throw ConfigError(config.describe_key("workload.files") + ": expected a list of JSONL files");
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string key = "workload.files[" + std::to_string(i) + "]";
      const fs::path file = locate(config_value_or<std::string>(config, key, ""), source_dir);
      if (!fs::exists(file)) throw ConfigError(config.describe_key(key) + ": no workload file at " + file.string());
      for (WorkloadPrompt& prompt : read_prompt_file(file, cap)) workload.prompts.push_back(std::move(prompt));
    }
  }
  const YAML::Node inline_prompts = config.find("workload.prompts");
  if (inline_prompts.IsDefined() && !inline_prompts.IsNull()) {
    if (!inline_prompts.IsSequence()) {
      throw ConfigError(config.describe_key("workload.prompts") + ": expected a list of {id, class, text}");
    }
    for (std::size_t i = 0; i < inline_prompts.size(); ++i) {
      const std::string entry = "workload.prompts[" + std::to_string(i) + "]";
      for (const char* field : {"id", "class", "text"}) {
        if (!config.has(entry + "." + field)) throw ConfigError(config.describe_key(entry) + ": missing field '" + field + "'");
      }
      const std::int64_t limit = config_value_or<std::int64_t>(config, entry + ".max_new_tokens", cap > 0 ? cap : 32);
      workload.prompts.push_back({config_value_or<std::string>(config, entry + ".id", ""),
                                  config_value_or<std::string>(config, entry + ".class", ""),
                                  config_value_or<std::string>(config, entry + ".text", ""), capped(limit, cap)});
    }
  }
  if (workload.prompts.empty()) {
    throw ConfigError(config.describe_key("workload") + ": no prompts (give `files` of JSONL prompts or inline `prompts`)");
  }
  std::set<std::string> ids;
  for (const WorkloadPrompt& prompt : workload.prompts) {
    if (!ids.insert(prompt.id).second) {
      throw ConfigError(config.describe_key("workload") + ": request id '" + prompt.id + "' appears in two places");
    }
  }

  // Interleaving by class makes a mixed workload mixed from its first requests on.
  const std::string order = config_value_or<std::string>(config, "workload.order", "interleaved");
  if (order == "interleaved") {
    std::vector<std::string> classes;
    std::map<std::string, std::vector<WorkloadPrompt>> by_class;
    for (WorkloadPrompt& prompt : workload.prompts) {
      if (!by_class.count(prompt.request_class)) classes.push_back(prompt.request_class);
      by_class[prompt.request_class].push_back(std::move(prompt));
    }
    workload.prompts.clear();
    for (std::size_t round = 0; workload.prompts.size() < ids.size(); ++round) {
      for (const std::string& request_class : classes) {
        std::vector<WorkloadPrompt>& of_class = by_class[request_class];
        if (round < of_class.size()) workload.prompts.push_back(std::move(of_class[round]));
      }
    }
  } else if (order != "listed") {
    throw ConfigError(config.describe_key("workload.order") + ": '" + order + "' is not interleaved or listed");
  }

  workload.requests = config_value_or<std::int64_t>(config, "workload.requests", 0);
  if (workload.requests < 0) throw ConfigError(config.describe_key("workload.requests") + ": must be >= 0");
  workload.max_batch_size = config_value_or<int>(config, "workload.max_batch_size", 4);
  if (workload.max_batch_size < 1) throw ConfigError(config.describe_key("workload.max_batch_size") + ": must be >= 1");

  const std::string process = config_value_or<std::string>(config, "workload.arrival.process", "closed");
  if (process == "closed") {
    workload.arrival.kind = ArrivalProcess::Kind::kClosed;
    workload.arrival.concurrency = config_value_or<int>(config, "workload.arrival.concurrency", workload.max_batch_size);
    if (workload.arrival.concurrency < 1) {
      throw ConfigError(config.describe_key("workload.arrival.concurrency") + ": must be >= 1");
    }
  } else if (process == "poisson") {
    workload.arrival.kind = ArrivalProcess::Kind::kPoisson;
    workload.arrival.rate = config_value_or<double>(config, "workload.arrival.rate", 0.0);
    if (!(workload.arrival.rate > 0)) {
      throw ConfigError(config.describe_key("workload.arrival.rate") + ": a Poisson process needs a rate > 0 (requests/s)");
    }
  } else {
    throw ConfigError(config.describe_key("workload.arrival.process") + ": '" + process + "' is not closed or poisson");
  }

  workload.temperature = config_value_or<double>(config, "workload.sampling.temperature", 0.0);
  workload.top_k = config_value_or<std::int64_t>(config, "workload.sampling.top_k", 0);
  workload.top_p = config_value_or<double>(config, "workload.sampling.top_p", 1.0);
  if (workload.top_k < 0) throw ConfigError(config.describe_key("workload.sampling.top_k") + ": must be >= 0");
  if (!(workload.top_p > 0 && workload.top_p <= 1)) {
    throw ConfigError(config.describe_key("workload.sampling.top_p") + ": must be in (0, 1]");
  }
  return workload;
}

}  // namespace specrouter::engine
