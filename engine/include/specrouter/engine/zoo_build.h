#pragma once
// The model zoo (docs/zoo.md): its description (configs/zoo/<name>.yaml, package `zoo`)
// and `build_zoo`, which assembles the corpus, trains the tokenizer and trains every
// member in order, resuming or skipping what is already done.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"

namespace specrouter::engine {

/// One model of the zoo.
struct ZooMemberSpec {
  std::string name;                         ///< folder name under train_dir
  std::vector<std::string> train_overrides; ///< train_common followed by the member's own `train`
  std::filesystem::path output_dir;         ///< <train_dir>/<name>: checkpoints/, model/, summary.json

  /// The trained Hugging Face folder.
  std::filesystem::path model_folder() const { return output_dir / "model"; }
};

/// A zoo as its config describes it.
struct ZooSpec {
  std::string config_name;                  ///< e.g. zoo/default
  std::string corpus_config;                ///< e.g. corpus/debian
  std::filesystem::path cache_dir;          ///< corpus/ and tokenizer/ live below it
  std::filesystem::path train_dir;          ///< one folder per member
  std::vector<ZooMemberSpec> members;       ///< in training order (teachers first)
};

/// Composes `configs/<config_name>.yaml` from `config_dir` with `overrides`.
ComposedConfig compose_zoo(const std::filesystem::path& config_dir, const std::string& config_name,
                           const std::vector<std::string>& overrides);

/// Reads the `zoo` section; throws ConfigError naming the key.
ZooSpec parse_zoo_spec(const ComposedConfig& config, const std::string& config_name);

/// Whether every member's model folder exists (a finished build).
bool zoo_is_built(const ZooSpec& zoo);

/// Builds what is missing: the corpus and tokenizer (up-to-date steps are skipped), then
/// each member in order with `specrouter train`'s own code (train/ configs under
/// `config_dir`). A member whose newest checkpoint has all its steps under the same
/// settings and whose model folder exists is skipped; an interrupted one resumes.
void build_zoo(const std::filesystem::path& config_dir, const ZooSpec& zoo, bool interactive, std::ostream& log);

}  // namespace specrouter::engine
