// config.json -> ModelConfig. Defaults mirror the transformers 5 config classes
// (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config), so a file that omits a key
// means here what it means there.
#include "specrouter/model/model_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "specrouter/error.h"

namespace specrouter {
namespace {

using Json = nlohmann::json;

struct FamilyDefaults {
  std::int64_t vocab_size;
  std::int64_t hidden_size;
  std::int64_t intermediate_size;
  std::int64_t num_attention_heads;
  std::optional<std::int64_t> num_key_value_heads;  // nullopt: same as the query heads
  std::optional<std::int64_t> head_dim;             // nullopt: hidden_size / heads
  std::int64_t max_position_embeddings;
  std::optional<TokenId> bos_token_id;
  std::optional<TokenId> eos_token_id;
};

FamilyDefaults defaults_for(Architecture architecture) {
  switch (architecture) {
    case Architecture::kLlama:
      return {32000, 4096, 11008, 32, std::nullopt, std::nullopt, 2048, 1, 2};
    case Architecture::kMistral:
      return {32000, 4096, 14336, 32, 8, std::nullopt, 4096 * 32, 1, 2};
    case Architecture::kQwen2:
      return {151936, 4096, 22016, 32, 32, std::nullopt, 32768, std::nullopt, std::nullopt};
    case Architecture::kQwen3:
      return {151936, 4096, 22016, 32, 32, 128, 32768, std::nullopt, std::nullopt};
  }
  return {};
}

constexpr Architecture kAllArchitectures[] = {Architecture::kLlama, Architecture::kMistral,
                                              Architecture::kQwen2, Architecture::kQwen3};

std::string supported_list(bool class_names) {
  std::string out;
  for (Architecture a : kAllArchitectures) {
    if (!out.empty()) out += ", ";
    out += class_names ? architecture_class_name(a) : architecture_model_type(a);
  }
  return out;
}

// Reads typed keys of one JSON object and reports faults as "<source>: <key> ...".
class Reader {
 public:
  Reader(const Json& object, const std::string& source, std::string prefix = "")
      : object_(object), source_(source), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw CheckpointError(source_ + ": `" + prefix_ + key + "` " + what);
  }

  // Present and not null.
  bool has(const std::string& key) const {
    auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }
  bool contains(const std::string& key) const { return object_.contains(key); }

  std::int64_t integer(const std::string& key, std::optional<std::int64_t> fallback) const {
    if (!has(key)) {
      if (!fallback) fail(key, "is required");
      return *fallback;
    }
    const Json& value = object_.at(key);
    if (value.is_number_integer()) return value.get<std::int64_t>();
    // transformers writes some integers as floats (e.g. 8192.0); accept whole numbers.
    if (value.is_number_float() && value.get<double>() == static_cast<double>(static_cast<std::int64_t>(value.get<double>()))) {
      return static_cast<std::int64_t>(value.get<double>());
    }
    fail(key, "must be an integer, got " + value.dump());
  }

  std::optional<std::int64_t> optional_integer(const std::string& key,
                                               std::optional<std::int64_t> fallback) const {
    if (!contains(key)) return fallback;
    if (object_.at(key).is_null()) return std::nullopt;
    return integer(key, std::nullopt);
  }

  double number(const std::string& key, std::optional<double> fallback) const {
    if (!has(key)) {
      if (!fallback) fail(key, "is required");
      return *fallback;
    }
    const Json& value = object_.at(key);
    if (!value.is_number()) fail(key, "must be a number, got " + value.dump());
    return value.get<double>();
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const Json& value = object_.at(key);
    if (!value.is_boolean()) fail(key, "must be true or false, got " + value.dump());
    return value.get<bool>();
  }

  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const Json& value = object_.at(key);
    if (!value.is_string()) fail(key, "must be a string, got " + value.dump());
    return value.get<std::string>();
  }

