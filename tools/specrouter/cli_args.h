#pragma once
// Command-line flags shared by the commands that decode checkpoints (`generate`,
// `speculate`): prompts, decoding limits and sampling, dtype and device, threads, kernels,
// plugin folders; and the small parsers behind them.

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "specrouter/engine/model_kernels.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::engine {}

namespace specrouter::cli {

// A front end over the engine: its vocabulary (pools, runs, sweeps) unqualified.
using namespace specrouter::engine;

/// A malformed command line: the command prints the message and its help and exits with
/// kExitUsage.
class UsageFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `text` as a number of type T; throws UsageFault naming `flag` unless all of it is one.
template <typename T>
T parse_number(const std::string& flag, const std::string& text) {
  std::istringstream in(text);
  T value{};
  if (!(in >> value) || !in.eof()) throw UsageFault(flag + " expects a number, got '" + text + "'");
  return value;
}

/// Comma-separated numbers (`4,2`), at least one; throws UsageFault naming `flag`.
template <typename T>
std::vector<T> parse_number_list(const std::string& flag, const std::string& text) {
  std::vector<T> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) values.push_back(parse_number<T>(flag, item));
  if (values.empty()) throw UsageFault(flag + " expects comma-separated numbers, got '" + text + "'");
  return values;
}

/// `KEY=VALUE` with both parts non-empty; throws UsageFault naming `flag` and showing
/// `example` otherwise.
std::pair<std::string, std::string> parse_key_value(const std::string& flag, const std::string& text,
                                                    const std::string& example);

/// Comma-separated token ids joined back (`5,17,3`), as the commands print them.
std::string join_ids(const std::vector<TokenId>& ids);

/// The flags every decoding command takes. Defaults: greedy, 32 new tokens, float32 on
/// the CPU, all cores, the kernels of configs/kernels/cpu.yaml.
struct DecodingArguments {
  std::string tokenizer;  ///< --tokenizer; empty: the (target) model's folder
  /// --prompt TEXT (a string) and --tokens IDS (ids), in command-line order.
  std::vector<std::variant<std::string, std::vector<TokenId>>> prompts;
  GenerationOptions generation;  ///< --max-new-tokens, --temperature, --top-k, --top-p, --seed
  ModelOptions model_options;    ///< --dtype, --device, --max-context
  bool ignore_eos = false;       ///< --ignore-eos
  int threads = 0;               ///< --threads; 0: all cores
  KernelChoices kernels = default_kernel_choices();     ///< --kernel OP=IMPL
  std::vector<std::filesystem::path> plugin_paths;      ///< --plugin-path DIR

  DecodingArguments();

  /// Takes `flag` if it is a shared flag without a value (--ignore-eos).
  bool take_switch(const std::string& flag);
  /// Takes `flag` with its `value` if it is a shared flag; throws UsageFault for a bad value.
  bool take_option(const std::string& flag, const std::string& value);
  /// Throws UsageFault unless at least one prompt was given.
  void require_prompts() const;
  /// True when some prompt is text (which needs a tokenizer).
  bool has_text_prompts() const;
  /// Every prompt as token ids, in command-line order; text through `tokenizer` (which may
  /// be null only when every prompt is ids).
  std::vector<std::vector<TokenId>> encode_prompts(const Tokenizer* tokenizer) const;
};

/// The help lines of the shared flags (after a command's own).
extern const char* const kDecodingFlagsHelp;

}  // namespace specrouter::cli
