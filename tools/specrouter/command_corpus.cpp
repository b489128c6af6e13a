// `specrouter corpus`: assemble the model zoo's text corpus from pinned Debian files and
// train the zoo's byte-level BPE tokenizer on it (docs/zoo-corpus.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "config_dir.h"
#include "zoo_steps.h"
#include "specrouter/bpe/train_tokenizer.h"
#include "specrouter/config/compose.h"
#include "specrouter/corpus/assemble.h"
#include "specrouter/corpus/sha256.h"
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

// One decimal, without changing the stream's own format.
std::string percent(double share) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << 100.0 * share;
  return out.str();
}

void print_corpus(const corpus::AssembleReport& report, std::ostream& out) {
  out << std::left << std::setw(10) << "domain" << std::right << std::setw(7) << "files" << std::setw(9) << "skipped"
      << std::setw(14) << "train bytes" << std::setw(16) << "held-out bytes" << std::setw(10) << "held-out\n";
  for (const corpus::DomainReport& domain : report.domains) {
    const double share = static_cast<double>(domain.heldout_bytes) /
                         static_cast<double>(std::max<std::size_t>(1, domain.train_bytes + domain.heldout_bytes));
    out << std::left << std::setw(10) << domain.name << std::right << std::setw(7) << domain.files_used
        << std::setw(9) << domain.files_skipped << std::setw(14) << domain.train_bytes << std::setw(16)
        << domain.heldout_bytes << std::setw(8) << percent(share) << " %\n";
  }
  out << "corpus sha256 " << report.corpus_sha256 << "\n";
}

std::string manifest_corpus_hash(const fs::path& output_dir) {
  std::ifstream in(output_dir / "manifest.json");
  if (!in) throw ConfigError("corpus manifest '" + (output_dir / "manifest.json").string() +
                             "' is missing: run `specrouter corpus build` first");
  return nlohmann::json::parse(in).value("corpus_sha256", "");
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

void build_corpus_and_tokenizer(const CorpusRequest& options, std::ostream& out) {
  const ComposedConfig config = compose({options.config_dir, options.config_name, options.overrides, std::nullopt});
  const corpus::CorpusSpec spec = corpus::parse_corpus_spec(config, "corpus", options.config_dir);

  if (options.step != "tokenizer") {
    const std::string fingerprint = corpus::corpus_fingerprint(spec);
    if (!options.force && !options.update_lock && !fingerprint.empty() &&
        corpus::recorded_fingerprint(spec.output_dir) == fingerprint) {
      out << "corpus: " << spec.output_dir.string() << " is up to date\n";
    } else {
      out << "corpus: assembling " << spec.output_dir.string() << "\n";
      corpus::AssembleOptions assemble;
      assemble.update_lock = options.update_lock;
      assemble.log = &out;
      const corpus::AssembleReport report = corpus::assemble_corpus(spec, assemble);
      print_corpus(report, out);
    }
  }
  if (options.step != "build") {
    const bpe::TokenizerSpec tokenizer = bpe::parse_tokenizer_spec(config, "corpus.tokenizer");
    const std::string fingerprint =
        corpus::sha256_hex(manifest_corpus_hash(spec.output_dir) + "\n" + bpe::canonical_text(tokenizer));
    if (!options.force && bpe::recorded_tokenizer_fingerprint(tokenizer.output_dir) == fingerprint) {
      out << "tokenizer: " << tokenizer.output_dir.string() << " is up to date\n";
      return;
    }
    std::vector<bpe::DomainText> train, heldout;
    for (const corpus::DomainSpec& domain : spec.domains) {
      train.push_back({domain.name, spec.output_dir / "train" / (domain.name + ".txt")});
      heldout.push_back({domain.name, spec.output_dir / "heldout" / (domain.name + ".txt")});
    }
    out << "tokenizer: training on " << spec.output_dir.string() << "/train\n";
    const bpe::TokenizerReport report = bpe::train_tokenizer(tokenizer, train, heldout, fingerprint, &out);
    out << "tokenizer: wrote " << (tokenizer.output_dir / "tokenizer.json").string() << " ("
              << report.vocab_size << " ids, trained in " << report.counting_seconds + report.merging_seconds
              << " s)\n";
  }
}

}  // namespace specrouter::cli
