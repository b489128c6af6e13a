// Reading the train config (see train_config.h): one accessor per value type, each
// naming the key and where it was set when the value is refused.
#include "specrouter/training/train_config.h"

#include <map>
#include <set>

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/training/trainable_llama.h"

namespace specrouter::training {
namespace {

class Reader {
 public:
  explicit Reader(const ComposedConfig& config) : config_(config) {}

  [[noreturn]] void refuse(const std::string& key, const std::string& why) const {
    throw ConfigError(config_.describe_key(key) + ": " + why);
  }

  YAML::Node required(const std::string& key) const {
    const YAML::Node node = config_.find(key);
    if (!node.IsDefined()) throw ConfigError("train config: key '" + key + "' is missing");
    if (node.IsScalar() && node.Scalar() == "???") refuse(key, "a value is required");
    return node;
  }

  std::int64_t integer(const std::string& key, std::int64_t min) const {
    const YAML::Node node = required(key);
    if (yaml_type(node) != YamlType::kInt) refuse(key, "must be an integer, not " + describe_value(node));
    const std::int64_t value = yaml_to_int(node);
    if (value < min) refuse(key, "must be at least " + std::to_string(min) + ", not " + std::to_string(value));
    return value;
  }

  double number(const std::string& key, double min, double max, bool min_open = false) const {
    const YAML::Node node = required(key);
    const YamlType type = yaml_type(node);
    if (type != YamlType::kInt && type != YamlType::kFloat) refuse(key, "must be a number, not " + describe_value(node));
    const double value = yaml_to_float(node);
    if (!(value >= min && value <= max) || (min_open && value == min)) {
      refuse(key, "must be in " + std::string(min_open ? "(" : "[") + std::to_string(min) + ", " + std::to_string(max) +
                      "], not " + std::to_string(value));
    }
    return value;
  }

  bool boolean(const std::string& key) const {
    const YAML::Node node = required(key);
    if (yaml_type(node) != YamlType::kBool) refuse(key, "must be true or false, not " + describe_value(node));
    return yaml_to_bool(node);
  }

  std::string text(const std::string& key) const {
    const YAML::Node node = required(key);
    if (!node.IsScalar() || yaml_type(node) == YamlType::kNull) refuse(key, "must be a string, not " + describe_value(node));
    return node.Scalar();
  }

  std::string choice(const std::string& key, const std::set<std::string>& allowed) const {
    const std::string value = text(key);
    if (allowed.count(value) == 0) {
      std::string list;
      for (const std::string& option : allowed) list += (list.empty() ? "" : ", ") + option;
      refuse(key, "must be one of " + list + ", not '" + value + "'");
    }
    return value;
  }

  // A file list: one path or a sequence of paths; `allow_empty` for optional data.
  std::vector<std::filesystem::path> paths(const std::string& key, bool allow_empty) const {
    const YAML::Node node = required(key);
    std::vector<std::filesystem::path> files;
    if (node.IsScalar() && yaml_type(node) == YamlType::kString) {
      files.emplace_back(node.Scalar());
    } else if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) {
        if (!node[i].IsScalar()) refuse(key + "[" + std::to_string(i) + "]", "must be a file path");
        files.emplace_back(node[i].Scalar());
      }
    } else if (!(yaml_type(node) == YamlType::kNull && allow_empty)) {
      refuse(key, "must be a file path or a list of them, not " + describe_value(node));
    }
    if (files.empty() && !allow_empty) refuse(key, "needs at least one text file");
    return files;
  }

  void only_keys(const std::string& key, const std::set<std::string>& known) const {
    const YAML::Node node = key.empty() ? config_.root() : required(key);
    if (!node.IsMap()) refuse(key, "must be a mapping, not " + describe_value(node));
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      if (known.count(name) == 0) {
        std::string list;
        for (const std::string& option : known) list += (list.empty() ? "" : ", ") + option;
        refuse(key.empty() ? name : key + "." + name, "unknown key (known: " + list + ")");
      }
    }
  }

 private:
  const ComposedConfig& config_;
};

