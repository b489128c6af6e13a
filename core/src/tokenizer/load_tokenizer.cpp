// load_tokenizer: finds the file, tells Hugging Face files from SpecRouter byte-tokenizer
// files, and works out BOS/EOS.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "hf_tokenizer.h"
#include "json_reader.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/byte_tokenizer.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {
namespace {

namespace fs = std::filesystem;
using tokenizer_detail::HfTokenizer;
using tokenizer_detail::JsonNode;

// Conventional spellings, tried in order when no tokenizer_config.json says otherwise.
constexpr const char* kConventionalBos[] = {"<s>", "<|begin_of_text|>", "<bos>"};
constexpr const char* kConventionalEos[] = {"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"};

// File type checks through stat(): libtorch.so exports its own copies of several
// std::filesystem functions, which can win symbol resolution in processes linking torch.
bool is_folder(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool is_file(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::unique_ptr<Tokenizer> load_byte_tokenizer(const JsonNode& root) {
  static const std::set<std::string> kKeys = {"specrouter_tokenizer", "special_tokens", "bos_token", "eos_token",
                                              "add_bos"};
  for (const auto& [key, value] : root.value().items()) {
    if (kKeys.count(key) == 0) root.at(key).fail("unknown key (expected one of specrouter_tokenizer, "
                                                 "special_tokens, bos_token, eos_token, add_bos)");
  }
  const JsonNode kind = root.at("specrouter_tokenizer");
  if (kind.as_string() != "bytes") kind.fail("unknown SpecRouter tokenizer kind '" + kind.as_string() + "' (expected bytes)");
  ByteTokenizerOptions options;
  if (const auto specials = root.find("special_tokens")) {
    for (std::size_t i = 0; i < specials->array_size(); ++i) options.special_tokens.push_back(specials->at(i).as_string());
  }
  options.bos_token = root.string_or("bos_token", "");
  options.eos_token = root.string_or("eos_token", "");
  options.add_bos = root.bool_or("add_bos", true);
  try {
    return std::make_unique<ByteTokenizer>(std::move(options));
  } catch (const ConfigError& e) {
    root.fail(e.what());
  }
}

// A token named in tokenizer_config.json: a string, {"content": ...}, or null.
std::optional<std::string> config_token(const JsonNode& node) {
  if (node.is_null()) return std::nullopt;
  if (node.is_string()) return node.as_string();
  return node.at("content").as_string();
}

std::optional<TokenId> config_token_id(const HfTokenizer& tokenizer, const JsonNode& config, const char* key,
                                       bool& present) {
  present = config.value().contains(key);
  if (!present) return std::nullopt;
  const JsonNode node = config.at(key);
  const auto token = config_token(node);
  if (!token) return std::nullopt;
  const auto id = tokenizer.token_to_id(*token);
  if (!id) node.fail("token '" + *token + "' is not in the tokenizer's vocabulary");
  return id;
}

template <std::size_t N>
std::optional<TokenId> conventional(const HfTokenizer& tokenizer, const char* const (&names)[N]) {
  for (const char* name : names) {
    const auto id = tokenizer.added_vocabulary().token_to_id(name);
    if (id && tokenizer.is_special(*id)) return id;
  }
  return std::nullopt;
}

void resolve_bos_eos(HfTokenizer& tokenizer, const fs::path& file) {
  const tokenizer_detail::PostProcessor* processor = tokenizer.post_processor();
  std::optional<TokenId> bos = processor ? processor->leading_special() : std::nullopt;
  std::optional<TokenId> eos = processor ? processor->trailing_special() : std::nullopt;
  if (!bos) bos = conventional(tokenizer, kConventionalBos);
  if (!eos) eos = conventional(tokenizer, kConventionalEos);

  const fs::path config_file = file.parent_path() / "tokenizer_config.json";
  if (is_file(config_file)) {
    const nlohmann::json config_json = tokenizer_detail::read_json_file(config_file.string());
    const JsonNode config(config_json, "", std::make_shared<const std::string>(config_file.string()));
    if (!config.is_object()) config.fail("expected a JSON object");
    bool present = false;
    if (const auto id = config_token_id(tokenizer, config, "bos_token", present); present) bos = id;
    if (const auto id = config_token_id(tokenizer, config, "eos_token", present); present) eos = id;
  }
  tokenizer.set_bos_eos(bos, eos);
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& path) {
  fs::path file = path;
  if (is_folder(path)) file = path / "tokenizer.json";
  if (!is_file(file)) {
    throw CheckpointError("tokenizer file '" + file.string() + "': not found" +
                          (file == path ? "" : " (looked for tokenizer.json in the folder)"));
  }
  const nlohmann::json json = tokenizer_detail::read_json_file(file.string());
  const JsonNode root(json, "", std::make_shared<const std::string>(file.string()));
  if (!root.is_object()) root.fail("expected a JSON object");
  if (json.contains("specrouter_tokenizer")) return load_byte_tokenizer(root);
  if (!json.contains("model")) {
    root.fail("neither 'model' (a Hugging Face tokenizer.json) nor 'specrouter_tokenizer' (a SpecRouter byte "
              "tokenizer) is present");
  }
  auto tokenizer = std::make_unique<HfTokenizer>(root);
  resolve_bos_eos(*tokenizer, file);
  return tokenizer;
}

}  // namespace specrouter
