// `specrouter train [OVERRIDES...]`: compose configs/train/config.yaml with the
// overrides and train the model it describes (training/model, docs/design/trainer.md).
// Rerunning the same command after an interruption continues from the last checkpoint.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/zoo_steps.h"
#include "specrouter/config/compose.h"
#include "specrouter/error.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: specrouter train [OPTIONS] [OVERRIDES...]\n\n"
    "Trains a Llama-family model on text files (configs/train/config.yaml; model shapes in\n"
    "configs/train/model/) and writes <output_dir>/model (config.json, model.safetensors,\n"
    "generation_config.json, tokenizer.json). Checkpoints go to <output_dir>/checkpoints;\n"
    "running the same command again resumes from the newest one.\n\n"
    "examples:\n"
    "  specrouter train model=zoo_small data.train=[a.txt,b.txt] data.tokenizer=tok.json\n"
    "  specrouter train model=zoo_small distill.teacher=results/train/zoo_mid/model\n\n"
    "options:\n"
    "  --cfg job              print the composed config and exit\n"
    "  --config-dir DIR       config folder (default: ./configs/train, else the source tree's)\n"
    "  --config-name NAME     primary config without .yaml (default: config)\n";

int train_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    std::cout << kHelp;
    return kExitSuccess;
  }
  ComposeRequest request{project_config_dir() / "train", "config", {}, std::nullopt};
  bool print_config = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "--cfg" && has_value && args[i + 1] == "job") {
      print_config = true;
      ++i;
    } else if (arg == "--config-dir" && has_value) {
      request.config_dir = args[++i];
    } else if (arg == "--config-name" && has_value) {
      request.config_name = args[++i];
    } else if (arg.rfind("-", 0) == 0 && arg.find('=') == std::string::npos) {
      std::cerr << "specrouter train: unknown or incomplete option '" << arg << "' (see --help)\n";
      return kExitUsage;
    } else {
      request.overrides.push_back(arg);
    }
  }
  const ComposedConfig config = compose(request);
  if (print_config) {
    std::cout << config.to_yaml() << "\n";
    return kExitSuccess;
  }
  return run_training(config, isatty(STDOUT_FILENO) != 0, std::cout) ? kExitSuccess : kExitFailure;
}

const CommandRegistration kRegistration{
    {"train", "train a model of the zoo on text files (configs/train)", &train_command}};

}  // namespace
}  // namespace specrouter::cli