ModelConfig read_model(const Reader& r, const ComposedConfig& config, const Tokenizer& tokenizer) {
  r.only_keys("model", {"name", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                        "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
                        "rms_norm_eps", "rope_theta", "tie_word_embeddings"});
  ModelConfig model;
  model.architecture = Architecture::kLlama;
  const YAML::Node vocab = r.required("model.vocab_size");
  if (vocab.IsScalar() && vocab.Scalar() == "auto") {
    model.vocab_size = tokenizer.vocab_size();
  } else {
    model.vocab_size = r.integer("model.vocab_size", 1);
    if (model.vocab_size < tokenizer.vocab_size()) {
      r.refuse("model.vocab_size", "is " + std::to_string(model.vocab_size) + ", smaller than the tokenizer's " +
                                       std::to_string(tokenizer.vocab_size()) + " tokens");
    }
  }
  model.hidden_size = r.integer("model.hidden_size", 1);
  model.intermediate_size = r.integer("model.intermediate_size", 1);
  model.num_hidden_layers = r.integer("model.num_hidden_layers", 1);
  model.num_attention_heads = r.integer("model.num_attention_heads", 1);
  model.num_key_value_heads = r.integer("model.num_key_value_heads", 1);
  if (model.num_attention_heads % model.num_key_value_heads != 0) {
    r.refuse("model.num_key_value_heads", "must divide model.num_attention_heads (" +
                                              std::to_string(model.num_attention_heads) + ")");
  }
  if (config.has("model.head_dim")) {
    model.head_dim = r.integer("model.head_dim", 2);
  } else {
    if (model.hidden_size % model.num_attention_heads != 0) {
      r.refuse("model.num_attention_heads", "must divide model.hidden_size when model.head_dim is not given");
    }
    model.head_dim = model.hidden_size / model.num_attention_heads;
  }
  if (model.head_dim % 2 != 0) r.refuse("model.head_dim", "must be even (rotary embeddings rotate pairs)");
  model.max_position_embeddings = r.integer("model.max_position_embeddings", 1);
  model.rms_norm_eps = r.number("model.rms_norm_eps", 0.0, 1.0, /*min_open=*/true);
  model.rope_theta = r.number("model.rope_theta", 1.0, 1e12);
  model.tie_word_embeddings = r.boolean("model.tie_word_embeddings");
  model.layer_windows.assign(static_cast<std::size_t>(model.num_hidden_layers), std::nullopt);
  model.bos_token_id = tokenizer.bos_id();
  if (const auto eos = tokenizer.eos_id()) model.eos_token_ids = {*eos};
  validate_model_config(model, config.describe_key("model"));
  check_trainable(model, config.describe_key("model"));
  return model;
}

// Every scalar under `node` as `path=value` lines, sorted by path, skipping `ignored`
// top-level keys: the settings a checkpoint must share with the run resuming it.
void flatten(const YAML::Node& node, const std::string& path, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) flatten(entry.second, path.empty() ? entry.first.Scalar() : path + "." + entry.first.Scalar(), out);
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) flatten(node[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out[path] = node.IsNull() ? "null" : node.Scalar();
  }
}

std::string fingerprint_of(const ComposedConfig& config) {
  // Where the run writes, how often it reports, and what it evaluates on do not change
  // the weights, so they may differ between an interrupted run and its resumption.
  static const std::set<std::string> kIgnored = {"output_dir", "log_every", "eval_every", "checkpoint_every",
                                                 "data.heldout", "data.eval_windows"};
  std::map<std::string, std::string> flat;
  flatten(config.root(), "", flat);
  std::string text;
  for (const auto& [key, value] : flat) {
    bool ignored = false;
    for (const std::string& prefix : kIgnored) {
      if (key == prefix || key.rfind(prefix + "[", 0) == 0 || key.rfind(prefix + ".", 0) == 0) ignored = true;
    }
    if (!ignored) text += key + "=" + value + "\n";
  }
  return text;
}

}  // namespace

