// `specrouter corpus`: assemble the model zoo's text corpus from pinned Debian files and
// train the zoo's byte-level BPE tokenizer on it (docs/zoo-corpus.md).
#include <filesystem>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "shared_flags.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/zoo_steps.h"
#include "specrouter/config/compose.h"
#include "specrouter/error.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter corpus [build|tokenizer|all] [OPTIONS] [OVERRIDES...]",
    "Builds the model zoo's text corpus and tokenizer (docs/zoo-corpus.md):\n"
    "  build       read the pinned Debian files, check them against the lock, write\n"
    "              train/<domain>.txt, heldout/<domain>.txt and manifest.json (corpus.output_dir)\n"
    "  tokenizer   train the byte-level BPE tokenizer on the train split, write tokenizer.json\n"
    "              and tokenizer_config.json (corpus.tokenizer.output_dir), and check it on the\n"
    "              held-out split with the runtime's loader\n"
    "  all         both (the default); each step is skipped when its output is up to date",
    "overrides: corpus.output_dir=DIR, corpus.tokenizer.vocab_size=8192, ... (docs/config.md)"};

// The step (the first word, when it names one) and the overrides after it.
void take_words(const std::vector<std::string>& words, CorpusRequest& request) {
  auto word = words.begin();
  if (word != words.end() && (*word == "build" || *word == "tokenizer" || *word == "all")) request.step = *word++;
  for (; word != words.end(); ++word) {
    if (word->find('=') == std::string::npos && (word->empty() || word->front() != '~')) {
      throw UsageFault("unknown step '" + *word + "' (build, tokenizer or all)");
    }
    request.overrides.push_back(*word);
  }
}

int corpus_command(std::span<const std::string> args) {
  CorpusRequest request;
  CommandLine line("corpus", kHelp);
  line.app().add_flag("--update-lock", request.update_lock,
                      "pin the files as they are now (rewrites corpus.lock_file) and build");
  line.app().add_flag("--force", request.force, "rebuild even when the output is up to date");
  add_config_flags(line.app(), request.config_dir, request.config_name, "./configs", "corpus config");
  line.take_words();
  if (const auto exit_code = line.parse(args, [&] { take_words(line.words(), request); })) return *exit_code;
  if (request.config_dir.empty()) request.config_dir = project_config_dir();
  build_corpus_and_tokenizer(request, std::cout);
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"corpus", "build the model zoo's text corpus and train its BPE tokenizer", &corpus_command}};

}  // namespace
}  // namespace specrouter::cli
