#include "specrouter/bpe/train_tokenizer.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "specrouter/bpe/bpe_trainer.h"
#include "specrouter/bpe/piece_splitter.h"
#include "specrouter/bpe/tokenizer_files.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter::bpe {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CheckpointError("tokenizer training text '" + file.string() + "' cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

TokenizerSpec parse_tokenizer_spec(const ComposedConfig& config, const std::string& key_path) {
  const YAML::Node node = config.at(key_path);
  auto fail = [&](const std::string& key, const std::string& problem) {
    throw ConfigError("tokenizer config: " + config.describe_key(key_path + "." + key) + ": " + problem);
  };
  if (!node.IsMap()) throw ConfigError("tokenizer config: " + config.describe_key(key_path) + ": must be a mapping");
  const std::set<std::string> allowed = {"output_dir", "vocab_size", "min_pair_count", "pre_tokenizer",
                                         "bos_token", "eos_token", "add_bos"};
  for (const auto& item : node) {
    if (!allowed.contains(item.first.as<std::string>())) {
      fail(item.first.as<std::string>(), "unknown key (allowed: add_bos, bos_token, eos_token, min_pair_count, "
                                         "output_dir, pre_tokenizer, vocab_size)");
    }
  }
  TokenizerSpec spec;
  try {
    spec.output_dir = config.at(key_path + ".output_dir").as<std::string>();
    const auto vocab_size = config.at(key_path + ".vocab_size").as<long long>();
    if (vocab_size < 258 || vocab_size > (1LL << 31)) fail("vocab_size", "must be at least 258 (256 bytes, BOS, EOS)");
    spec.vocab_size = static_cast<std::size_t>(vocab_size);
    if (node["min_pair_count"]) {
      const auto count = config.at(key_path + ".min_pair_count").as<long long>();
      if (count < 1) fail("min_pair_count", "must be at least 1");
      spec.min_pair_count = static_cast<std::uint64_t>(count);
    }
    if (node["pre_tokenizer"]) spec.pre_tokenizer = config.at(key_path + ".pre_tokenizer").as<std::string>();
    if (node["bos_token"]) spec.bos_token = config.at(key_path + ".bos_token").as<std::string>();
    if (node["eos_token"]) spec.eos_token = config.at(key_path + ".eos_token").as<std::string>();
    if (node["add_bos"]) spec.add_bos = config.at(key_path + ".add_bos").as<bool>();
  } catch (const YAML::Exception& e) {
    throw ConfigError("tokenizer config: " + config.describe_key(key_path) + ": a value has the wrong type (" +
                      e.msg + ")");
  }
  if (spec.bos_token.empty() || spec.eos_token.empty() || spec.bos_token == spec.eos_token) {
    fail("eos_token", "BOS and EOS must be two different non-empty strings");
  }
  return spec;
}

std::string canonical_text(const TokenizerSpec& spec) {
  std::ostringstream out;
  out << "vocab_size=" << spec.vocab_size << "\nmin_pair_count=" << spec.min_pair_count
      << "\npre_tokenizer=" << split_pattern(spec.pre_tokenizer) << "\nbos=" << spec.bos_token
      << "\neos=" << spec.eos_token << "\nadd_bos=" << spec.add_bos << "\n";
  return out.str();
}

std::string recorded_tokenizer_fingerprint(const std::filesystem::path& output_dir) {
  std::ifstream in(output_dir / "tokenizer_report.json");
  if (!in || !std::filesystem::exists(output_dir / "tokenizer.json")) return "";
  try {
    return Json::parse(in).value("fingerprint", "");
  } catch (const Json::exception&) {
    return "";
  }
}

TokenizerReport train_tokenizer(const TokenizerSpec& spec, const std::vector<DomainText>& train,
                                const std::vector<DomainText>& heldout, const std::string& fingerprint,
                                std::ostream* log) {
  TokenizerReport report;
  const std::string pattern = split_pattern(spec.pre_tokenizer);
  const PieceSplitter splitter(pattern);

  auto start = Clock::now();
  std::unordered_map<std::string, std::uint64_t> counts;
  for (const DomainText& text : train) {
    const std::string content = read_text(text.file);
    report.train_bytes += content.size();
    splitter.count_pieces(content, counts);
  }
  report.distinct_pieces = counts.size();
  report.counting_seconds = seconds_since(start);
  if (log) {
    *log << "tokenizer: " << report.train_bytes << " bytes, " << counts.size() << " distinct pieces ("
         << report.counting_seconds << " s)\n";
  }

  start = Clock::now();
  const BpeVocabulary vocabulary =
      train_bpe(counts, {.vocab_size = spec.vocab_size - 2, .min_pair_count = spec.min_pair_count});
  report.merging_seconds = seconds_since(start);
  report.vocab_size = vocabulary.tokens.size() + 2;
  report.merges = vocabulary.merges.size();
  if (log) {
    *log << "tokenizer: " << report.merges << " merges, " << report.vocab_size << " ids (" << report.merging_seconds
         << " s)\n";
  }

  const TokenizerLayout layout{.split_pattern = pattern, .bos_token = spec.bos_token, .eos_token = spec.eos_token,
                               .add_bos = spec.add_bos};
  write_tokenizer_files(vocabulary, layout, spec.output_dir);

  // The runtime's loader, not the trainer's own view, decides what the files mean.
  const auto tokenizer = load_tokenizer(spec.output_dir / "tokenizer.json");
  Json domains = Json::array();
  for (const DomainText& text : heldout) {
    const std::string content = read_text(text.file);
    const std::vector<TokenId> ids = tokenizer->encode(content, false);
    HeldoutCheck check{text.domain, content.size(), ids.size(), tokenizer->decode(ids, false) == content};
    report.heldout.push_back(check);
    domains.push_back({{"domain", check.domain}, {"file", text.file.string()}, {"bytes", check.bytes},
                       {"tokens", check.tokens}, {"bytes_per_token", check.bytes_per_token()},
                       {"round_trip", check.round_trip}});
    if (log) {
      *log << "tokenizer: held-out " << check.domain << ": " << check.bytes << " bytes, " << check.tokens
           << " tokens, " << check.bytes_per_token() << " bytes/token, round trip "
           << (check.round_trip ? "exact" : "FAILED") << "\n";
    }
  }
  const Json summary = {{"fingerprint", fingerprint},
                        {"train_bytes", report.train_bytes},
                        {"distinct_pieces", report.distinct_pieces},
                        {"vocab_size", report.vocab_size},
                        {"merges", report.merges},
                        {"counting_seconds", report.counting_seconds},
                        {"merging_seconds", report.merging_seconds},
                        {"heldout", domains}};
  std::ofstream(spec.output_dir / "tokenizer_report.json") << summary.dump(1) << "\n";
  for (const HeldoutCheck& check : report.heldout) {
    if (!check.round_trip) {
      throw CheckpointError("tokenizer '" + (spec.output_dir / "tokenizer.json").string() +
                            "' does not round-trip the held-out text of domain '" + check.domain + "'");
    }
  }
  return report;
}

}  // namespace specrouter::bpe
