// The help layout of every subcommand, generated from its CLI11 definitions.
#include "help_format.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace specrouter::cli {
namespace {

constexpr std::size_t kLineWidth = 80;
constexpr std::size_t kWidestNameColumn = 22;  // a longer name gets its description on the next line

// `-m, --multirun` or `--model DIR` (a positional: its name).
std::string entry_name(const CLI::Option& option) {
  if (option.get_positional()) return option.get_name(true, false);
  std::string name;
  for (const std::string& s : option.get_snames()) name += (name.empty() ? "-" : ", -") + s;
  for (const std::string& l : option.get_lnames()) name += (name.empty() ? "--" : ", --") + l;
  if (option.get_type_size() != 0 && !option.get_type_name().empty()) name += " " + option.get_type_name();
  return name;
}

}  // namespace

std::string wrap_text(const std::string& text, std::size_t width, std::size_t indent) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  bool first_line = true;
  while (std::getline(lines, line)) {
    if (!first_line) out += "\n" + std::string(indent, ' ');
    first_line = false;
    std::istringstream words(line);
    std::string word;
    std::size_t column = 0;
    while (words >> word) {
      if (column > 0 && column + 1 + word.size() > width) {
        out += "\n" + std::string(indent, ' ');
        column = 0;
      }
      if (column > 0) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
    }
  }
  return out;
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  // Groups in the order their first flag was defined; positionals first, as "arguments".
  std::vector<std::pair<std::string, std::vector<const CLI::Option*>>> groups;
  std::vector<const CLI::Option*> positionals;
  std::size_t widest = 0;
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_group().empty()) continue;  // hidden
    widest = std::max(widest, entry_name(*option).size());
    if (option->get_positional()) {
      positionals.push_back(option);
      continue;
    }
    auto group =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == option->get_group(); });
    if (group == groups.end()) group = groups.insert(groups.end(), {option->get_group(), {}});
    group->second.push_back(option);
  }
  if (!positionals.empty()) groups.insert(groups.begin(), {"arguments", positionals});
  // Two spaces, the name, at least two spaces, the description.
  const std::size_t column = 2 + std::min(widest, kWidestNameColumn) + 2;

  std::ostringstream out;
  out << "usage: " << usage_ << "\n";
  if (!app->get_description().empty()) out << "\n" << app->get_description() << "\n";
  for (const auto& [title, options] : groups) {
    out << "\n" << title << ":\n";
    for (const CLI::Option* option : options) {
      std::string line = "  " + entry_name(*option);
      if (line.size() + 2 > column) {
        line += "\n" + std::string(column, ' ');
      } else {
        line += std::string(column - line.size(), ' ');
      }
      out << line << wrap_text(option->get_description(), kLineWidth - column, column) << "\n";
    }
  }
  if (!app->get_footer().empty()) out << "\n" << app->get_footer() << "\n";
  return out.str();
}

}  // namespace specrouter::cli
