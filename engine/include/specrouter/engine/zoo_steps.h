#pragma once
// The steps of `specrouter corpus` and `specrouter train` as functions, so that
// `specrouter zoo build` (zoo_build.cpp) runs exactly what those commands run.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"

namespace specrouter::engine {

/// What `specrouter corpus` is asked to do.
struct CorpusRequest {
  std::string step = "all";                 ///< build, tokenizer or all
  bool update_lock = false;                 ///< pin the files as they are now
  bool force = false;                       ///< rebuild even when up to date
  std::filesystem::path config_dir;         ///< the configs root
  std::string config_name = "corpus/debian";
  std::vector<std::string> overrides;
};

/// Assembles the corpus and/or trains the tokenizer, skipping each step whose output is
/// up to date (docs/zoo-corpus.md). Progress goes to `out`; errors throw.
void build_corpus_and_tokenizer(const CorpusRequest& request, std::ostream& out);

/// Trains the model a composed train config (configs/train/) describes: checks every
/// value, writes `<output_dir>/train_config.yaml`, then trains, resuming from the newest
/// checkpoint in `<output_dir>/checkpoints`. Returns whether every step is done and the
/// model folder written (false: stopped early, e.g. by an interrupt).
bool run_training(const ComposedConfig& config, bool interactive, std::ostream& log);

}  // namespace specrouter::engine
