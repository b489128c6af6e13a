#pragma once
/// @file
/// @brief `specrouter COMMAND --help` in the layout the hand-written help texts had:
/// usage line, description, flags by group with their explanations, notes.

#include <CLI/CLI.hpp>
#include <string>

namespace specrouter::cli {

/// A CLI11 formatter for one subcommand. Each flag is one entry, `-m, --multirun` or
/// `--model DIR` (the option's type_name), with its description wrapped to 80 columns
/// beside it; CLI11's own decorations (REQUIRED, `...`, validator names) are left out
/// because the descriptions say in words what they mean (repeatable, required, ranges).
class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::string usage) : usage_(std::move(usage)) {}

  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;

 private:
  std::string usage_;
};

/// `text` wrapped to lines of at most `width` characters at spaces (a word longer than
/// that stays whole), every line after the first indented by `indent` spaces; newlines in
/// `text` are kept.
std::string wrap_text(const std::string& text, std::size_t width, std::size_t indent);

}  // namespace specrouter::cli
