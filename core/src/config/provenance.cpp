// Origins of config values.
#include "specrouter/config/provenance.h"

namespace specrouter {
namespace {

// True when `path` is `ancestor` or lies below it (`a.b`, `a.b.c`, `a.b[0]`, not `a.bc`).
bool is_within(const std::string& path, const std::string& ancestor) {
  if (ancestor.empty()) return true;
  if (path.compare(0, ancestor.size(), ancestor) != 0) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '.' || path[ancestor.size()] == '[';
}

// `a.b[0]` -> `a.b` -> `a` -> ``.
std::string parent_path(const std::string& path) {
  const std::size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

}  // namespace

std::string Origin::describe() const {
  if (from_command_line()) return "command-line override '" + override_text + "'";
  if (file.empty()) return "an unknown source";
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out;
}

void Provenance::set(const std::string& path, Origin origin) { entries_[path] = std::move(origin); }

void Provenance::replace(const std::string& path, Origin origin) {
  erase(path);
  set(path, std::move(origin));
}

void Provenance::erase(const std::string& path) {
  auto it = entries_.lower_bound(path);
  while (it != entries_.end() && it->first.compare(0, path.size(), path) == 0) {
    it = is_within(it->first, path) ? entries_.erase(it) : std::next(it);
  }
}

std::optional<Origin> Provenance::find(const std::string& path) const {
  std::string current = path;
  while (true) {
    auto it = entries_.find(current);
    if (it != entries_.end()) return it->second;
    if (current.empty()) return std::nullopt;
    current = parent_path(current);
  }
}

}  // namespace specrouter
