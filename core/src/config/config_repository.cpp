// Reading config files: YAML errors become ConfigErrors with file:line:col, the defaults
// list is parsed into entries, and `# @package` headers are read from the leading
// comment block.
#include "config_repository.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEntryForms =
    "expected '- group: option', '- optional group: option', '- override group: option', '- group: null', "
    "'- path/to/config' or '- _self_'";

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// A name must stay inside the config folder.
bool is_safe_name(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  std::stringstream parts(name);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// `# @package foo.bar` in the comment block at the top of the file.
std::optional<std::string> read_package_header(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string stripped = trim(line);
    if (stripped.empty()) continue;
    if (stripped[0] != '#') break;
    std::istringstream words(stripped.substr(1));
    std::string directive, package;
    if (words >> directive && directive == "@package" && words >> package) return package;
  }
  return std::nullopt;
}

void check_unique_keys(const YAML::Node& node, const fs::path& file) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& item : node) {
      if (!item.first.IsScalar()) {
        throw ConfigError(origin_in(file, item.first).describe() + ": mapping keys must be scalars");
      }
      if (!seen.insert(item.first.Scalar()).second) {
        throw ConfigError(origin_in(file, item.first).describe() + ": duplicate key '" + item.first.Scalar() + "'");
      }
      check_unique_keys(item.second, file);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_unique_keys(item, file);
  }
}

[[noreturn]] void bad_entry(const Origin& origin, const std::string& text, const std::string& why) {
  throw ConfigError(origin.describe() + ": malformed defaults entry '" + text + "': " + why + "; " + kEntryForms);
}

// Splits `group@package`; `_here_` means the including config's package.
void split_package(const std::string& target, DefaultsEntry& entry) {
  const std::size_t at = target.find('@');
  entry.group = target.substr(0, at);
  if (at != std::string::npos) {
    std::string package = target.substr(at + 1);
    entry.package = package == "_here_" ? "" : package;
  }
}

DefaultsEntry parse_entry(const YAML::Node& node, const fs::path& file) {
  DefaultsEntry entry;
  entry.origin = origin_in(file, node);
  if (node.IsScalar()) {
    const std::string value = trim(node.Scalar());
    entry.text = "- " + value;
    if (value == "_self_") return entry;
    if (value.find(' ') != std::string::npos) {
      bad_entry(entry.origin, entry.text, "a config entry is one path; 'optional' and 'override' need 'group: option'");
    }
    entry.kind = DefaultsEntry::Kind::kConfig;
    split_package(value, entry);
    if (entry.group.empty()) bad_entry(entry.origin, entry.text, "the config path is empty");
    return entry;
  }
  if (!node.IsMap() || node.size() != 1) {
    entry.text = "- ...";
    bad_entry(entry.origin, entry.text, "an entry is a string or a mapping with one key");
  }
  const auto item = *node.begin();
  const YAML::Node& value = item.second;
  const std::string key = trim(item.first.Scalar());
  entry.kind = DefaultsEntry::Kind::kGroup;
  entry.text = "- " + key + ": " + (value.IsNull() ? std::string("null") : value.IsScalar() ? value.Scalar() : "...");
  std::istringstream words(key);
  std::vector<std::string> tokens;
  for (std::string word; words >> word;) tokens.push_back(word);
  if (tokens.empty()) bad_entry(entry.origin, entry.text, "the group is empty");
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i] == "override") {
      entry.is_override = true;
    } else if (tokens[i] == "optional") {
      entry.is_optional = true;
    } else {
      bad_entry(entry.origin, entry.text, "unknown keyword '" + tokens[i] + "'");
    }
  }
  split_package(tokens.back(), entry);
  if (entry.group.empty() || entry.group == "/") bad_entry(entry.origin, entry.text, "the group is empty");
  if (entry.group == "_self_") bad_entry(entry.origin, entry.text, "_self_ takes no option");
  if (value.IsSequence()) bad_entry(entry.origin, entry.text, "lists of options are not supported");
  if (value.IsMap()) bad_entry(entry.origin, entry.text, "the option must be a name or null");
  if (!value.IsNull()) {
    entry.option = trim(value.Scalar());
    if (entry.option->empty()) bad_entry(entry.origin, entry.text, "the option is empty");
  }
  return entry;
}

}  // namespace

Origin origin_in(const fs::path& file, const YAML::Node& node) {
  Origin origin;
  origin.file = file.string();
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    origin.line = mark.line + 1;
    origin.column = mark.column + 1;
  }
  return origin;
}

ConfigRepository::ConfigRepository(fs::path config_dir, std::vector<fs::path> search_path)
    : dir_(std::move(config_dir)) {
  folders_.push_back(dir_);
  for (fs::path& folder : search_path) folders_.push_back(std::move(folder));
}

fs::path ConfigRepository::file_of(const std::string& name) const {
  std::error_code error;
  for (const fs::path& folder : folders_) {
    if (fs::is_regular_file(folder / (name + ".yaml"), error)) return folder / (name + ".yaml");
  }
  return dir_ / (name + ".yaml");
}

const ConfigFile* ConfigRepository::load(const std::string& name) {
  auto cached = cache_.find(name);
  if (cached != cache_.end()) return cached->second.get();
  if (!is_safe_name(name)) throw ConfigError("config name '" + name + "' leaves the config folder " + dir_.string());
  const fs::path path = file_of(name);
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string() + ": cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  auto file = std::make_unique<ConfigFile>();
  file->name = name;
  file->path = path;
  file->package_header = read_package_header(text);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Origin where{path.string(), e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1, ""};
    throw ConfigError(where.describe() + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw ConfigError(origin_in(path, root).describe() + ": a config file must hold a mapping, not a " +
                      (root.IsSequence() ? "sequence" : "scalar"));
  }
  check_unique_keys(root, path);
  const YAML::Node& const_root = root;
  const YAML::Node defaults = const_root["defaults"];
  if (defaults.IsDefined()) {
    if (!defaults.IsSequence() && !defaults.IsNull()) {
      throw ConfigError(origin_in(path, defaults).describe() + ": 'defaults' must be a list");
    }
    for (const auto& item : defaults) file->defaults.push_back(parse_entry(item, path));
    root.remove("defaults");
  }
  file->content = root;
  const ConfigFile* out = file.get();
  cache_.emplace(name, std::move(file));
  return out;
}

bool ConfigRepository::is_group(const std::string& group) const {
  if (!is_safe_name(group)) return false;
  std::error_code error;
  return std::any_of(folders_.begin(), folders_.end(),
                     [&](const fs::path& folder) { return fs::is_directory(folder / group, error); });
}

std::vector<std::string> ConfigRepository::options(const std::string& group) const {
  std::vector<std::string> out;
  if (!group.empty() && !is_group(group)) return out;
  for (const fs::path& root : folders_) {
    std::error_code error;
    const fs::path folder = group.empty() ? root : root / group;
    if (!fs::is_directory(folder, error)) continue;
    for (const auto& item : fs::directory_iterator(folder)) {
      if (item.is_regular_file() && item.path().extension() == ".yaml") out.push_back(item.path().stem().string());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> ConfigRepository::groups() const {
  std::vector<std::string> out;
  for (const fs::path& root : folders_) {
    std::error_code error;
    if (!fs::is_directory(root, error)) continue;
    for (auto it = fs::recursive_directory_iterator(root, error); it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory()) out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace specrouter::detail
