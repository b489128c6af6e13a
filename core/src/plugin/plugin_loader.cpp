// Finds plugin libraries, checks their entry point, and registers them.
#include "specrouter/plugin/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "specrouter/plugin/plugin_api.h"

namespace specrouter {
namespace fs = std::filesystem;

namespace {

constexpr const char* kEntryPointName = "specrouter_plugin_entry";

[[noreturn]] void refuse(const fs::path& file, const std::string& reason) {
  throw PluginError("plugin " + file.string() + ": " + reason);
}

bool has_elf_magic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

// dlerror() repeats the path and wraps the reason; keep the part a user can act on.
std::string explain_dlopen_failure(const std::string& message) {
  const std::string marker = "undefined symbol: ";
  if (auto pos = message.find(marker); pos != std::string::npos) {
    return "undefined symbol " + message.substr(pos + marker.size()) +
           " (built against another core or missing a library)";
  }
  if (message.find("ELF") != std::string::npos || message.find("file too short") != std::string::npos ||
      message.find("cannot read file data") != std::string::npos) {
    return "not a shared library (corrupt or truncated ELF file)";
  }
  auto colon = message.rfind(": ");
  return "dlopen failed: " + (colon == std::string::npos ? message : message.substr(colon + 2));
}

// Directory of libspecrouter.so itself, to find the installed plugin folder beside it.
fs::path core_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&core_build_fingerprint), &info) == 0 || !info.dli_fname) return {};
  std::error_code ec;
  fs::path path = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path{} : path.parent_path();
}

}  // namespace

PluginLoader::PluginLoader(Registries& registries) : registries_(registries) {}

void PluginLoader::load_file(const fs::path& library) {
  std::error_code ec;
  if (!fs::is_regular_file(library, ec)) refuse(library, "no such file");
  const fs::path canonical = fs::canonical(library, ec);
  if (ec) refuse(library, "cannot resolve path: " + ec.message());
  if (std::find(loaded_files_.begin(), loaded_files_.end(), canonical) != loaded_files_.end()) return;
  if (!has_elf_magic(library)) refuse(library, "not a shared library (no ELF header)");

  dlerror();
  void* raw_handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!raw_handle) {
    const char* message = dlerror();
    refuse(library, explain_dlopen_failure(message ? message : "unknown error"));
  }
  std::shared_ptr<void> handle(raw_handle, [](void* h) { dlclose(h); });

  auto entry_fn = reinterpret_cast<SpecRouterPluginEntryFn>(dlsym(raw_handle, kEntryPointName));
  if (!entry_fn) {
    refuse(library, std::string("missing entry point ") + kEntryPointName +
                        " (not a SpecRouter plugin, or not built with SPECROUTER_PLUGIN)");
  }
  const SpecRouterPluginEntry* entry = entry_fn();
  if (!entry) refuse(library, std::string(kEntryPointName) + " returned null");
  if (entry->api_version != SPECROUTER_PLUGIN_API_VERSION) {
    refuse(library, "plugin API version " + std::to_string(entry->api_version) + ", but this core has " +
                        std::to_string(SPECROUTER_PLUGIN_API_VERSION) + "; rebuild the plugin");
  }
  const std::string fingerprint = entry->fingerprint ? entry->fingerprint : "";
  if (fingerprint != core_build_fingerprint()) {
    refuse(library, "build fingerprint mismatch: plugin '" + fingerprint + "', core '" +
                        core_build_fingerprint() + "'; rebuild the plugin with the core's toolchain");
  }
  if (!entry->register_components) refuse(library, "entry point has no registration function");

  {
    // The registrar's staged factories are code from the library: destroy them before
    // the handle can be released.
    PluginRegistrar registrar(canonical.string());
    char error[1024] = {};
    if (entry->register_components(&registrar, error, sizeof error) != 0) {
      refuse(library, std::string("registration failed: ") + (error[0] ? error : "unknown error"));
    }
    try {
      registrar.commit(registries_, handle);
    } catch (const PluginError& e) {
      refuse(library, e.what());
    }
  }
  loaded_files_.push_back(canonical);
}

PluginLoadReport PluginLoader::load_directories(const std::vector<fs::path>& folders) {
  PluginLoadReport report;
  for (const fs::path& folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) continue;
    std::vector<fs::path> libraries;
    for (const auto& item : fs::directory_iterator(folder, ec)) {
      if (item.path().extension() == ".so") libraries.push_back(item.path());
    }
    std::sort(libraries.begin(), libraries.end());  // deterministic registration order
    for (const fs::path& library : libraries) {
      try {
        const std::size_t before = loaded_files_.size();
        load_file(library);
        if (loaded_files_.size() > before) report.loaded.push_back(library);
      } catch (const PluginError& e) {
        report.errors.emplace_back(e.what());
      }
    }
  }
  return report;
}

std::vector<fs::path> PluginLoader::default_search_path() {
  std::vector<fs::path> folders;
  if (const char* env = std::getenv(kPluginPathEnv)) {
    std::string paths = env;
    std::size_t start = 0;
    while (start <= paths.size()) {
      std::size_t end = paths.find(':', start);
      if (end == std::string::npos) end = paths.size();
      if (end > start) folders.emplace_back(paths.substr(start, end - start));
      start = end + 1;
    }
  }
  std::error_code ec;
  const fs::path installed = core_library_dir() / "specrouter" / "plugins";
  if (fs::is_directory(installed, ec)) {
    folders.push_back(installed);
  } else if (fs::is_directory(SPECROUTER_DEFAULT_PLUGIN_DIR, ec)) {
    folders.emplace_back(SPECROUTER_DEFAULT_PLUGIN_DIR);
  }
  return folders;
}

}  // namespace specrouter
