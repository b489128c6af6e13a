#include "specrouter/corpus/lock_file.h"

#include <cstdio>
#include <fstream>
#include <set>

#include "specrouter/error.h"

namespace specrouter::corpus {

std::map<std::string, std::string> read_lock_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError("corpus lock file '" + file.string() + "' cannot be read");
  std::map<std::string, std::string> lock;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    const bool well_formed = line.size() > 66 && line.substr(64, 2) == "  " &&
                             line.find_first_not_of("0123456789abcdef") >= 64;
    if (!well_formed) {
      throw ConfigError("corpus lock file '" + file.string() + "', line " + std::to_string(number) +
                        ": expected '<64 hex digits>  <path>', got '" + line + "'");
    }
    lock[line.substr(66)] = line.substr(0, 64);
  }
  return lock;
}

void write_lock_file(const std::filesystem::path& file, const std::vector<LockedFile>& files) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw ConfigError("corpus lock file '" + temporary.string() + "' cannot be written");
    out << "# SpecRouter corpus lock: SHA-256 of every file the corpus reads (sha256sum -c format).\n"
           "# Written by `specrouter corpus build --update-lock`; a mismatch stops the build.\n";
    std::set<std::string> seen;
    for (const LockedFile& locked : files) {
      if (!locked.package.empty() && seen.insert(locked.package).second) {
        out << "# package " << locked.package << " " << locked.version << "\n";
      }
    }
    for (const LockedFile& locked : files) out << locked.sha256 << "  " << locked.path << "\n";
    if (!out.flush()) throw ConfigError("corpus lock file '" + temporary.string() + "': write failed");
  }
  if (std::rename(temporary.c_str(), file.c_str()) != 0) {
    throw ConfigError("corpus lock file '" + file.string() + "' cannot be replaced");
  }
}

std::vector<std::string> lock_differences(const std::map<std::string, std::string>& lock,
                                          const std::vector<LockedFile>& files) {
  std::vector<std::string> differences;
  std::set<std::string> read;
  for (const LockedFile& file : files) {
    read.insert(file.path);
    const std::string origin =
        file.package.empty() ? std::string() : " (package " + file.package + " " + file.version + ")";
    const auto it = lock.find(file.path);
    if (it == lock.end()) {
      differences.push_back("file '" + file.path + "'" + origin + " is not in the lock");
    } else if (it->second != file.sha256) {
      differences.push_back("file '" + file.path + "'" + origin + " has SHA-256 " + file.sha256 +
                            ", the lock pins " + it->second);
    }
  }
  for (const auto& [path, hash] : lock) {
    if (!read.contains(path)) differences.push_back("file '" + path + "' is in the lock but was not found");
  }
  return differences;
}

}  // namespace specrouter::corpus
