#pragma once
// The `specrouter` command line: one file per subcommand, each registering itself here.
//
//   static const specrouter::cli::CommandRegistration kRegistration{
//       {"plugins", "list registered components", &run_plugins_command}};
//
// Commands receive their arguments (without the command name), define their flags with
// CLI11 through CommandLine (command_line.h), print to stdout/stderr, and return the
// process exit code. Errors escape to main(), which prints them on one line and exits with
// the code of their kind (docs/design/command_line.md, "Exit codes").

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace specrouter::engine {}

namespace specrouter::cli {

// A front end over the engine: its vocabulary (pools, runs, sweeps) unqualified.
using namespace specrouter::engine;

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;   ///< bad input (config, checkpoint, workload, plugin), or jobs of a sweep failed
inline constexpr int kExitUsage = 2;     ///< the command line itself is malformed
inline constexpr int kExitResource = 3;  ///< out of a resource: KV memory, a model's context, host memory
inline constexpr int kExitInternal = 4;  ///< an error that is not the input's fault: a bug to report

/// One subcommand.
struct Command {
  std::string_view name;     ///< word after `specrouter`
  std::string_view summary;  ///< one line for `specrouter --help`
  int (*run)(std::span<const std::string> args);
};

/// Adds a command to the table at static-initialisation time (the CLI is one
/// executable, so no registration can be dropped by the linker).
struct CommandRegistration {
  explicit CommandRegistration(Command command);
};

/// Every registered command, sorted by name.
std::vector<Command> commands();

/// True when `args` contains `--help` or `-h` (which wins over anything else on the line).
bool wants_help(std::span<const std::string> args);

}  // namespace specrouter::cli
