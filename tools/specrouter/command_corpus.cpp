// `specrouter corpus`: assemble the model zoo's text corpus from pinned Debian files and
// train the zoo's byte-level BPE tokenizer on it (docs/zoo-corpus.md).
#include <filesystem>
#include <iostream>

#include "command.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/zoo_steps.h"
#include "specrouter/config/compose.h"
#include "specrouter/error.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: specrouter corpus [build|tokenizer|all] [OPTIONS] [OVERRIDES...]\n\n"
    "Builds the model zoo's text corpus and tokenizer (docs/zoo-corpus.md):\n"
    "  build       read the pinned Debian files, check them against the lock, write\n"
    "              train/<domain>.txt, heldout/<domain>.txt and manifest.json (corpus.output_dir)\n"
    "  tokenizer   train the byte-level BPE tokenizer on the train split, write tokenizer.json\n"
    "              and tokenizer_config.json (corpus.tokenizer.output_dir), and check it on the\n"
    "              held-out split with the runtime's loader\n"
    "  all         both (the default); each step is skipped when its output is up to date\n\n"
    "options:\n"
    "  --update-lock        pin the files as they are now (rewrites corpus.lock_file) and build\n"
    "  --force              rebuild even when the output is up to date\n"
    "  --config-dir DIR     config folder (default: ./configs, else the source tree's)\n"
    "  --config-name NAME   corpus config (default: corpus/debian)\n\n"
    "overrides: corpus.output_dir=DIR, corpus.tokenizer.vocab_size=8192, ... (docs/config.md)\n";

bool parse_options(std::span<const std::string> args, CorpusRequest& options) {
  std::size_t i = 0;
  if (!args.empty() && (args[0] == "build" || args[0] == "tokenizer" || args[0] == "all")) options.step = args[i++];
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--update-lock") {
      options.update_lock = true;
    } else if (arg == "--force") {
      options.force = true;
    } else if (arg == "--config-dir" || arg == "--config-name") {
      if (i + 1 >= args.size()) {
        std::cerr << "specrouter corpus: " << arg << " needs a value\n";
        return false;
      }
      if (arg == "--config-dir") {
        options.config_dir = args[++i];
      } else {
        options.config_name = args[++i];
      }
    } else if (arg.rfind("-", 0) == 0) {
      std::cerr << "specrouter corpus: unknown option '" << arg << "'\n";
      return false;
    } else if (arg.find('=') == std::string::npos && arg.front() != '~') {
      std::cerr << "specrouter corpus: unknown step '" << arg << "' (build, tokenizer or all)\n";
      return false;
    } else {
      options.overrides.push_back(arg);
    }
  }
  if (options.config_dir.empty()) options.config_dir = project_config_dir();
  return true;
}

int corpus_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    std::cout << kHelp;
    return kExitSuccess;
  }
  CorpusRequest options;
  if (!parse_options(args, options)) {
    std::cerr << "(see `specrouter corpus --help`)\n";
    return kExitUsage;
  }
  build_corpus_and_tokenizer(options, std::cout);
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"corpus", "build the model zoo's text corpus and train its BPE tokenizer", &corpus_command}};

}  // namespace
}  // namespace specrouter::cli
