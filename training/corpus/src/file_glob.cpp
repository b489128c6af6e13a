// Glob expansion with POSIX calls (opendir/lstat): libtorch.so exports its own copies of
// some std::filesystem functions, which can win symbol resolution in processes linking it.
#include "specrouter/corpus/file_glob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

#include "specrouter/error.h"

namespace specrouter::corpus {
namespace {

std::vector<std::string> split_segments(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) segments.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool has_wildcard(std::string_view segment) { return segment.find_first_of("*?[") != std::string_view::npos; }

bool segments_match(const std::vector<std::string>& pattern, std::size_t p, const std::vector<std::string>& path,
                    std::size_t s) {
  if (p == pattern.size()) return s == path.size();
  if (pattern[p] == "**") {
    for (std::size_t skip = s; skip <= path.size(); ++skip) {
      if (segments_match(pattern, p + 1, path, skip)) return true;
    }
    return false;
  }
  if (s == path.size()) return false;
  if (::fnmatch(pattern[p].c_str(), path[s].c_str(), 0) != 0) return false;
  return segments_match(pattern, p + 1, path, s + 1);
}

// Lists regular files below `dir` (corpus path `prefix`), at most `depth` folders down.
void walk(const std::string& dir, const std::string& prefix, std::size_t depth, std::vector<std::string>& out) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    struct stat info {};
    const std::string full = dir + "/" + name;
    if (::lstat(full.c_str(), &info) != 0) continue;
    if (S_ISREG(info.st_mode)) {
      out.push_back(prefix + "/" + name);
    } else if (S_ISDIR(info.st_mode) && depth > 0) {
      walk(full, prefix + "/" + name, depth - 1, out);
    }
  }
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    const std::size_t slash = path.rfind('/');
    const std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
    return ::fnmatch(std::string(pattern).c_str(), name.c_str(), 0) == 0;
  }
  return segments_match(split_segments(pattern), 0, split_segments(path), 0);
}

std::vector<std::string> expand_glob(const std::string& root, const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw ConfigError("corpus glob '" + pattern + "' must be an absolute path (start with '/')");
  }
  const std::vector<std::string> segments = split_segments(pattern);
  // Walk only below the literal prefix, and no deeper than the pattern can reach.
  std::string prefix;
  std::size_t literal = 0;
  while (literal + 1 < segments.size() && !has_wildcard(segments[literal])) prefix += "/" + segments[literal++];
  const bool any_depth = std::find(segments.begin(), segments.end(), "**") != segments.end();
  const std::size_t depth = any_depth ? static_cast<std::size_t>(64) : segments.size() - literal - 1;
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") base.clear();
  std::vector<std::string> files;
  const std::string start = base + prefix;
  walk(start.empty() ? std::string("/") : start, prefix, depth, files);
  std::vector<std::string> matched;
  for (const std::string& file : files) {
    if (glob_matches(pattern, file)) matched.push_back(file);
  }
  std::sort(matched.begin(), matched.end());
  return matched;
}

}  // namespace specrouter::corpus
