#pragma once
/// @file
/// @brief One subcommand's command line, parsed by CLI11: the flags are defined once, and
/// parsing, `--help` and usage errors all come from those definitions
/// (docs/design/command_line.md).
///
///     CommandLine line("generate", {"specrouter generate --model DIR ...", "Generates ..."});
///     line.app().add_option("--model", model, "checkpoint folder")->type_name("DIR")->required();
///     if (const auto exit_code = line.parse(args)) return *exit_code;

#include <CLI/App.hpp>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace specrouter::cli {

/// A malformed command line found after CLI11 has parsed it (a rule between flags, e.g.
/// `--drafter-length` without `--drafter`); CommandLine::parse() reports it as it reports
/// CLI11's own errors.
class UsageFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What `--help` says besides the flags' own lines.
struct CommandHelp {
  std::string usage;        ///< the synopsis, printed after "usage: "
  std::string description;  ///< what the command does, printed as written, before the flags
  std::string footer = "";  ///< notes printed as written after the flags (may be empty)
};

/// The command line of one subcommand: a CLI11 app set up the project's way. Scalar flags
/// keep their last value when repeated (as the hand-written parsers did), `--x=v` and
/// `--x v` are the same, and `-h`/`--help` prints the help generated from the
/// definitions.
class CommandLine {
 public:
  /// `command` is the word after `specrouter` (it names the command in messages).
  CommandLine(std::string command, const CommandHelp& help);

  /// Where the command defines its flags.
  CLI::App& app() { return app_; }

  /// Lets the command take Hydra-style overrides (`key=value`, `+key=value`, `~key`, ...)
  /// among its flags: CLI11 leaves them alone, byte for byte, and words() returns them.
  /// (A CLI11 positional would not do: it splits a value written `[a,b]`.)
  void take_words();

  /// Parses `args` (without the command name), then runs `check` (rules between flags;
  /// it throws UsageFault). Returns nothing when the command should go on; otherwise the
  /// exit code, having printed what to print: the help on stdout for `-h`/`--help`
  /// anywhere (kExitSuccess), or the message and a pointer to `--help` on stderr for a
  /// malformed command line (kExitUsage).
  std::optional<int> parse(std::span<const std::string> args, const std::function<void()>& check = {});

  /// The words take_words() let through, in command-line order (after parse()).
  const std::vector<std::string>& words() const { return words_; }

 private:
  std::string command_;
  CLI::App app_;
  bool take_words_ = false;
  std::vector<std::string> words_;
};

/// Adds a flag that may be given several times: `take` gets each value in command-line
/// order, interleaved with the other repeatable flags (so `--prompt` and `--tokens` keep
/// their order). Throwing CLI::ValidationError from `take` refuses the value.
CLI::Option* add_repeatable(CLI::App& app, const std::string& name, std::function<void(const std::string&)> take,
                            const std::string& description);

}  // namespace specrouter::cli