  std::vector<TokenId> token_ids(const std::string& key, std::optional<TokenId> fallback) const {
    if (!contains(key)) return fallback ? std::vector<TokenId>{*fallback} : std::vector<TokenId>{};
    const Json& value = object_.at(key);
    if (value.is_null()) return {};
    std::vector<TokenId> ids;
    auto add = [&](const Json& item) {
      if (!item.is_number_integer() || item.get<std::int64_t>() < 0) {
        fail(key, "must be a token id or a list of token ids, got " + value.dump());
      }
      ids.push_back(static_cast<TokenId>(item.get<std::int64_t>()));
    };
    if (value.is_array()) {
      for (const Json& item : value) add(item);
    } else {
      add(value);
    }
    return ids;
  }

  const Json& at(const std::string& key) const { return object_.at(key); }

 private:
  const Json& object_;
  const std::string& source_;
  std::string prefix_;
};

Architecture resolve_architecture(const Json& root, const std::string& source) {
  std::optional<Architecture> from_class;
  if (root.contains("architectures") && !root.at("architectures").is_null()) {
    const Json& list = root.at("architectures");
    if (!list.is_array() || list.empty() || !list.at(0).is_string()) {
      throw CheckpointError(source + ": `architectures` must be a non-empty list of class names, got " +
                            list.dump());
    }
    const std::string name = list.at(0).get<std::string>();
    for (Architecture a : kAllArchitectures) {
      if (name == architecture_class_name(a)) from_class = a;
    }
    if (!from_class) {
      throw CheckpointError(source + ": `architectures` entry \"" + name +
                            "\" is not supported (supported: " + supported_list(true) + ")");
    }
  }
  std::optional<Architecture> from_type;
  if (root.contains("model_type") && !root.at("model_type").is_null()) {
    const Json& value = root.at("model_type");
    const std::string name = value.is_string() ? value.get<std::string>() : value.dump();
    for (Architecture a : kAllArchitectures) {
      if (name == architecture_model_type(a)) from_type = a;
    }
    if (!from_type) {
      throw CheckpointError(source + ": `model_type` \"" + name +
                            "\" is not supported (supported: " + supported_list(false) + ")");
    }
  }
  if (from_class && from_type && *from_class != *from_type) {
    throw CheckpointError(source + ": `architectures` says " + architecture_class_name(*from_class) +
                          " but `model_type` says \"" + architecture_model_type(*from_type) + "\"");
  }
  if (from_class) return *from_class;
  if (from_type) return *from_type;
  throw CheckpointError(source + ": neither `architectures` nor `model_type` is given");
}

// Reads `rope_parameters` (transformers 5) or `rope_scaling` (transformers 4) and the
// rope base, which either spelling may hold or leave at the top level.
void parse_rope(const Json& root, const Reader& top, const std::string& source, ModelConfig& config) {
  std::string field;
  for (const char* candidate : {"rope_parameters", "rope_scaling"}) {
    if (top.has(candidate)) {
      field = candidate;
      break;
    }
  }
  config.rope_theta = top.number("rope_theta", 10000.0);
  if (top.has("partial_rotary_factor") && top.number("partial_rotary_factor", 1.0) != 1.0) {
    top.fail("partial_rotary_factor", "= " + root.at("partial_rotary_factor").dump() +
                                          " is not supported (only full rotary embeddings)");
  }
  if (field.empty()) return;

  const Json& params = root.at(field);
  if (!params.is_object()) top.fail(field, "must be an object, got " + params.dump());
  Reader rope(params, source, field + ".");
  std::string type_key = rope.has("rope_type") ? "rope_type" : "type";
  const std::string type = rope.string(type_key, "default");
  config.rope_theta = rope.number("rope_theta", config.rope_theta);
  if (rope.has("partial_rotary_factor") && rope.number("partial_rotary_factor", 1.0) != 1.0) {
    rope.fail("partial_rotary_factor", "= " + params.at("partial_rotary_factor").dump() +
                                           " is not supported (only full rotary embeddings)");
  }
  if (type == "default") return;
  if (type != "llama3") {
    rope.fail(type_key, "\"" + type + "\" is not supported (supported: default, llama3)");
  }
  Llama3RopeScaling scaling;
  scaling.factor = rope.number("factor", std::nullopt);
  scaling.low_freq_factor = rope.number("low_freq_factor", std::nullopt);
  scaling.high_freq_factor = rope.number("high_freq_factor", std::nullopt);
  scaling.original_max_position_embeddings =
      rope.integer("original_max_position_embeddings", config.max_position_embeddings);
  if (!(scaling.high_freq_factor > scaling.low_freq_factor)) {
    rope.fail("high_freq_factor", "must exceed low_freq_factor");
  }
  if (scaling.factor <= 0 || scaling.original_max_position_embeddings <= 0) {
    rope.fail("factor", "and original_max_position_embeddings must be positive");
  }
  config.rope_scaling = scaling;
}

