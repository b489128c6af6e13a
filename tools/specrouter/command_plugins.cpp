// `specrouter plugins`: every registered component with its kind, description, origin
// and declared parameters.
#include <iostream>

#include "command.h"
#include "specrouter/engine/plugin_setup.h"

namespace specrouter::cli {
namespace {

constexpr const char* kHelp =
    "usage: specrouter plugins [--kind KIND] [--plugin-path DIR]...\n\n"
    "Lists every registered drafter, verifier, scheduler, kernel and collaboration scheme:\n"
    "its description,\n"
    "the source file and library it came from, and its parameters (type, default, doc).\n"
    "Plugins are loaded from --plugin-path folders, $SPECROUTER_PLUGIN_PATH, and the\n"
    "build's or installation's plugin folder. Refused libraries are reported on stderr.\n\n"
    "  --kind KIND          only drafter, verifier, scheduler, kernel or collaboration\n"
    "  --plugin-path DIR    also load the plugins in DIR (repeatable)\n";

int run_plugins_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    std::cout << kHelp;
    return kExitSuccess;
  }
  std::string kind_filter;
  std::vector<std::filesystem::path> extra_folders;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--kind" && has_value) {
      kind_filter = args[++i];
      if (kind_filter != "drafter" && kind_filter != "verifier" && kind_filter != "scheduler" &&
          kind_filter != "kernel" && kind_filter != "collaboration") {
        std::cerr << "specrouter plugins: --kind must be drafter, verifier, scheduler, kernel or collaboration, not '"
                  << kind_filter << "'\n";
        return kExitUsage;
      }
    } else if (args[i] == "--plugin-path" && has_value) {
      extra_folders.emplace_back(args[++i]);
    } else {
      std::cerr << "specrouter plugins: unexpected argument '" << args[i] << "'\n" << kHelp;
      return kExitUsage;
    }
  }

  Registries registries;
  load_plugins(registries, extra_folders, std::cerr);
  std::size_t shown = 0;
  for (const ComponentInfo* info : registries.all()) {
    if (!kind_filter.empty() && info->kind != kind_filter) continue;
    ++shown;
    std::cout << info->kind << " " << info->name << "\n"
              << "    " << info->description << "\n"
              << "    source:  " << info->source_file << "\n"
              << "    library: " << (info->library.empty() ? "(linked in)" : info->library) << "\n";
    if (info->params.empty()) std::cout << "    parameters: none\n";
    for (const ParamSpec& spec : info->params) {
      std::cout << "    - " << spec.name << " (" << to_string(spec.type) << ", "
                << (spec.required() ? std::string("required") : "default " + to_string(*spec.default_value))
                << "): " << spec.doc << "\n";
    }
  }
  if (shown == 0) std::cout << "no components registered\n";
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"plugins", "list registered drafters, verifiers, schedulers and kernels", &run_plugins_command}};

}  // namespace
}  // namespace specrouter::cli
