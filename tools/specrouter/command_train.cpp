// `specrouter train [OVERRIDES...]`: compose configs/train/config.yaml with the
// overrides and train the model it describes (training/model, docs/design/trainer.md).
// Rerunning the same command after an interruption continues from the last checkpoint.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "flag_values.h"
#include "shared_flags.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/zoo_steps.h"
#include "specrouter/config/compose.h"
#include "specrouter/error.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter train [OPTIONS] [OVERRIDES...]",
    "Trains a Llama-family model on text files (configs/train/config.yaml; model shapes in\n"
    "configs/train/model/) and writes <output_dir>/model (config.json, model.safetensors,\n"
    "generation_config.json, tokenizer.json). Checkpoints go to <output_dir>/checkpoints;\n"
    "running the same command again resumes from the newest one.\n\n"
    "examples:\n"
    "  specrouter train model=zoo_small data.train=[a.txt,b.txt] data.tokenizer=tok.json\n"
    "  specrouter train model=zoo_small distill.teacher=results/train/zoo_mid/model"};

int train_command(std::span<const std::string> args) {
  ComposeRequest request{project_config_dir() / "train", "config", {}, std::nullopt};
  bool print_config = false;
  CommandLine line("train", kHelp);
  line.app()
      .add_option_function<std::string>(
          "--cfg", [&](const std::string&) { print_config = true; }, "print the composed config and exit")
      ->type_name("job")
      ->check(one_of({"job"}));
  add_config_flags(line.app(), request.config_dir, request.config_name, "./configs/train",
                   "primary config without .yaml");
  line.take_words();
  if (const auto exit_code = line.parse(args)) return *exit_code;
  request.overrides = line.words();
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
