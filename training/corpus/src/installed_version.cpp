// The installed version of a Debian package, from dpkg's database.
#include <cctype>
#include <cstdio>
#include <memory>

#include "specrouter/corpus/assemble.h"

namespace specrouter::corpus {

std::optional<std::string> dpkg_installed_version(const std::string& package) {
  for (const char c : package) {
    // Debian package names are [a-z0-9+.-]; refuse anything else rather than quote it.
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '+' || c == '-' || c == '.')) {
      return std::nullopt;
    }
  }
  const std::string command =
      "dpkg-query -W -f '${db:Status-Status} ${Version}' '" + package + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return std::nullopt;
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof(buffer), pipe.get()) != nullptr) output += buffer;
  const std::string installed = "installed ";
  if (output.rfind(installed, 0) != 0) return std::nullopt;
  return output.substr(installed.size());
}

}  // namespace specrouter::corpus
