// The flags `generate` and `speculate` share.
#include "cli_args.h"

#include <c10/util/Exception.h>

namespace specrouter::cli {
namespace {

c10::ScalarType parse_dtype(const std::string& text) {
  if (text == "float32") return c10::ScalarType::Float;
  if (text == "bfloat16") return c10::ScalarType::BFloat16;
  if (text == "float64") return c10::ScalarType::Double;
  throw UsageFault("--dtype must be float32, bfloat16 or float64, not '" + text + "'");
}

}  // namespace

const char* const kDecodingFlagsHelp =
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

std::pair<std::string, std::string> parse_key_value(const std::string& flag, const std::string& text,
                                                    const std::string& example) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    throw UsageFault(flag + " expects KEY=VALUE, e.g. " + example + ", not '" + text + "'");
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

std::string join_ids(const std::vector<TokenId>& ids) {
  std::string out;
  for (TokenId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

DecodingArguments::DecodingArguments() { generation.sampling.temperature = 0.0; }

bool DecodingArguments::take_switch(const std::string& flag) {
  if (flag == "--ignore-eos") {
    ignore_eos = true;
    return true;
  }
  return false;
}

bool DecodingArguments::take_option(const std::string& flag, const std::string& value) {
  if (flag == "--tokenizer") {
    tokenizer = value;
  } else if (flag == "--prompt") {
    prompts.emplace_back(value);
  } else if (flag == "--tokens") {
    prompts.emplace_back(parse_number_list<TokenId>(flag, value));
  } else if (flag == "--max-new-tokens") {
    generation.max_new_tokens = parse_number<std::int64_t>(flag, value);
  } else if (flag == "--temperature") {
    generation.sampling.temperature = parse_number<double>(flag, value);
  } else if (flag == "--top-k") {
    generation.sampling.top_k = parse_number<std::int64_t>(flag, value);
  } else if (flag == "--top-p") {
    generation.sampling.top_p = parse_number<double>(flag, value);
  } else if (flag == "--seed") {
    generation.seed = parse_number<std::uint64_t>(flag, value);
  } else if (flag == "--dtype") {
    model_options.dtype = parse_dtype(value);
  } else if (flag == "--device") {
    try {
      model_options.device = c10::Device(value);
    } catch (const c10::Error&) {
      throw UsageFault("--device: '" + value + "' is not a device (cpu, cuda, cuda:1, ...)");
    }
  } else if (flag == "--max-context") {
    model_options.max_context = parse_number<std::int64_t>(flag, value);
  } else if (flag == "--threads") {
    threads = parse_number<int>(flag, value);
  } else if (flag == "--kernel") {
    const auto [op, impl] = parse_key_value(flag, value, "paged_attention=reference");
    kernels[op] = impl;
  } else if (flag == "--plugin-path") {
    plugin_paths.emplace_back(value);
  } else {
    return false;
  }
  return true;
}

void DecodingArguments::require_prompts() const {
  if (prompts.empty()) throw UsageFault("give --prompt or --tokens");
}

bool DecodingArguments::has_text_prompts() const {
  for (const auto& prompt : prompts) {
    if (std::holds_alternative<std::string>(prompt)) return true;
  }
  return false;
}

std::vector<std::vector<TokenId>> DecodingArguments::encode_prompts(const Tokenizer* tokenizer) const {
  std::vector<std::vector<TokenId>> encoded;
  for (const auto& prompt : prompts) {
    if (const auto* text = std::get_if<std::string>(&prompt)) {
      encoded.push_back(tokenizer->encode(*text));
    } else {
      encoded.push_back(std::get<std::vector<TokenId>>(prompt));
    }
  }
  return encoded;
}

}  // namespace specrouter::cli
