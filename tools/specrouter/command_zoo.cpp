// `specrouter zoo build|report`: train the project's model zoo on first use, and write
// its report (docs/zoo.md).
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "shared_flags.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/config_values.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/error.h"
#include "specrouter/engine/zoo_build.h"
#include "specrouter/engine/zoo_report.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter zoo build|report [OPTIONS] [OVERRIDES...]",
    "The model zoo (docs/zoo.md): Llama-family models sharing one BPE tokenizer, trained\n"
    "by the project on text from Debian packages (configs/zoo/default.yaml).\n"
    "  build    assemble the corpus, train the tokenizer and train every member, in order;\n"
    "           what is up to date is skipped and an interrupted member resumes (about\n"
    "           35 minutes on 2 idle cores the first time)\n"
    "  report   measure the built zoo (held-out loss, pairwise greedy acceptance and\n"
    "           total-variation distance per domain, decode and verify cost) and write\n"
    "           zoo.report.output (docs/zoo-report.md)",
    "overrides: zoo.train_dir=DIR, zoo.report.windows=64, ... (docs/config.md)"};

struct ZooOptions {
  std::string action;
  fs::path config_dir;
  std::string config_name = "zoo/default";
  std::string output;
  std::vector<std::string> overrides;
};

// The action (the first word) and the overrides after it, each KEY=VALUE.
void take_words(const std::vector<std::string>& words, ZooOptions& options) {
  if (words.empty() || (words[0] != "build" && words[0] != "report")) throw UsageFault("expected build or report");
  options.action = words[0];
  for (auto word = words.begin() + 1; word != words.end(); ++word) {
    if (word->find('=') == std::string::npos) throw UsageFault("unexpected argument '" + *word + "'");
    options.overrides.push_back(*word);
  }
}

// The report's inputs from the zoo config: members smallest first (the config lists
// teachers first), the held-out split of each domain, the `zoo.report` settings.
ZooReportOptions report_options(const ComposedConfig& config, const ZooSpec& zoo) {
  ZooReportOptions options;
  for (auto member = zoo.members.rbegin(); member != zoo.members.rend(); ++member) {
    options.models.push_back({member->name, member->model_folder()});
  }
  const YAML::Node domains = config.at("zoo.report.domains");
  for (std::size_t i = 0; i < domains.size(); ++i) {
    const std::string name = config_value<std::string>(config, "zoo.report.domains[" + std::to_string(i) + "]");
    options.domains.push_back({name, zoo.cache_dir / "corpus" / "heldout" / (name + ".txt")});
  }
  options.tokenizer = zoo.cache_dir / "tokenizer";
  options.window = config_value<std::int64_t>(config, "zoo.report.window");
  options.windows = config_value<std::int64_t>(config, "zoo.report.windows");
  options.cost_context = config_value<std::int64_t>(config, "zoo.report.cost_context");
  options.verify_tokens = config_value<std::int64_t>(config, "zoo.report.verify_tokens");
  options.repetitions = config_value<int>(config, "zoo.report.repetitions");
  options.threads = config_value<int>(config, "zoo.report.threads");
  return options;
}

// Measures the built zoo and writes the markdown, whole or not at all.
void write_report(const ComposedConfig& config, const ZooSpec& zoo, const fs::path& output) {
  if (!zoo_is_built(zoo)) throw ConfigError("the zoo is not built yet: run `specrouter zoo build` first");
  Registries registries;
  load_plugins(registries, {}, std::cerr);
  const ZooReport report = measure_zoo(report_options(config, zoo), registries, std::cerr);
  const fs::path partial = output.string() + ".partial";
  {
    std::ofstream out(partial);
    if (!out) throw Error("cannot write '" + partial.string() + "'");
    write_zoo_report_markdown(report, out);
    if (!out.flush()) throw Error("cannot write '" + partial.string() + "'");
  }
  fs::rename(partial, output);
  std::cout << "wrote " << output.string() << "\n";
  for (const ZooTarget& target : zoo_targets(report)) {
    std::cout << "  " << target.description << " " << target.requirement << ": " << target.value
              << (target.met ? " (met)" : " (NOT met)") << "\n";
  }
}

int zoo_command(std::span<const std::string> args) {
  ZooOptions options;
  CommandLine line("zoo", kHelp);
  add_config_flags(line.app(), options.config_dir, options.config_name, "./configs", "zoo config");
  line.app()
      .add_option("--output", options.output, "report: where to write the markdown (default: zoo.report.output)")
      ->type_name("FILE");
  line.take_words();
  if (const auto exit_code = line.parse(args, [&] { take_words(line.words(), options); })) return *exit_code;
  if (options.config_dir.empty()) options.config_dir = project_config_dir();
  const ComposedConfig config = compose_zoo(options.config_dir, options.config_name, options.overrides);
  const ZooSpec zoo = parse_zoo_spec(config, options.config_name);
  if (options.action == "build") {
    build_zoo(options.config_dir, zoo, isatty(STDOUT_FILENO) != 0, std::cout);
    return kExitSuccess;
  }
  write_report(config, zoo, options.output.empty() ? config_value<std::string>(config, "zoo.report.output")
                                                   : options.output);
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"zoo", "train the model zoo (on first use) and write its report", &zoo_command}};

}  // namespace
}  // namespace specrouter::cli
