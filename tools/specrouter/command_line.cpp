// A subcommand's CLI11 app: the project's help layout, last-value-wins scalars, and every
// malformed command line reported one way (the message, then where the help is; exit 2).
#include "command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <regex>

#include "command.h"
#include "help_format.h"

namespace specrouter::cli {
namespace {

// The first word CLI11 did not expect, quoted; the ones after it are usually its values.
std::string unexpected(const std::vector<std::string>& left_over) {
  return left_over.empty() ? std::string("unexpected argument") : "unexpected argument '" + left_over.front() + "'";
}

// CLI11's message, but a flag left without its value (CLI11 2.1: `--model: 1 required DIR
// missing`) said plainly.
std::string message(const CLI::ParseError& error) {
  static const std::regex kMissingValue("(-[^:]*): 1 required (.+) missing");
  const std::string text = error.what();
  std::smatch match;
  if (std::regex_match(text, match, kMissingValue)) return match[1].str() + " needs a value (" + match[2].str() + ")";
  return text;
}

}  // namespace

CommandLine::CommandLine(std::string command, const CommandHelp& help)
    : command_(std::move(command)), app_(help.description, "specrouter " + command_) {
  app_.footer(help.footer);
  app_.formatter(std::make_shared<HelpFormatter>(help.usage));
  // A repeated scalar flag keeps its last value, as before CLI11; repeatable flags are
  // add_repeatable()'s and see every value.
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group("options");
  app_.set_help_flag("-h,--help", "print this help and exit");
}

void CommandLine::take_words() {
  take_words_ = true;
  app_.allow_extras();
}

std::optional<int> CommandLine::parse(std::span<const std::string> args, const std::function<void()>& check) {
  // `--help` wins wherever it is, even after a malformed flag (CLI11 would report that first).
  if (wants_help(args)) {
    std::cout << app_.help();
    return kExitSuccess;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    app_.parse(reversed);
    if (take_words_) {
      words_ = app_.remaining();
      const auto flag = std::find_if(words_.begin(), words_.end(),
                                     [](const std::string& word) { return !word.empty() && word.front() == '-'; });
      if (flag != words_.end()) throw UsageFault("unknown option '" + *flag + "'");
    }
    if (check) check();
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
    return kExitSuccess;
  } catch (const CLI::ExtrasError&) {
    std::cerr << "specrouter " << command_ << ": " << unexpected(app_.remaining()) << "\n";
  } catch (const CLI::ParseError& e) {
    std::cerr << "specrouter " << command_ << ": " << message(e) << "\n";
  } catch (const UsageFault& e) {
    std::cerr << "specrouter " << command_ << ": " << e.what() << "\n";
  }
  std::cerr << "(see `specrouter " << command_ << " --help`)\n";
  return kExitUsage;
}

CLI::Option* add_repeatable(CLI::App& app, const std::string& name, std::function<void(const std::string&)> take,
                            const std::string& description) {
  // Triggered as each value is parsed (CLI11 clears the option in between), so values of
  // different flags arrive in command-line order.
  return app.add_option_function<std::string>(name, std::move(take), description)
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

}  // namespace specrouter::cli
