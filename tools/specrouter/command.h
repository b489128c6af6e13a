#pragma once
// The `specrouter` command line: one file per subcommand, each registering itself here.
//
//   static const specrouter::cli::CommandRegistration kRegistration{
//       {"plugins", "list registered components", &run_plugins_command}};
//
// Commands receive their arguments (without the command name), define their flags with
// CLI11 through CommandLine (command_line.h), print to stdout/stderr, and return the
// process exit code. Errors derived from specrouter::Error escape to main(), which prints
// them on one line and exits with kExitFailure.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace specrouter::engine {}

namespace specrouter::cli {

// A front end over the engine: its vocabulary (pools, runs, sweeps) unqualified.
using namespace specrouter::engine;

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;  ///< the run failed (bad config, bad input, ...)
inline constexpr int kExitUsage = 2;    ///< the command line itself is malformed

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
