// `specrouter plugins`: every registered component with its kind, description, origin
// and declared parameters.
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "flag_values.h"
#include "shared_flags.h"
#include "specrouter/engine/plugin_setup.h"

namespace specrouter::cli {
namespace {

const CommandHelp kHelp{
    "specrouter plugins [--kind KIND] [--plugin-path DIR]...",
    "Lists every registered drafter, verifier, scheduler, kernel and collaboration scheme:\n"
    "its description, the source file and library it came from, and its parameters (type,\n"
    "default, doc). Plugins are loaded from --plugin-path folders, $SPECROUTER_PLUGIN_PATH,\n"
    "and the build's or installation's plugin folder. Refused libraries are reported on stderr."};

int run_plugins_command(std::span<const std::string> args) {
  std::string kind_filter;
  std::vector<std::filesystem::path> extra_folders;
  CommandLine line("plugins", kHelp);
  line.app()
      .add_option("--kind", kind_filter, "only drafter, verifier, scheduler, kernel or collaboration")
      ->type_name("KIND")
      ->check(one_of({"drafter", "verifier", "scheduler", "kernel", "collaboration"}));
  add_plugin_path_flag(line.app(), extra_folders, "also load the plugins in DIR (repeatable)");
  if (const auto exit_code = line.parse(args)) return *exit_code;

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
