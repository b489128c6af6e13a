// Entry point of the `specrouter` command line: dispatches to a subcommand. Without a
// subcommand the arguments are Hydra-style overrides for `run`.
#include <algorithm>
#include <iostream>
#include <map>
#include <new>

#include "command.h"
#include "specrouter/build_info.h"
#include "specrouter/error.h"
#include "specrouter/state/state_errors.h"

namespace specrouter::cli {
namespace {
std::map<std::string_view, Command>& table() {
  static std::map<std::string_view, Command> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(Command command) { table().emplace(command.name, command); }

std::vector<Command> commands() {
  std::vector<Command> out;
  for (const auto& [name, command] : table()) out.push_back(command);
  return out;
}

bool wants_help(std::span<const std::string> args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
}

void print_usage(std::ostream& out) {
  out << "SpecRouter " << SPECROUTER_VERSION
      << ": adaptive routing for multi-level speculative decoding\n\n"
         "usage: specrouter [COMMAND] [ARGS...]\n"
         "       specrouter [OVERRIDES...]        same as `specrouter run OVERRIDES...`\n"
         "       specrouter                       run the default experiment (configs/config.yaml)\n\n"
         "commands:\n";
  for (const Command& command : commands()) {
    out << "  " << command.name << std::string(14 - std::min<std::size_t>(13, command.name.size()), ' ')
        << command.summary << "\n";
  }
  out << "\n`specrouter COMMAND --help` describes a command.\n";
}

}  // namespace specrouter::cli

int main(int argc, char** argv) {
  using namespace specrouter::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    print_usage(std::cout);
    return kExitSuccess;
  }
  if (!args.empty() && args[0] == "--version") {
    std::cout << "specrouter " << SPECROUTER_VERSION << " (libtorch " << SPECROUTER_TORCH_VERSION << ")\n";
    return kExitSuccess;
  }
  std::string name = "run";
  const auto& registered = commands();
  auto it = args.empty() ? registered.end()
                         : std::find_if(registered.begin(), registered.end(),
                                        [&](const Command& c) { return c.name == args[0]; });
  if (it != registered.end()) {
    args.erase(args.begin());
  } else if (!args.empty() && args[0].rfind("-", 0) != 0 && args[0].find('=') == std::string::npos && args[0][0] != '~') {
    std::cerr << "specrouter: unknown command '" << args[0] << "' (see `specrouter --help`)\n";
    return kExitUsage;
  } else {
    it = std::find_if(registered.begin(), registered.end(), [&](const Command& c) { return c.name == name; });
    if (it == registered.end()) {
      std::cerr << "specrouter: no `run` command in this build\n";
      return kExitUsage;
    }
  }
  try {
    return it->run(args);
  } catch (const specrouter::CapacityError& e) {  // OutOfKvMemory too
    std::cerr << "specrouter: out of capacity: " << e.what() << "\n";
    return kExitResource;
  } catch (const specrouter::KvConsistencyError& e) {  // storage disagrees with its bookkeeping: a bug
    std::cerr << "specrouter: internal error: " << e.what() << "\n";
    return kExitInternal;
  } catch (const specrouter::Error& e) {
    std::cerr << "specrouter: error: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << "specrouter: out of memory (a smaller pool, batch or context may fit)\n";
    return kExitResource;
  } catch (const std::exception& e) {
    std::cerr << "specrouter: internal error: " << e.what() << "\n";
    return kExitInternal;
  } catch (...) {
    std::cerr << "specrouter: internal error: an exception of unknown type\n";
    return kExitInternal;
  }
}
