// The steps of `specrouter corpus` and `specrouter train` as library calls
// (zoo_steps.h): the commands and `zoo build` run exactly this code.
#include "specrouter/engine/zoo_steps.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "specrouter/bpe/train_tokenizer.h"
#include "specrouter/corpus/assemble.h"
#include "specrouter/corpus/sha256.h"
#include "specrouter/error.h"
#include "specrouter/training/train_config.h"
#include "specrouter/training/trainer.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

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
  try {
    return nlohmann::json::parse(in).value("corpus_sha256", "");
  } catch (const nlohmann::json::exception& error) {
    throw ConfigError("corpus manifest '" + (output_dir / "manifest.json").string() + "': not valid JSON (" +
                      error.what() + "); rebuild it with `specrouter corpus build`");
  }
}

}  // namespace

void build_corpus_and_tokenizer(const CorpusRequest& options, std::ostream& out) {
  const ComposedConfig config = compose({options.config_dir, options.config_name, options.overrides, std::nullopt, {}});
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

bool run_training(const ComposedConfig& config, bool interactive, std::ostream& log) {
  // Every value is checked (and the tokenizer loaded) before anything is written.
  const training::TrainConfig train_config = training::parse_train_config(config);
  std::error_code error;
  fs::create_directories(train_config.output_dir, error);
  if (error) throw ConfigError("output_dir: cannot create '" + train_config.output_dir.string() + "': " + error.message());
  std::ofstream(train_config.output_dir / "train_config.yaml") << config.to_yaml() << "\n";
  log << "output: " << train_config.output_dir.string() << "\n";

  training::TrainingHooks hooks;
  hooks.interactive = interactive;
  return training::train(train_config, log, hooks).finished;
}

}  // namespace specrouter::engine
