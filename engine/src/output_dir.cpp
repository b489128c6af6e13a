// Run folders. Files are written to a temporary name and renamed, so a reader never
// sees half a config.
#include "specrouter/engine/output_dir.h"

#include <fstream>

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

namespace fs = std::filesystem;

// The folder named by `key` in the config, or `fallback` resolved like a config value.
fs::path configured_dir(const ComposedConfig& config, const std::string& key, const char* fallback) {
  YAML::Node node = config.find(key);
  if (!node.IsDefined() || node.IsNull()) {
    node = config.resolve_text(fallback, key);
  }
  if (!node.IsScalar() || node.Scalar().empty()) {
    throw ConfigError(config.describe_key(key) + ": an output folder must be a non-empty string, found " +
                      describe_value(node));
  }
  return fs::path(node.Scalar());
}

void write_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw ConfigError("cannot write " + temporary.string());
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) throw ConfigError("cannot rename " + temporary.string() + " to " + path.string() + ": " + error.message());
}

}  // namespace

fs::path output_dir_of(const ComposedConfig& config, const OutputDirOptions& options) {
  fs::path dir = options.job_number
                     ? configured_dir(config, "run.sweep_dir", kDefaultSweepDir) / std::to_string(*options.job_number)
                     : configured_dir(config, "run.output_dir", kDefaultOutputDir);
  if (dir.is_relative()) dir = (options.base_dir.empty() ? fs::current_path() : options.base_dir) / dir;
  return dir.lexically_normal();
}

fs::path prepare_output_dir(const ComposedConfig& config, const OutputDirOptions& options) {
  const fs::path dir = output_dir_of(config, options);
  const fs::path meta = dir / ".specrouter";
  std::error_code error;
  fs::create_directories(meta, error);
  if (error) throw ConfigError("cannot create output folder " + meta.string() + ": " + error.message());
  write_file(meta / "config.yaml", config.to_yaml());
  // A block list, one override per line, each quoted when YAML needs it.
  std::string overrides;
  for (const std::string& text : config.overrides()) overrides += "- " + to_flow_yaml(make_string_node(text)) + "\n";
  write_file(meta / "overrides.yaml", overrides.empty() ? "[]\n" : overrides);
  return dir;
}

}  // namespace specrouter
