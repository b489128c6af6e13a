#include "specrouter/engine/zoo_build.h"

#include <chrono>
#include <filesystem>

#include "specrouter/engine/config_values.h"
#include "specrouter/error.h"
#include "specrouter/training/train_config.h"
#include "specrouter/training/training_checkpoint.h"
#include "specrouter/engine/zoo_steps.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> string_list(const ComposedConfig& config, const std::string& key) {
  const YAML::Node node = config.at(key);
  if (!node.IsSequence()) throw ConfigError(config.describe_key(key) + ": expected a list of overrides");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    values.push_back(config_value<std::string>(config, key + "[" + std::to_string(i) + "]"));
  }
  return values;
}

ComposedConfig compose_member(const fs::path& config_dir, const ZooMemberSpec& member) {
  std::vector<std::string> overrides = member.train_overrides;
  overrides.push_back("output_dir=" + member.output_dir.string());
  return compose(ComposeRequest{config_dir / "train", "config", overrides, std::nullopt, {}});
}

// Finished under the same settings: all steps in the newest checkpoint and a model folder.
bool member_is_trained(const training::TrainConfig& config, const fs::path& model_folder) {
  const std::optional<training::TrainingState> state = training::latest_training_state(config.output_dir);
  return state && state->step == config.steps && state->fingerprint == config.fingerprint &&
         fs::exists(model_folder / "model.safetensors") && fs::exists(model_folder / "config.json");
}

}  // namespace

ComposedConfig compose_zoo(const fs::path& config_dir, const std::string& config_name,
                           const std::vector<std::string>& overrides) {
  return compose(ComposeRequest{config_dir, config_name, overrides, std::nullopt, {}});
}

ZooSpec parse_zoo_spec(const ComposedConfig& config, const std::string& config_name) {
  ZooSpec zoo;
  zoo.config_name = config_name;
  zoo.corpus_config = config_value<std::string>(config, "zoo.corpus");
  zoo.cache_dir = config_value<std::string>(config, "zoo.cache_dir");
  zoo.train_dir = config_value<std::string>(config, "zoo.train_dir");
  const std::vector<std::string> common = string_list(config, "zoo.train_common");
  const YAML::Node members = config.at("zoo.members");
  if (!members.IsSequence() || members.size() == 0) {
    throw ConfigError(config.describe_key("zoo.members") + ": expected a non-empty list of {name, train}");
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string entry = "zoo.members[" + std::to_string(i) + "]";
    ZooMemberSpec member;
    member.name = config_value<std::string>(config, entry + ".name");
    if (member.name.empty() || member.name.find('/') != std::string::npos) {
      throw ConfigError(config.describe_key(entry + ".name") + ": '" + member.name + "' is not a folder name");
    }
    for (const ZooMemberSpec& other : zoo.members) {
      if (other.name == member.name) throw ConfigError(config.describe_key(entry + ".name") + ": duplicate member '" + member.name + "'");
    }
    member.train_overrides = common;
    for (std::string& override : string_list(config, entry + ".train")) member.train_overrides.push_back(std::move(override));
    member.output_dir = zoo.train_dir / member.name;
    zoo.members.push_back(std::move(member));
  }
  return zoo;
}

bool zoo_is_built(const ZooSpec& zoo) {
  for (const ZooMemberSpec& member : zoo.members) {
    if (!fs::exists(member.model_folder() / "config.json")) return false;
  }
  return true;
}

void build_zoo(const fs::path& config_dir, const ZooSpec& zoo, bool interactive, std::ostream& log) {
  const auto started = std::chrono::steady_clock::now();
  CorpusRequest corpus;
  corpus.config_dir = config_dir;
  corpus.config_name = zoo.corpus_config;
  build_corpus_and_tokenizer(corpus, log);

  // Every member's settings are checked before the first one trains: a typo in the last
  // member must not surface after half an hour of training.
  std::vector<ComposedConfig> configs;
  std::vector<training::TrainConfig> parsed;
  for (const ZooMemberSpec& member : zoo.members) {
    configs.push_back(compose_member(config_dir, member));
    parsed.push_back(training::parse_train_config(configs.back()));
  }
  for (std::size_t i = 0; i < zoo.members.size(); ++i) {
    const ZooMemberSpec& member = zoo.members[i];
    if (member_is_trained(parsed[i], member.model_folder())) {
      log << "zoo: " << member.name << " is up to date (" << member.model_folder().string() << ")\n";
      continue;
    }
    log << "zoo: training " << member.name << " (" << i + 1 << "/" << zoo.members.size() << ")\n";
    if (!run_training(configs[i], interactive, log)) throw Error("zoo: training of '" + member.name + "' stopped before its last step");
  }
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60.0;
  log << "zoo: " << zoo.members.size() << " models ready under " << zoo.train_dir.string() << " ("
      << minutes << " min)\n";
}

}  // namespace specrouter::engine