// Which layers attend through a sliding window, as transformers decides it per family.
void parse_windows(const Json& root, const Reader& top, ModelConfig& config) {
  const std::int64_t layers = config.num_hidden_layers;
  config.layer_windows.assign(static_cast<std::size_t>(layers), std::nullopt);
  if (config.architecture == Architecture::kMistral) {
    // MistralConfig: sliding_window defaults to 4096 and applies to every layer.
    auto window = top.optional_integer("sliding_window", 4096);
    config.layer_windows.assign(static_cast<std::size_t>(layers), window);
    return;
  }
  if (config.architecture == Architecture::kLlama) return;  // Llama has no sliding window

  // Qwen2/Qwen3: the window applies only with use_sliding_window, to the layers that
  // layer_types marks "sliding_attention" (default: index >= max_window_layers).
  std::optional<std::int64_t> window;
  if (top.boolean("use_sliding_window", false)) window = top.optional_integer("sliding_window", 4096);
  if (top.has("layer_types")) {
    const Json& types = root.at("layer_types");
    if (!types.is_array() || static_cast<std::int64_t>(types.size()) != layers) {
      top.fail("layer_types", "must list one type per layer (" + std::to_string(layers) + "), got " + types.dump());
    }
    for (std::int64_t i = 0; i < layers; ++i) {
      const Json& t = types.at(static_cast<std::size_t>(i));
      const std::string name = t.is_string() ? t.get<std::string>() : t.dump();
      if (name == "sliding_attention") {
        config.layer_windows[static_cast<std::size_t>(i)] = window;
      } else if (name != "full_attention") {
        top.fail("layer_types", "entry " + std::to_string(i) + " \"" + name +
                                    "\" is not supported (supported: full_attention, sliding_attention)");
      }
    }
    return;
  }
  const std::int64_t first_sliding = top.integer("max_window_layers", 28);
  for (std::int64_t i = first_sliding; i < layers && window; ++i) {
    config.layer_windows[static_cast<std::size_t>(i)] = window;
  }
}

}  // namespace

const char* architecture_class_name(Architecture architecture) {
  switch (architecture) {
    case Architecture::kLlama: return "LlamaForCausalLM";
    case Architecture::kMistral: return "MistralForCausalLM";
    case Architecture::kQwen2: return "Qwen2ForCausalLM";
    case Architecture::kQwen3: return "Qwen3ForCausalLM";
  }
  return "?";
}

const char* architecture_model_type(Architecture architecture) {
  switch (architecture) {
    case Architecture::kLlama: return "llama";
    case Architecture::kMistral: return "mistral";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kQwen3: return "qwen3";
  }
  return "?";
}

bool ModelConfig::has_sliding_window() const {
  for (const auto& window : layer_windows) {
    if (window) return true;
  }
  return false;
}

