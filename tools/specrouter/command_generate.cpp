// `specrouter generate`: plain target-only generation with one model, the baseline every
// speculative method is measured against.
#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>

#include <c10/util/Exception.h>

#include "command.h"
#include "model_kernels.h"
#include "plugin_setup.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/threads.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::cli {
namespace {

constexpr const char* kHelp =
    "usage: specrouter generate --model DIR (--prompt TEXT | --tokens IDS)... [options]\n\n"
    "Generates a continuation of each prompt with one model alone (prefill, then one\n"
    "token per step), prints it, and reports tokens per second on stderr. Several\n"
    "prompts run as one batch.\n\n"
    "  --model DIR           Hugging Face checkpoint folder (config.json, *.safetensors)\n"
    "  --prompt TEXT         a prompt, encoded with the tokenizer (repeatable)\n"
    "  --tokens IDS          a prompt as comma-separated token ids (repeatable)\n"
    "  --tokenizer PATH      tokenizer.json or its folder (default: the model folder)\n"
    "  --max-new-tokens N    new tokens per prompt at most (default 32)\n"
    "  --temperature T       0 decodes greedily (default); > 0 samples\n"
    "  --top-k K             sample among the K most probable tokens (default 0: all)\n"
    "  --top-p P             sample from the smallest set of mass >= P (default 1)\n"
    "  --seed S              sampling seed (default 0)\n"
    "  --ignore-eos          do not stop at end-of-sequence tokens\n"
    "  --dtype TYPE          float32 (default), bfloat16 or float64\n"
    "  --device DEVICE       cpu (default), cuda, cuda:1, ...\n"
    "  --max-context N       refuse prompts longer than N (default: the model's)\n"
    "  --threads N           CPU threads for tensor operators (default: all cores)\n"
    "  --kernel OP=IMPL      kernel implementation of an operation (repeatable; default\n"
    "                        linear=cpu_small_batch, paged_attention=cpu, block_copy=cpu;\n"
    "                        `specrouter plugins --kind kernel` lists them)\n"
    "  --plugin-path DIR     also load plugins from DIR (repeatable)\n";

struct Arguments {
  std::string model;
  std::string tokenizer;
  std::vector<std::string> text_prompts;
  std::vector<std::vector<TokenId>> id_prompts;
  GenerationOptions generation;
  ModelOptions model_options;
  bool ignore_eos = false;
  int threads = 0;
  KernelChoices kernels = default_kernel_choices();
  std::vector<std::filesystem::path> plugin_paths;
};

class UsageFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename T>
T parse_number(const std::string& flag, const std::string& text) {
  std::istringstream in(text);
  T value{};
  if (!(in >> value) || !in.eof()) throw UsageFault(flag + " expects a number, got '" + text + "'");
  return value;
}

std::vector<TokenId> parse_ids(const std::string& text) {
  std::vector<TokenId> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) ids.push_back(parse_number<TokenId>("--tokens", item));
  if (ids.empty()) throw UsageFault("--tokens expects comma-separated ids");
  return ids;
}

c10::ScalarType parse_dtype(const std::string& text) {
  if (text == "float32") return c10::ScalarType::Float;
  if (text == "bfloat16") return c10::ScalarType::BFloat16;
  if (text == "float64") return c10::ScalarType::Double;
  throw UsageFault("--dtype must be float32, bfloat16 or float64, not '" + text + "'");
}

Arguments parse(std::span<const std::string> args) {
  Arguments parsed;
  parsed.generation.sampling.temperature = 0.0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--ignore-eos") {
      parsed.ignore_eos = true;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageFault("unexpected argument '" + flag + "'");
    const std::string& value = args[++i];
    if (flag == "--model") {
      parsed.model = value;
    } else if (flag == "--tokenizer") {
      parsed.tokenizer = value;
    } else if (flag == "--prompt") {
      parsed.text_prompts.push_back(value);
    } else if (flag == "--tokens") {
      parsed.id_prompts.push_back(parse_ids(value));
    } else if (flag == "--max-new-tokens") {
      parsed.generation.max_new_tokens = parse_number<std::int64_t>(flag, value);
    } else if (flag == "--temperature") {
      parsed.generation.sampling.temperature = parse_number<double>(flag, value);
    } else if (flag == "--top-k") {
      parsed.generation.sampling.top_k = parse_number<std::int64_t>(flag, value);
    } else if (flag == "--top-p") {
      parsed.generation.sampling.top_p = parse_number<double>(flag, value);
    } else if (flag == "--seed") {
      parsed.generation.seed = parse_number<std::uint64_t>(flag, value);
    } else if (flag == "--dtype") {
      parsed.model_options.dtype = parse_dtype(value);
    } else if (flag == "--device") {
      try {
        parsed.model_options.device = c10::Device(value);
      } catch (const c10::Error&) {
        throw UsageFault("--device: '" + value + "' is not a device (cpu, cuda, cuda:1, ...)");
      }
    } else if (flag == "--max-context") {
      parsed.model_options.max_context = parse_number<std::int64_t>(flag, value);
    } else if (flag == "--threads") {
      parsed.threads = parse_number<int>(flag, value);
    } else if (flag == "--kernel") {
      const std::size_t equals = value.find('=');
      if (equals == std::string::npos || equals == 0 || equals + 1 == value.size()) {
        throw UsageFault("--kernel expects OP=IMPL, e.g. paged_attention=reference, not '" + value + "'");
      }
      parsed.kernels[value.substr(0, equals)] = value.substr(equals + 1);
    } else if (flag == "--plugin-path") {
      parsed.plugin_paths.emplace_back(value);
    } else {
      throw UsageFault("unexpected argument '" + flag + "'");
    }
  }
  if (parsed.model.empty()) throw UsageFault("--model is required");
  if (parsed.text_prompts.empty() && parsed.id_prompts.empty()) throw UsageFault("give --prompt or --tokens");
  return parsed;
}

std::string join_ids(const std::vector<TokenId>& ids) {
  std::string out;
  for (TokenId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

int run_generate_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    std::cout << kHelp;
    return kExitSuccess;
  }
  Arguments parsed;
  try {
    parsed = parse(args);
  } catch (const UsageFault& e) {
    std::cerr << "specrouter generate: " << e.what() << "\n" << kHelp;
    return kExitUsage;
  }

  const int threads = set_compute_threads(parsed.threads);
  std::unique_ptr<Tokenizer> tokenizer;
  if (!parsed.text_prompts.empty() || !parsed.tokenizer.empty()) {
    tokenizer = load_tokenizer(parsed.tokenizer.empty() ? parsed.model : parsed.tokenizer);
  }
  Registries registries;
  load_plugins(registries, parsed.plugin_paths, std::cerr);
  make_model_kernels(registries, parsed.kernels, [](const std::string& op) { return "--kernel " + op; })
      .apply(parsed.model_options);
  std::unique_ptr<TransformerModel> model = load_model(parsed.model, parsed.model_options);

  std::vector<std::vector<TokenId>> prompts;
  for (const std::string& text : parsed.text_prompts) prompts.push_back(tokenizer->encode(text));
  for (const auto& ids : parsed.id_prompts) prompts.push_back(ids);
  if (!parsed.ignore_eos) parsed.generation.eos_token_ids = model->config().eos_token_ids;

  const auto start = std::chrono::steady_clock::now();
  const std::vector<GenerationResult> results = generate(*model, prompts, parsed.generation);
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
