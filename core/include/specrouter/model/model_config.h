#pragma once

/// @file
/// @brief The architecture of a Llama-family decoder, parsed from a Hugging Face
/// `config.json`. No torch here: the config is plain data.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

/// The model families the runtime implements; all are pre-norm decoders with RMSNorm,
/// rotary embeddings, grouped-query attention and a SwiGLU MLP.
enum class Architecture {
  kLlama,    ///< `LlamaForCausalLM` (`model_type` "llama")
  kMistral,  ///< `MistralForCausalLM` (`model_type` "mistral"): optional sliding window
  kQwen2,    ///< `Qwen2ForCausalLM` (`model_type` "qwen2"): q/k/v projections with bias
  kQwen3,    ///< `Qwen3ForCausalLM` (`model_type` "qwen3"): per-head RMSNorm on q and k
};

/// The Hugging Face class name of an architecture ("LlamaForCausalLM", ...).
const char* architecture_class_name(Architecture architecture);

/// The Hugging Face `model_type` of an architecture ("llama", ...).
const char* architecture_model_type(Architecture architecture);

/// Llama 3.1 rotary frequency scaling (`rope_type` "llama3").
struct Llama3RopeScaling {
  double factor = 8.0;            ///< divides the low frequencies
  double low_freq_factor = 1.0;   ///< wavelengths above original/low_freq_factor are scaled fully
  double high_freq_factor = 4.0;  ///< wavelengths below original/high_freq_factor are kept
  std::int64_t original_max_position_embeddings = 8192;  ///< the pre-training context length
};

/// Everything the runtime needs to know about a model's shape and arithmetic.
///
/// Field names follow the Hugging Face config keys. parse_model_config() fills in the
/// same defaults transformers would for keys a file omits, and refuses anything the
/// runtime does not implement instead of silently computing something else.
struct ModelConfig {
  Architecture architecture = Architecture::kLlama;  ///< the model family
  std::int64_t vocab_size = 0;               ///< rows of the embedding and of lm_head
  std::int64_t hidden_size = 0;              ///< width of the residual stream
  std::int64_t intermediate_size = 0;        ///< width of the SwiGLU MLP
  std::int64_t num_hidden_layers = 0;        ///< decoder layers
  std::int64_t num_attention_heads = 0;      ///< query heads
  std::int64_t num_key_value_heads = 0;      ///< key/value heads (divides the query heads)
  std::int64_t head_dim = 0;                 ///< width of one head (even)
  std::int64_t max_position_embeddings = 0;  ///< the context length the model supports
  double rms_norm_eps = 1e-6;                ///< epsilon inside every RMSNorm
  double rope_theta = 10000.0;               ///< rotary base period
  std::optional<Llama3RopeScaling> rope_scaling;  ///< set for `rope_type` "llama3"
  bool tie_word_embeddings = false;  ///< lm_head reuses model.embed_tokens.weight
  bool qkv_bias = false;             ///< q/k/v projections carry a bias (Qwen2; `attention_bias`)
  bool o_bias = false;               ///< o_proj carries a bias (Llama/Qwen3 `attention_bias`)
  bool mlp_bias = false;             ///< gate/up/down projections carry a bias (Llama `mlp_bias`)
  bool qk_norm = false;              ///< per-head RMSNorm of queries and keys (Qwen3)
  /// Per layer: the sliding attention window (a token sees itself and the window-1
  /// positions before it), or std::nullopt for full attention. Size num_hidden_layers.
  std::vector<std::optional<std::int64_t>> layer_windows;
  std::optional<TokenId> bos_token_id;  ///< `bos_token_id`, when the file gives one
  std::vector<TokenId> eos_token_ids;   ///< `eos_token_id` (an int or a list), maybe empty

  /// Query heads that share one key/value head.
  std::int64_t query_groups() const { return num_attention_heads / num_key_value_heads; }
  /// True when some layer attends through a sliding window.
  bool has_sliding_window() const;
  /// Number of parameters (tied embeddings counted once).
  std::int64_t parameter_count() const;
};

/// Parses the text of a `config.json`.
///
/// `source` names the file in messages. Throws CheckpointError naming the key and value
/// for malformed JSON, an unknown `architectures` entry or `model_type`, an activation
/// other than silu, a rope type other than default/llama3, quantization, or inconsistent
/// sizes. Both `rope_scaling` (transformers 4) and `rope_parameters` (transformers 5)
/// spellings are read.
ModelConfig parse_model_config(std::string_view json_text, const std::string& source);

/// Reads and parses a `config.json` file (see parse_model_config()).
ModelConfig load_model_config(const std::filesystem::path& config_json);

/// Renders a config as a transformers-compatible `config.json` (transformers 5 spelling:
/// `rope_parameters`), so a folder written with it loads in both runtimes.
std::string model_config_to_json(const ModelConfig& config);

/// Checks the invariants the runtime relies on (positive sizes, heads divisible by
/// key/value heads, even head_dim, one window per layer); throws CheckpointError naming
/// `source` and the field.
void validate_model_config(const ModelConfig& config, const std::string& source);

}  // namespace specrouter
