// `specrouter leaderboard FOLDER`: methods x workloads tables from every results.h5
// below a results folder (a sweep, or several), as Markdown and CSV.
#include <fstream>
#include <sstream>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "specrouter/engine/leaderboard.h"
#include "specrouter/error.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter leaderboard RESULTS_FOLDER [--markdown FILE] [--csv FILE]",
    "Reads every results.h5 below RESULTS_FOLDER (never *.partial) and renders, per pool,\n"
    "tables with methods as rows and workloads as columns: tokens/s and the speedup over the\n"
    "target-only baseline of the same folder, tau, acceptance per level, and the chains\n"
    "chosen. A cell averages its runs (seeds); cells nothing measured show '—'. Files\n"
    "without a summary or of another format version are reported on stderr and skipped."};

// Writes through a temporary name, so a failed write never leaves half a table.
void write_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error("cannot write '" + temporary.string() + "'");
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) throw Error("cannot rename '" + temporary.string() + "' to '" + path.string() + "': " + error.message());
}

int run_leaderboard_command(std::span<const std::string> args) {
  std::string folder, markdown_file, csv_file;
  CommandLine line("leaderboard", kHelp);
  line.app().add_option("RESULTS_FOLDER", folder, "a sweep's folder, or any folder above results files")->required();
  line.app()
      .add_option("--markdown", markdown_file, "write the Markdown tables to FILE (default: stdout)")
      ->type_name("FILE");
  line.app()
      .add_option("--csv", csv_file, "also write one CSV row per (pool, method, workload) to FILE")
      ->type_name("FILE");
  if (const auto exit_code = line.parse(args)) return *exit_code;

  const Leaderboard board = read_leaderboard(folder);
  for (const std::string& why : board.skipped) std::cerr << "specrouter leaderboard: skipped " << why << "\n";
  if (board.files_read == 0) {
    throw Error("results folder '" + folder + "': no usable results.h5 below it (" +
                std::to_string(board.skipped.size()) + " skipped)");
  }
  std::ostringstream markdown;
  render_markdown(board, folder, markdown);
  if (markdown_file.empty()) {
    std::cout << markdown.str();
  } else {
    write_file(markdown_file, markdown.str());
    std::cerr << "wrote " << markdown_file << "\n";
  }
  if (!csv_file.empty()) {
    std::ostringstream csv;
    render_csv(board, csv);
    write_file(csv_file, csv.str());
    std::cerr << "wrote " << csv_file << "\n";
  }
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"leaderboard", "methods x workloads tables (Markdown, CSV) from a results folder", &run_leaderboard_command}};

}  // namespace
}  // namespace specrouter::cli
