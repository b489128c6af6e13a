// Loading the model pool, creating random-weight checkpoints on first use.
#include "specrouter/engine/pool.h"

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "specrouter/config/validate.h"
#include "specrouter/error.h"
#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/weights.h"
#include "specrouter/engine/zoo_build.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

// Byte tokens plus <bos>, <eos>, <pad> (see create_random_checkpoint).
constexpr std::int64_t kByteTokenizerVocab = 259;

// A YAML scalar/sequence/mapping as JSON, keeping YAML's scalar types.
nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) object[item.first.as<std::string>()] = to_json(item.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted in the YAML: always a string
      if (text == "true" || text == "false") return text == "true";
      try {
        std::size_t used = 0;
        const long long integer = std::stoll(text, &used);
        if (used == text.size()) return integer;
        const double real = std::stod(text, &used);
        if (used == text.size()) return real;
      } catch (const std::exception&) {
      }
      return text;
    }
    default:
      return nullptr;
  }
}

std::string scalar(const ComposedConfig& config, const std::string& path) {
  const YAML::Node node = config.at(path);
  if (!node.IsScalar()) throw ConfigError(config.describe_key(path) + ": expected a string");
  return node.Scalar();
}

c10::ScalarType parse_dtype(const ComposedConfig& config, const std::string& path) {
  const YAML::Node node = config.find(path);
  if (!node.IsDefined()) return c10::ScalarType::Float;
  const std::string name = node.Scalar();
  if (name == "float32") return c10::ScalarType::Float;
  if (name == "bfloat16") return c10::ScalarType::BFloat16;
  if (name == "float64") return c10::ScalarType::Double;
  throw ConfigError(config.describe_key(path) + ": dtype must be float32, bfloat16 or float64, not '" + name + "'");
}

// Where model `name` of entry `entry` lives (`device:`, default cpu). A device this
// machine lacks is refused here, naming the model and the key, rather than deep in
// libtorch while the weights load.
c10::Device parse_device(const ComposedConfig& config, const std::string& entry, const std::string& name) {
  const std::string path = entry + ".device";
  const YAML::Node node = config.find(path);
  if (!node.IsDefined() || node.IsNull()) return c10::Device(c10::DeviceType::CPU);
  if (!node.IsScalar()) throw ConfigError(config.describe_key(path) + ": model '" + name + "': expected a device name");
  const std::string text = node.Scalar();
  std::optional<c10::Device> device;
  try {
    device.emplace(text);
  } catch (const std::exception&) {
    throw ConfigError(config.describe_key(path) + ": model '" + name + "': '" + text +
                      "' is not a device (cpu, cuda, cuda:0, ...)");
  }
  if (device->is_cuda()) {
    const std::int64_t gpus = torch::cuda::is_available() ? static_cast<std::int64_t>(torch::cuda::device_count()) : 0;
    if (gpus == 0) {
      throw ConfigError(config.describe_key(path) + ": model '" + name + "' is placed on '" + text +
                        "' but CUDA is not available here (a libtorch without CUDA, or no visible GPU); "
                        "use device: cpu");
    }
    if (device->has_index() && device->index() >= gpus) {
      throw ConfigError(config.describe_key(path) + ": model '" + name + "' is placed on '" + text + "' but only " +
                        std::to_string(gpus) + " CUDA device(s) are visible");
    }
  } else if (!device->is_cpu()) {
    throw ConfigError(config.describe_key(path) + ": model '" + name + "': device '" + text +
                      "' is not supported (cpu or cuda[:N])");
  }
  return *device;
}

// Writes a random-weight checkpoint (config.json from `random_init.config`, a byte-level
// tokenizer) so that small experiments run before any trained model exists.
void create_random_checkpoint(const ComposedConfig& config, const std::string& entry, const fs::path& dir,
                              std::ostream& log) {
  const std::string init = entry + ".random_init";
  const YAML::Node model_config = config.at(init + ".config");
  const YAML::Node seed_node = config.find(init + ".seed");
  const std::uint64_t seed = seed_node.IsDefined() ? seed_node.as<std::uint64_t>() : 0;
  const ModelConfig parsed = parse_model_config(to_json(model_config).dump(), config.describe_key(init + ".config"));
  if (parsed.vocab_size < kByteTokenizerVocab) {
    throw ConfigError(config.describe_key(init + ".config.vocab_size") + ": a random checkpoint uses the byte " +
                      "tokenizer and needs vocab_size >= " + std::to_string(kByteTokenizerVocab));
  }
  log << "creating random-weight checkpoint " << dir.string() << " (seed " << seed << ")\n";
  write_model_checkpoint(dir, parsed, random_weights(parsed, seed));
  // ids 256.. are the special tokens; eos matches the config's eos_token_id when given.
  nlohmann::json tokenizer = {{"specrouter_tokenizer", "bytes"},
                              {"special_tokens", {"<bos>", "<eos>", "<pad>"}},
                              {"bos_token", "<bos>"},
                              {"eos_token", "<eos>"},
                              {"add_bos", true}};
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump(2) << "\n";
}

// The config folder `config` was composed from: its primary file's folder.
fs::path config_dir_of(const ComposedConfig& config) {
  const ConfigSource& primary = config.sources().front();
  fs::path dir = primary.file.parent_path();
  for (char c : primary.name) {
    if (c == '/') dir = dir.parent_path();
  }
  return dir;
}