std::int64_t ModelConfig::parameter_count() const {
  const std::int64_t q = num_attention_heads * head_dim;
  const std::int64_t kv = num_key_value_heads * head_dim;
  std::int64_t layer = hidden_size * (q + 2 * kv) + q * hidden_size  // attention
                       + 3 * hidden_size * intermediate_size          // MLP
                       + 2 * hidden_size;                             // norms
  if (qkv_bias) layer += q + 2 * kv;
  if (o_bias) layer += hidden_size;
  if (mlp_bias) layer += 2 * intermediate_size + hidden_size;
  if (qk_norm) layer += 2 * head_dim;
  std::int64_t total = num_hidden_layers * layer + vocab_size * hidden_size + hidden_size;
  if (!tie_word_embeddings) total += vocab_size * hidden_size;
  return total;
}

ModelConfig parse_model_config(std::string_view json_text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {
    throw CheckpointError(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) throw CheckpointError(source + ": the top level must be a JSON object");
  const Reader top(root, source);

  ModelConfig config;
  config.architecture = resolve_architecture(root, source);
  const FamilyDefaults defaults = defaults_for(config.architecture);

  if (top.has("quantization_config")) {
    top.fail("quantization_config", "is set: quantized checkpoints are not supported");
  }
  const std::string activation = top.string("hidden_act", "silu");
  if (activation != "silu") {
    top.fail("hidden_act", "\"" + activation + "\" is not supported (only silu)");
  }

  config.vocab_size = top.integer("vocab_size", defaults.vocab_size);
  config.hidden_size = top.integer("hidden_size", defaults.hidden_size);
  config.intermediate_size = top.integer("intermediate_size", defaults.intermediate_size);
  config.num_hidden_layers = top.integer("num_hidden_layers", 32);
  config.num_attention_heads = top.integer("num_attention_heads", defaults.num_attention_heads);
  config.num_key_value_heads =
      top.optional_integer("num_key_value_heads", defaults.num_key_value_heads).value_or(config.num_attention_heads);
  if (config.num_attention_heads <= 0) top.fail("num_attention_heads", "must be positive");
  config.head_dim = top.optional_integer("head_dim", defaults.head_dim)
                        .value_or(config.hidden_size / config.num_attention_heads);
  config.max_position_embeddings = top.integer("max_position_embeddings", defaults.max_position_embeddings);
  config.rms_norm_eps = top.number("rms_norm_eps", 1e-6);
  config.tie_word_embeddings = top.boolean("tie_word_embeddings", false);

  switch (config.architecture) {
    case Architecture::kLlama:
      config.qkv_bias = config.o_bias = top.boolean("attention_bias", false);
      config.mlp_bias = top.boolean("mlp_bias", false);
      break;
    case Architecture::kMistral:
      break;
    case Architecture::kQwen2:
      config.qkv_bias = true;  // Qwen2Attention hard-codes bias on q/k/v, none on o
      break;
    case Architecture::kQwen3:
      config.qkv_bias = config.o_bias = top.boolean("attention_bias", false);
      config.qk_norm = true;
      break;
  }

  parse_rope(root, top, source, config);
  parse_windows(root, top, config);
  if (top.has("bos_token_id")) {
    config.bos_token_id = static_cast<TokenId>(top.integer("bos_token_id", std::nullopt));
  } else if (!top.contains("bos_token_id")) {
    config.bos_token_id = defaults.bos_token_id;
  }
  config.eos_token_ids = top.token_ids("eos_token_id", defaults.eos_token_id);

  validate_model_config(config, source);
  return config;
}

void validate_model_config(const ModelConfig& config, const std::string& source) {
  auto fail = [&](const std::string& key, std::int64_t value, const std::string& what) {
    throw CheckpointError(source + ": `" + key + "` = " + std::to_string(value) + " " + what);
  };
  const std::pair<const char*, std::int64_t> positive[] = {
      {"vocab_size", config.vocab_size},
      {"hidden_size", config.hidden_size},
      {"intermediate_size", config.intermediate_size},
      {"num_hidden_layers", config.num_hidden_layers},
      {"num_attention_heads", config.num_attention_heads},
      {"num_key_value_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"max_position_embeddings", config.max_position_embeddings}};
  for (const auto& [key, value] : positive) {
    if (value <= 0) fail(key, value, "must be positive");
  }
  if (config.num_attention_heads % config.num_key_value_heads != 0) {
    fail("num_key_value_heads", config.num_key_value_heads,
         "must divide num_attention_heads = " + std::to_string(config.num_attention_heads));
  }
  if (config.head_dim % 2 != 0) fail("head_dim", config.head_dim, "must be even for rotary embeddings");
  if (config.rms_norm_eps <= 0) {
    throw CheckpointError(source + ": `rms_norm_eps` must be positive");
  }
  if (static_cast<std::int64_t>(config.layer_windows.size()) != config.num_hidden_layers) {
    fail("num_hidden_layers", config.num_hidden_layers,
         "differs from the number of layer windows (" + std::to_string(config.layer_windows.size()) + ")");
  }
  for (const auto& window : config.layer_windows) {
    if (window && *window <= 0) fail("sliding_window", *window, "must be positive");
  }
  for (TokenId id : config.eos_token_ids) {
    if (id >= config.vocab_size) fail("eos_token_id", id, "is outside the vocabulary");
  }
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw CheckpointError(config_json.string() + ": cannot open the model config");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), config_json.string());
}

std::string model_config_to_json(const ModelConfig& config) {
  Json out;
  out["architectures"] = {architecture_class_name(config.architecture)};
  out["model_type"] = architecture_model_type(config.architecture);
  out["vocab_size"] = config.vocab_size;
  out["hidden_size"] = config.hidden_size;
  out["intermediate_size"] = config.intermediate_size;
  out["num_hidden_layers"] = config.num_hidden_layers;
  out["num_attention_heads"] = config.num_attention_heads;
  out["num_key_value_heads"] = config.num_key_value_heads;
  out["head_dim"] = config.head_dim;
  out["max_position_embeddings"] = config.max_position_embeddings;
  out["rms_norm_eps"] = config.rms_norm_eps;
  out["hidden_act"] = "silu";
  out["tie_word_embeddings"] = config.tie_word_embeddings;
  Json rope = {{"rope_type", "default"}, {"rope_theta", config.rope_theta}};
  if (config.rope_scaling) {
    rope["rope_type"] = "llama3";
    rope["factor"] = config.rope_scaling->factor;
    rope["low_freq_factor"] = config.rope_scaling->low_freq_factor;
    rope["high_freq_factor"] = config.rope_scaling->high_freq_factor;
    rope["original_max_position_embeddings"] = config.rope_scaling->original_max_position_embeddings;
  }
  out["rope_parameters"] = rope;

  // The first window found stands for all sliding layers (the families allow one size).
  std::optional<std::int64_t> window;
  for (const auto& w : config.layer_windows) {
    if (w) window = w;
  }
  switch (config.architecture) {
    case Architecture::kLlama:
      out["attention_bias"] = config.qkv_bias;
      out["mlp_bias"] = config.mlp_bias;
      break;
    case Architecture::kMistral:
      out["sliding_window"] = window ? Json(*window) : Json(nullptr);
      break;
    case Architecture::kQwen3:
      out["attention_bias"] = config.qkv_bias;
      [[fallthrough]];
    case Architecture::kQwen2: {
      out["use_sliding_window"] = window.has_value();
      out["sliding_window"] = window ? Json(*window) : Json(nullptr);
      Json types = Json::array();
      for (const auto& w : config.layer_windows) types.push_back(w ? "sliding_attention" : "full_attention");
      out["layer_types"] = types;
      out["max_window_layers"] = config.num_hidden_layers;
      break;
    }
  }
  out["bos_token_id"] = config.bos_token_id ? Json(*config.bos_token_id) : Json(nullptr);
  if (config.eos_token_ids.size() == 1) {
    out["eos_token_id"] = config.eos_token_ids.front();
  } else if (config.eos_token_ids.empty()) {
    out["eos_token_id"] = nullptr;
  } else {
    out["eos_token_id"] = config.eos_token_ids;
  }
  out["torch_dtype"] = "float32";
  return out.dump(2) + "\n";
}

}  // namespace specrouter
