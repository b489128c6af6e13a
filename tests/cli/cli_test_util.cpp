#include "cli_test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/weights.h"

namespace specrouter::testing {
namespace fs = std::filesystem;
namespace {

std::string quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

CliResult run_shell(const std::string& command) {
  CliResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string command_line(const std::vector<std::string>& args, const std::string& env) {
  std::string command = env + " " + quote(SPECROUTER_CLI);
  for (const auto& arg : args) command += " " + quote(arg);
  return command;
}

}  // namespace

nlohmann::json read_results(const fs::path& file) {
  const std::string command = quote(SPECROUTER_H5PY_PYTHON) + " " +
                              quote((fs::path(SPECROUTER_SOURCE_DIR) / "scripts" / "read_results.py").string()) + " " +
                              quote(file.string()) + " 2>&1";
  const CliResult result = run_shell(command);
  if (result.exit_code != 0) {
    ADD_FAILURE() << command << " exited with " << result.exit_code << ":\n" << result.output;
    return nlohmann::json();
  }
  return nlohmann::json::parse(result.output);
}

nlohmann::json results_column(const nlohmann::json& results, const std::string& table, const std::string& column) {
  if (!results.contains("tables") || !results["tables"].contains(table) || !results["tables"][table].contains(column)) {
    return nlohmann::json::array();
  }
  return results["tables"][table][column];
}

CliResult run_cli(const std::vector<std::string>& args, const std::string& env) {
  return run_shell(command_line(args, env) + " 2>&1");
}

CliResult run_cli_split(const std::vector<std::string>& args) {
  char name[] = "/tmp/specrouter-cli-stderr-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) return {};
  ::close(fd);
  CliResult result = run_shell(command_line(args, "") + " 2>" + quote(name));
  result.errors = read_text(name);
  fs::remove(name);
  return result;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ModelConfig tiny_llama_config(std::int64_t layers, std::int64_t vocab_size) {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = vocab_size;
  config.hidden_size = 64;
  config.intermediate_size = 176;
  config.num_hidden_layers = layers;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 16;
  config.max_position_embeddings = 256;
  config.rms_norm_eps = 1e-5;
  config.layer_windows.assign(static_cast<std::size_t>(layers), std::nullopt);
  config.bos_token_id = 256;
  config.eos_token_ids = {257};
  return config;
}

void write_layer_subset_checkpoint(const fs::path& dir, const ModelConfig& full, std::uint64_t seed,
                                   const std::vector<int>& layers) {
  const TensorMapWeights weights = random_weights(full, seed);
  const std::string prefix = "model.layers.";
  std::map<std::string, at::Tensor> kept;
  for (const auto& [name, tensor] : weights.tensors()) {
    if (name.rfind(prefix, 0) != 0) {
      kept.emplace(name, tensor);
      continue;
    }
    const std::size_t dot = name.find('.', prefix.size());
    const int layer = std::stoi(name.substr(prefix.size(), dot - prefix.size()));
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (layers[i] == layer) kept.emplace(prefix + std::to_string(i) + name.substr(dot), tensor);
    }
  }
  ModelConfig config = full;
  config.num_hidden_layers = static_cast<std::int64_t>(layers.size());
  config.layer_windows.assign(layers.size(), std::nullopt);
  write_model_checkpoint(dir, config, TensorMapWeights(std::move(kept), "layer subset"));
  const nlohmann::json tokenizer = {{"specrouter_tokenizer", "bytes"},
                                    {"special_tokens", {"<bos>", "<eos>", "<pad>"}},
                                    {"bos_token", "<bos>"},
                                    {"eos_token", "<eos>"},
                                    {"add_bos", true}};
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump(2) << "\n";
}

}  // namespace specrouter::testing
