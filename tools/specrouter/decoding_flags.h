#pragma once
/// @file
/// @brief The command-line flags shared by the commands that decode checkpoints
/// (`generate`, `speculate`): prompts, decoding limits and sampling, dtype and device,
/// threads, kernels, plugin folders. Defined here once, for both commands' parsing and help.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iosfwd>
#include <string>
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

/// Comma-separated token ids joined back (`5,17,3`), as the commands print them.
std::string join_ids(const std::vector<TokenId>& ids);

/// The flags every decoding command takes. Defaults: greedy, 32 new tokens, seed 0,
/// float32 on the CPU, all cores, the kernels of configs/kernels/cpu.yaml.
struct DecodingArguments {
  std::string tokenizer;  ///< --tokenizer; empty: the (target) model's folder
  /// --prompt TEXT (a string) and --tokens IDS (ids), in command-line order.
  std::vector<std::variant<std::string, std::vector<TokenId>>> prompts;
  GenerationOptions generation;                      ///< --max-new-tokens, --temperature, --top-k, --top-p, --seed
  bool random_seed = false;                          ///< --seed -1: resolve_seed() draws generation.seed
  ModelOptions model_options;                        ///< --dtype, --device, --max-context
  bool ignore_eos = false;                           ///< --ignore-eos
  int threads = 0;                                   ///< --threads; 0: every core
  KernelChoices kernels = default_kernel_choices();  ///< --kernel OP=IMPL
  std::vector<std::filesystem::path> plugin_paths;   ///< --plugin-path DIR

  DecodingArguments();

  /// Defines the flags on `app`, in the help group "decoding options", writing into this
  /// object (which must outlive the parse).
  void add_flags(CLI::App& app);
  /// Throws UsageFault unless at least one prompt was given.
  void require_prompts() const;
  /// After parsing: with `--seed -1`, draws the seed from std::random_device and prints
  /// `seed: N` to `log`, so that the run can be repeated with `--seed N`.
  void resolve_seed(std::ostream& log);
  /// True when some prompt is text (which needs a tokenizer).
  bool has_text_prompts() const;
  /// Every prompt as token ids, in command-line order; text through `tokenizer` (which may
  /// be null only when every prompt is ids).
  std::vector<std::vector<TokenId>> encode_prompts(const Tokenizer* tokenizer) const;
};

}  // namespace specrouter::cli
