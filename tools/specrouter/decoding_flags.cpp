// The flags `generate` and `speculate` share.
#include "decoding_flags.h"

#include <c10/util/Exception.h>

#include <charconv>
#include <limits>
#include <ostream>
#include <random>

#include "command_line.h"
#include "flag_values.h"
#include "shared_flags.h"

namespace specrouter::cli {
namespace {

constexpr const char* kGroup = "decoding options";

c10::ScalarType dtype_named(const std::string& name) {
  if (name == "bfloat16") return c10::ScalarType::BFloat16;
  if (name == "float64") return c10::ScalarType::Double;
  return c10::ScalarType::Float;
}

// `-1` (a random seed) or a whole number that fits 64 unsigned bits. CLI11 would read
// `-1` into an unsigned seed as 2^64 - 1, so the value is checked as text.
CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) {
        if (text == "-1") return std::string();
        const std::string allowed = " (allowed: 0 to " + std::to_string(std::numeric_limits<std::uint64_t>::max()) +
                                    ", or -1 for a random seed)";
        const bool negative = text.size() > 1 && text[0] == '-';
        const std::string digits = negative ? text.substr(1) : text;
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
          return "'" + text + "' is not a whole number" + allowed;
        }
        std::uint64_t value = 0;
        if (negative || std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
          return text + " is out of range" + allowed;
        }
        return std::string();
      },
      "");
}

}  // namespace

std::string join_ids(const std::vector<TokenId>& ids) {
  std::string out;
  for (TokenId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

DecodingArguments::DecodingArguments() { generation.sampling.temperature = 0.0; }

void DecodingArguments::add_flags(CLI::App& app) {
  // In their own help group; the command's flags after these go back to its group.
  const std::string command_group = app.option_defaults()->get_group();
  app.option_defaults()->group(kGroup);
  add_repeatable(
      app, "--prompt", [this](const std::string& text) { prompts.emplace_back(text); },
      "a prompt, encoded with the tokenizer (repeatable)")
      ->type_name("TEXT");
  add_repeatable(
      app, "--tokens", [this](const std::string& ids) { prompts.emplace_back(split_numbers<TokenId>(ids)); },
      "a prompt as comma-separated token ids (repeatable)")
      ->type_name("IDS")
      ->check(number_list(0, std::numeric_limits<TokenId>::max()));
  app.add_option("--tokenizer", tokenizer, "tokenizer.json or its folder (default: the model folder)")
      ->type_name("PATH");
  app.add_option("--max-new-tokens", generation.max_new_tokens, "new tokens per prompt at most (default 32)")
      ->type_name("N")
      ->check(whole_number(1));
  app.add_option("--temperature", generation.sampling.temperature, "0 decodes greedily (default); > 0 samples")
      ->type_name("T")
      ->check(real_number(0, true));
  app.add_option("--top-k", generation.sampling.top_k, "sample among the K most probable tokens (default 0: all)")
      ->type_name("K")
      ->check(whole_number(0, kNoLimit, "0: all"));
  app.add_option("--top-p", generation.sampling.top_p, "sample from the smallest set of mass >= P (default 1)")
      ->type_name("P")
      ->check(real_number(0, false, 1));
  app.add_option_function<std::string>(
         "--seed",
         [this](const std::string& text) {
           random_seed = text == "-1";
           if (!random_seed) generation.seed = std::stoull(text);
         },
         "sampling seed (default 0); -1 draws a random one and prints it as `seed: N`")
      ->type_name("S")
      ->check(seed_value());
  app.add_flag("--ignore-eos", ignore_eos, "do not stop at end-of-sequence tokens");
  app.add_option_function<std::string>(
         "--dtype", [this](const std::string& name) { model_options.dtype = dtype_named(name); },
         "float32 (default), bfloat16 or float64")
      ->type_name("TYPE")
      ->check(one_of({"float32", "bfloat16", "float64"}));
  app.add_option_function<std::string>(
         "--device",
         [this](const std::string& name) {
           try {
             model_options.device = c10::Device(name);
           } catch (const c10::Error&) {
             throw CLI::ValidationError("--device", "'" + name + "' is not a device (cpu, cuda, cuda:1, ...)");
           }
         },
         "cpu (default), cuda, cuda:1, ...")
      ->type_name("DEVICE");
  app.add_option("--max-context", model_options.max_context, "refuse prompts longer than N (default: the model's)")
      ->type_name("N")
      ->check(whole_number(1));
  app.add_option("--threads", threads, "CPU threads for tensor operators (default 0: every core)")
      ->type_name("N")
      ->check(whole_number(0, std::numeric_limits<int>::max(), "0: every core"));
  add_repeatable(
      app, "--kernel",
      [this](const std::string& choice) {
        const auto [op, impl] = split_key_value(choice);
        kernels[op] = impl;
      },
      "kernel implementation of an operation (repeatable; default linear=cpu_small_batch, "
      "paged_attention=cpu, block_copy=cpu; `specrouter plugins --kind kernel` lists them)")
      ->type_name("OP=IMPL")
      ->check(key_value("paged_attention=reference"));
  add_plugin_path_flag(app, plugin_paths);
  app.option_defaults()->group(command_group);
}

void DecodingArguments::require_prompts() const {
  if (prompts.empty()) throw UsageFault("give --prompt or --tokens");
}

void DecodingArguments::resolve_seed(std::ostream& log) {
  if (!random_seed) return;
  std::random_device device;
  generation.seed = (static_cast<std::uint64_t>(device()) << 32) | device();
  log << "seed: " << generation.seed << "\n";
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
