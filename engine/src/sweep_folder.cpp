// Finding the folder of a sweep, and the manifest that lets a rerun find it again.
#include "specrouter/engine/sweep_folder.h"

#include <yaml-cpp/yaml.h>

#include <fstream>

#include "specrouter/error.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

constexpr const char* kManifestName = "sweep.yaml";

fs::path manifest_path(const fs::path& folder) { return folder / ".specrouter" / kManifestName; }

struct Manifest {
  SweepCommand command;
  std::size_t jobs = 0;
  SweepClock::time_point now;
};

std::optional<Manifest> read_manifest(const fs::path& folder) {
  const fs::path path = manifest_path(folder);
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::nullopt;
  try {
    const YAML::Node root = YAML::LoadFile(path.string());
    Manifest manifest;
    manifest.command.config_dir = root["config_dir"].as<std::string>();
    manifest.command.config_name = root["config_name"].as<std::string>();
    for (const YAML::Node& item : root["overrides"]) manifest.command.overrides.push_back(item.as<std::string>());
    manifest.jobs = root["jobs"].as<std::size_t>();
    manifest.now = SweepClock::time_point(
        std::chrono::duration_cast<SweepClock::duration>(std::chrono::nanoseconds(root["now_ns"].as<std::int64_t>())));
    return manifest;
  } catch (const YAML::Exception& e) {
    throw ConfigError("sweep manifest " + path.string() + ": " + e.what());
  }
}

bool sweep_finished(const fs::path& folder, std::size_t jobs) {
  for (std::size_t job = 0; job < jobs; ++job) {
    if (!job_finished(folder / std::to_string(job))) return false;
  }
  return true;
}

// The deepest folder that is an ancestor of both (or equal to both).
fs::path common_ancestor(const fs::path& a, const fs::path& b) {
  fs::path common;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end() && ib != b.end() && *ia == *ib; ++ia, ++ib) common /= *ia;
  return common;
}

std::size_t depth_below(const fs::path& folder, const fs::path& ancestor) {
  std::size_t depth = 0;
  for (const auto& part : folder.lexically_relative(ancestor)) {
    if (part != ".") ++depth;
  }
  return depth;
}

// Folders exactly `depth` levels below `root` (the sibling sweeps of a time-named folder).
void folders_at_depth(const fs::path& root, std::size_t depth, std::vector<fs::path>& out) {
  std::error_code error;
  if (depth == 0) {
    out.push_back(root);
    return;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    if (entry.is_directory(error) && entry.path().filename() != ".specrouter") {
      folders_at_depth(entry.path(), depth - 1, out);
    }
  }
}

std::string yaml_list(const std::vector<std::string>& values) {
  YAML::Emitter out;
  out << YAML::Flow << values;
  return out.c_str();
}

}  // namespace

bool job_finished(const fs::path& job_folder) {
  std::error_code error;
  return fs::is_regular_file(job_folder / kJobResultsFile, error);
}

void record_job_error(const fs::path& job_folder, const std::string& message) {
  std::error_code error;
  fs::create_directories(job_folder, error);
  std::ofstream out(job_folder / kJobErrorFile, std::ios::trunc);
  out << message << "\n";
}

void clear_job_error(const fs::path& job_folder) {
  std::error_code error;
  fs::remove(job_folder / kJobErrorFile, error);
}

SweepLocation locate_sweep(const SweepCommand& command, std::size_t jobs, SweepClock::time_point now,
                           const std::function<fs::path(SweepClock::time_point)>& folder_at) {
  const fs::path folder = folder_at(now);
  // A time far enough away to change every field a folder name may take from the clock.
  const auto elsewhen = now - std::chrono::hours(24 * 400 + 1) - std::chrono::minutes(1) - std::chrono::seconds(1);
  const fs::path other = folder_at(elsewhen);

  if (folder == other) {
    const std::optional<Manifest> manifest = read_manifest(folder);
    if (!manifest) return {folder, now, false};
    if (!(manifest->command == command)) {
      throw ConfigError("sweep folder " + folder.string() + " holds another sweep (config '" +
                        manifest->command.config_name + "', overrides " + yaml_list(manifest->command.overrides) +
                        "); choose another run.sweep_dir, or delete that folder to start over");
    }
    return {folder, manifest->now, true};
  }

  const fs::path root = common_ancestor(folder, other);
  std::vector<fs::path> siblings;
  std::error_code error;
  if (!root.empty() && fs::is_directory(root, error)) folders_at_depth(root, depth_below(folder, root), siblings);
  std::optional<Manifest> best;
  fs::path best_folder;
  for (const fs::path& sibling : siblings) {
    std::optional<Manifest> manifest;
    try {
      manifest = read_manifest(sibling);
    } catch (const ConfigError&) {
      continue;  // another tool's or a damaged manifest is not ours to resume
    }
    if (!manifest || !(manifest->command == command) || sweep_finished(sibling, manifest->jobs)) continue;
    if (best && manifest->now <= best->now) continue;
    // Only a folder this config would name again can be resumed.
    if (folder_at(manifest->now).lexically_normal() != sibling.lexically_normal()) continue;
    best = manifest;
    best_folder = sibling;
  }
  if (best) return {best_folder, best->now, true};
  return {folder, now, false};
}

void write_sweep_manifest(const SweepLocation& location, const SweepCommand& command, std::size_t jobs) {
  const fs::path path = manifest_path(location.folder);
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) throw ConfigError("cannot create sweep folder " + path.parent_path().string() + ": " + error.message());
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "config_dir" << YAML::Value << command.config_dir.string();
  out << YAML::Key << "config_name" << YAML::Value << command.config_name;
  out << YAML::Key << "overrides" << YAML::Value << YAML::BeginSeq;
  for (const std::string& text : command.overrides) out << YAML::DoubleQuoted << text;
  out << YAML::EndSeq;
  out << YAML::Key << "jobs" << YAML::Value << jobs;
  out << YAML::Key << "now_ns" << YAML::Value
      << std::chrono::duration_cast<std::chrono::nanoseconds>(location.now.time_since_epoch()).count();
  out << YAML::EndMap;
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << "# Written by `specrouter -m`: running the same command again resumes this sweep,\n"
            "# skipping the jobs whose folder holds results.h5 (docs/design/sweeps.md).\n"
         << out.c_str() << "\n";
    if (!file.flush()) throw ConfigError("cannot write " + temporary.string());
  }
  fs::rename(temporary, path, error);
  if (error) throw ConfigError("cannot rename " + temporary.string() + " to " + path.string() + ": " + error.message());
}

}  // namespace specrouter::engine