TrainConfig parse_train_config(const ComposedConfig& config) {
  const Reader r(config);
  r.only_keys("", {"model", "data", "optim", "distill", "steps", "seed", "threads", "device", "dtype", "init_std",
                   "output_dir", "checkpoint_every", "eval_every", "log_every"});
  r.only_keys("data", {"train", "heldout", "tokenizer", "window", "batch_size", "eval_windows"});
  r.only_keys("optim", {"lr", "min_lr", "warmup_steps", "weight_decay", "beta1", "beta2", "eps", "grad_clip"});
  r.only_keys("distill", {"teacher", "temperature", "alpha"});

  TrainConfig out;
  out.data.train = r.paths("data.train", /*allow_empty=*/false);
  out.data.heldout = r.paths("data.heldout", /*allow_empty=*/true);
  out.data.tokenizer = r.text("data.tokenizer");
  out.data.window = r.integer("data.window", 2);
  out.data.batch_size = r.integer("data.batch_size", 1);
  out.data.eval_windows = r.integer("data.eval_windows", 1);
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = load_tokenizer(out.data.tokenizer);
  } catch (const Error& error) {
    r.refuse("data.tokenizer", error.what());
  }

  out.name = r.text("model.name");
  out.model = read_model(r, config, *tokenizer);
  if (out.data.window > out.model.max_position_embeddings) {
    r.refuse("data.window", "is longer than model.max_position_embeddings (" +
                                std::to_string(out.model.max_position_embeddings) + ")");
  }

  out.optim.lr = r.number("optim.lr", 0.0, 10.0, /*min_open=*/true);
  out.optim.min_lr = r.number("optim.min_lr", 0.0, out.optim.lr);
  out.optim.warmup_steps = r.integer("optim.warmup_steps", 0);
  out.optim.weight_decay = r.number("optim.weight_decay", 0.0, 1.0);
  out.optim.beta1 = r.number("optim.beta1", 0.0, 1.0);
  out.optim.beta2 = r.number("optim.beta2", 0.0, 1.0);
  if (out.optim.beta1 >= 1.0) r.refuse("optim.beta1", "must be below 1");
  if (out.optim.beta2 >= 1.0) r.refuse("optim.beta2", "must be below 1");
  out.optim.eps = r.number("optim.eps", 0.0, 1.0, /*min_open=*/true);
  out.optim.grad_clip = r.number("optim.grad_clip", 0.0, 1e9);

  const YAML::Node teacher = r.required("distill.teacher");
  if (yaml_type(teacher) != YamlType::kNull) out.distill.teacher = r.text("distill.teacher");
  out.distill.temperature = r.number("distill.temperature", 0.0, 100.0, /*min_open=*/true);
  out.distill.alpha = r.number("distill.alpha", 0.0, 1.0);

  out.steps = r.integer("steps", 1);
  if (out.optim.warmup_steps >= out.steps) {
    r.refuse("optim.warmup_steps", "must be below steps (" + std::to_string(out.steps) + ")");
  }
  out.seed = static_cast<std::uint64_t>(r.integer("seed", 0));
  out.threads = static_cast<int>(r.integer("threads", 0));
  out.device = r.choice("device", {"cpu", "cuda"});
  out.dtype = r.choice("dtype", {"float32", "float64"});
  out.init_std = r.number("init_std", 0.0, 1.0, /*min_open=*/true);
  out.output_dir = r.text("output_dir");
  out.checkpoint_every = r.integer("checkpoint_every", 0);
  out.eval_every = r.integer("eval_every", 0);
  out.log_every = r.integer("log_every", 1);
  out.fingerprint = fingerprint_of(config);
  return out;
}

}  // namespace specrouter::training
