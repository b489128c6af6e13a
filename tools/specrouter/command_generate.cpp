// `specrouter generate`: plain target-only generation with one model, the baseline every
// speculative method is measured against.
#include <chrono>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "decoding_flags.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/threads.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::cli {
namespace {

const CommandHelp kHelp{
    "specrouter generate --model DIR (--prompt TEXT | --tokens IDS)... [options]",
    "Generates a continuation of each prompt with one model alone (prefill, then one\n"
    "token per step), prints it, and reports tokens per second on stderr. Several\n"
    "prompts run as one batch."};

struct Arguments {
  std::string model;
  DecodingArguments decoding;
};

int run_generate_command(std::span<const std::string> args) {
  Arguments parsed;
  CommandLine line("generate", kHelp);
  line.app()
      .add_option("--model", parsed.model, "Hugging Face checkpoint folder (config.json, *.safetensors)")
      ->type_name("DIR")
      ->required();
  parsed.decoding.add_flags(line.app());
  if (const auto exit_code = line.parse(args, [&] { parsed.decoding.require_prompts(); })) return *exit_code;
  DecodingArguments& decoding = parsed.decoding;
  decoding.resolve_seed(std::cerr);

  const int threads = set_compute_threads(decoding.threads);
  std::unique_ptr<Tokenizer> tokenizer;
  if (decoding.has_text_prompts() || !decoding.tokenizer.empty()) {
    tokenizer = load_tokenizer(decoding.tokenizer.empty() ? parsed.model : decoding.tokenizer);
  }
  Registries registries;
  load_plugins(registries, decoding.plugin_paths, std::cerr);
  make_model_kernels(registries, decoding.kernels, [](const std::string& op) { return "--kernel " + op; })
      .apply(decoding.model_options);
  std::unique_ptr<TransformerModel> model = load_model(parsed.model, decoding.model_options);

  const std::vector<std::vector<TokenId>> prompts = decoding.encode_prompts(tokenizer.get());
  if (!decoding.ignore_eos) decoding.generation.eos_token_ids = model->config().eos_token_ids;

  const auto start = std::chrono::steady_clock::now();
  const std::vector<GenerationResult> results = generate(*model, prompts, decoding.generation);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::size_t generated = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const GenerationResult& result = results[i];
    generated += result.tokens.size();
    if (tokenizer) {
      std::cout << tokenizer->decode(prompts[i], /*skip_special_tokens=*/true)
                << tokenizer->decode(result.tokens, /*skip_special_tokens=*/true) << "\n";
    }
    std::cout << "[" << i << "] tokens: " << join_ids(result.tokens) << " (" << to_string(result.finish_reason)
              << ")\n";
  }
  std::cerr << "generated " << generated << " tokens for " << results.size() << " prompt(s) in " << seconds
            << " s (" << (seconds > 0 ? static_cast<double>(generated) / seconds : 0.0) << " tokens/s, " << threads
            << " threads)\n";
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"generate", "plain generation with one model (the baseline of speculative decoding)", &run_generate_command}};

}  // namespace
}  // namespace specrouter::cli