// Trains the zoo a pool entry names (`zoo: zoo/default`) when its folder is missing, so
// that the default experiment runs on a fresh machine with one command.
void train_zoo_on_first_use(const ComposedConfig& config, const std::string& entry, std::ostream& log) {
  const std::string name = scalar(config, entry + ".zoo");
  const fs::path config_dir = config_dir_of(config);
  const ZooSpec zoo = parse_zoo_spec(compose_zoo(config_dir, name, {}), name);
  log << "the model zoo (" << name << ") is not built yet: training it now, once (docs/zoo.md; about 35 minutes "
      << "on 2 idle cores; interrupt and rerun to resume)\n";
  build_zoo(config_dir, zoo, false, log);
}

// KV blocks of one model for `prompts` at once (see register_kv_caches).
std::int64_t kv_blocks_for(const std::vector<std::vector<TokenId>>& prompts, std::int64_t max_new_tokens,
                           std::int64_t draft_slack, std::int64_t max_context, std::int64_t block_size) {
  std::int64_t blocks = 0;
  for (const std::vector<TokenId>& prompt : prompts) {
    const std::int64_t positions =
        std::min(static_cast<std::int64_t>(prompt.size()) + max_new_tokens + draft_slack, max_context);
    blocks += (positions + block_size - 1) / block_size + 1;
  }
  return blocks;
}

}  // namespace

std::vector<PoolMember> register_kv_caches(StateManager& state, std::span<const PoolMember> members,
                                           const std::vector<std::vector<TokenId>>& prompts,
                                           std::int64_t max_new_tokens, std::int64_t draft_slack,
                                           const ModelKernels& kernels) {
  constexpr std::int64_t kBlockSize = 16;
  std::vector<PoolMember> registered(members.begin(), members.end());
  for (PoolMember& member : registered) {
    const std::int64_t blocks =
        kv_blocks_for(prompts, max_new_tokens, draft_slack, member.model->max_context(), kBlockSize);
    member.kv = member.model->add_kv_cache(state, member.name, KvBudget::blocks(blocks), kBlockSize, kernels.block_copy);
  }
  return registered;
}

LoadedPool load_pool_folders(std::span<const PoolSource> sources, std::ostream& log) {
  if (sources.empty()) throw ConfigError("a pool needs at least one model");
  // Cheap checks first: a typo or a mismatched vocabulary costs no weight loading.
  std::vector<std::int64_t> vocab_sizes;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const PoolSource& source = sources[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (sources[j].name == source.name) {
        throw ConfigError(source.origin + ": duplicate model name '" + source.name + "'");
      }
    }
    if (!fs::is_directory(source.folder)) {
      throw ConfigError(source.origin + ": no checkpoint folder at " + source.folder.string());
    }
    vocab_sizes.push_back(load_model_config(source.folder / "config.json").vocab_size);
  }
  const PoolSource& target = sources.back();
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (vocab_sizes[i] != vocab_sizes.back()) {
      throw ConfigError(sources[i].origin + ": model '" + sources[i].name + "' has a vocabulary of " +
                        std::to_string(vocab_sizes[i]) + " tokens but the target '" + target.name + "' (" +
                        target.folder.string() + ") has " + std::to_string(vocab_sizes.back()) +
                        "; the models of a pool must share one vocabulary");
    }
  }
  LoadedPool pool;
  for (const PoolSource& source : sources) {
    pool.models.push_back(load_model(source.folder, source.options));
    pool.members.push_back({source.name, pool.models.back().get()});
    log << "loaded " << source.name << " from " << source.folder.string() << "\n";
  }
  pool.target_folder = target.folder;
  pool.eos_token_ids = pool.target().config().eos_token_ids;
  return pool;
}

namespace {

// The list `pool.models`; throws ConfigError when it is not a non-empty list.
YAML::Node pool_models(const ComposedConfig& config) {
  const YAML::Node models = config.at("pool.models");
  if (!models.IsSequence() || models.size() == 0) {
    throw ConfigError(config.describe_key("pool.models") + ": expected a non-empty list of models");
  }
  return models;
}

}  // namespace

void prepare_pool_checkpoints(const ComposedConfig& config, std::ostream& log) {
  const YAML::Node models = pool_models(config);
  // Every device is checked before anything is written: a typo costs no checkpoint.
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string entry = "pool.models[" + std::to_string(i) + "]";
    parse_device(config, entry, scalar(config, entry + ".name"));
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string entry = "pool.models[" + std::to_string(i) + "]";
    const fs::path path = scalar(config, entry + ".path");
    if (!fs::exists(path) && config.has(entry + ".random_init")) create_random_checkpoint(config, entry, path, log);
    if (!fs::exists(path) && config.has(entry + ".zoo")) train_zoo_on_first_use(config, entry, log);
  }
}

LoadedPool load_pool(const ComposedConfig& config, const ModelKernels& kernels, std::ostream& log) {
  prepare_pool_checkpoints(config, log);
  const YAML::Node models = pool_models(config);
  ModelOptions options;
  options.dtype = parse_dtype(config, "pool.dtype");
  kernels.apply(options);

  std::vector<PoolSource> sources;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string entry = "pool.models[" + std::to_string(i) + "]";
    PoolSource& source = sources.emplace_back();
    source.name = scalar(config, entry + ".name");
    for (std::size_t j = 0; j + 1 < sources.size(); ++j) {
      if (sources[j].name == source.name) {
        throw ConfigError(config.describe_key(entry + ".name") + ": duplicate model name '" + source.name + "'");
      }
    }
    source.folder = scalar(config, entry + ".path");
    source.options = options;
    source.options.device = parse_device(config, entry, source.name);
    source.origin = config.describe_key(entry + ".path");
  }
  LoadedPool pool = load_pool_folders(sources, log);
  pool.tokenizer = load_tokenizer(pool.target_folder);
  if (pool.eos_token_ids.empty() && pool.tokenizer->eos_id()) pool.eos_token_ids.push_back(*pool.tokenizer->eos_id());
  return pool;
}

}  // namespace specrouter::engine
