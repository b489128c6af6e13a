#pragma once
// Running the `specrouter` executable as a user does, and small checkpoints for it.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "specrouter/model/model_config.h"

namespace specrouter::testing {

/// What a run of the command line returned.
struct CliResult {
  int exit_code = -1;
  std::string output;  ///< stdout, and stderr too unless the run kept it apart
  std::string errors;  ///< stderr when kept apart
};

/// Runs `specrouter args...` (after `env`, e.g. `SPECROUTER_CACHE=/x`), stdout and stderr
/// together in `output`.
CliResult run_cli(const std::vector<std::string>& args, const std::string& env = "");

/// Runs `specrouter args...` with stdout in `output` and stderr in `errors`.
CliResult run_cli_split(const std::vector<std::string>& args);

/// The whole text of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

/// A results file read back with h5py (scripts/read_results.py with the system Python) as
/// JSON: {"metadata", "summary", "groups", "tables": {table: {column: [values]}}, "layout"};
/// NaN reads as null. Adds a test failure and returns null when the reader fails.
nlohmann::json read_results(const std::filesystem::path& file);

/// The column `column` of table `table` of read_results() output (an empty array when absent).
nlohmann::json results_column(const nlohmann::json& results, const std::string& table, const std::string& column);

/// A small random Llama with the byte-level tokenizer (vocabulary 259: 256 bytes and
/// <bos> 256, <eos> 257, <pad> 258), `layers` layers.
ModelConfig tiny_llama_config(std::int64_t layers, std::int64_t vocab_size = 259);

/// Writes a checkpoint folder of `config` (config.json, model.safetensors, the byte-level
/// tokenizer.json) whose layers are `layers` of the random model random_weights(`full`,
/// `seed`), in that order, with its embeddings, final norm and lm_head. With every layer
/// it is that random model; with a prefix of them, a shallow model that agrees with it
/// often (a self-speculative draft).
void write_layer_subset_checkpoint(const std::filesystem::path& dir, const ModelConfig& full, std::uint64_t seed,
                                   const std::vector<int>& layers);

}  // namespace specrouter::testing
