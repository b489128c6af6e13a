#include "specrouter/corpus/corpus_spec.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>
#include <sstream>

#include "specrouter/error.h"

namespace specrouter::corpus {
namespace {

// Reads one corpus config, checking every key against what it may hold.
class SpecReader {
 public:
  explicit SpecReader(const ComposedConfig& config) : config_(config) {}

  void require_map(const std::string& path, const std::set<std::string>& allowed) const {
    const YAML::Node node = config_.at(path);
    if (!node.IsMap()) fail(path, "must be a mapping");
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      if (!allowed.contains(key)) {
        std::string names;
        for (const std::string& name : allowed) names += (names.empty() ? "" : ", ") + name;
        fail(path + "." + key, "unknown key (allowed: " + names + ")");
      }
    }
  }

  std::string text(const std::string& path) const {
    const YAML::Node node = config_.at(path);
    if (!node.IsScalar()) fail(path, "must be a string");
    return node.Scalar();
  }

  template <typename T>
  T number(const std::string& path) const {
    const YAML::Node node = config_.at(path);
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      fail(path, "must be a number, not '" + (node.IsScalar() ? node.Scalar() : std::string("a collection")) + "'");
    }
  }

  std::vector<std::string> list(const std::string& path) const {
    std::vector<std::string> out;
    const YAML::Node node = config_.find(path);
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) fail(path, "must be a list of strings");
    for (std::size_t i = 0; i < node.size(); ++i) out.push_back(text(path + "[" + std::to_string(i) + "]"));
    return out;
  }

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw ConfigError("corpus config: " + config_.describe_key(path) + ": " + problem);
  }

  const ComposedConfig& config() const { return config_; }

 private:
  const ComposedConfig& config_;
};

bool is_word(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

CorpusSpec parse_corpus_spec(const ComposedConfig& config, const std::string& key_path,
                             const std::filesystem::path& config_dir) {
  const SpecReader reader(config);
  reader.require_map(key_path, {"root", "output_dir", "lock_file", "heldout_fraction", "chunk_bytes", "domains",
                                "tokenizer"});
  CorpusSpec spec;
  spec.root = reader.text(key_path + ".root");
  spec.output_dir = reader.text(key_path + ".output_dir");
  spec.lock_file = reader.text(key_path + ".lock_file");
  if (spec.lock_file.is_relative()) spec.lock_file = config_dir / spec.lock_file;
  spec.heldout_fraction = reader.number<double>(key_path + ".heldout_fraction");
  if (!(spec.heldout_fraction >= 0.0 && spec.heldout_fraction < 1.0)) {
    reader.fail(key_path + ".heldout_fraction", "must be in [0, 1)");
  }
  const auto chunk_bytes = reader.number<long long>(key_path + ".chunk_bytes");
  if (chunk_bytes < 256) reader.fail(key_path + ".chunk_bytes", "must be at least 256");
  spec.chunk_bytes = static_cast<std::size_t>(chunk_bytes);

  const std::string domains_path = key_path + ".domains";
  const YAML::Node domains = config.at(domains_path);
  if (!domains.IsMap() || domains.size() == 0) reader.fail(domains_path, "must map domain names to source lists");
  for (const auto& item : domains) {
    DomainSpec domain;
    domain.name = item.first.as<std::string>();
    const std::string domain_path = domains_path + "." + domain.name;
    if (!is_word(domain.name)) reader.fail(domain_path, "a domain name must be letters, digits, '_' or '-'");
    if (!item.second.IsSequence() || item.second.size() == 0) reader.fail(domain_path, "must be a list of sources");
    for (std::size_t i = 0; i < item.second.size(); ++i) {
      const std::string source_path = domain_path + "[" + std::to_string(i) + "]";
      reader.require_map(source_path, {"package", "version", "include", "exclude"});
      SourceSpec source;
      if (config.has(source_path + ".package") && !config.at(source_path + ".package").IsNull()) {
        source.package = reader.text(source_path + ".package");
        source.version = reader.text(source_path + ".version");
      }
      source.include = reader.list(source_path + ".include");
      if (source.include.empty()) reader.fail(source_path + ".include", "must list at least one glob");
      source.exclude = reader.list(source_path + ".exclude");
      domain.sources.push_back(std::move(source));
    }
    spec.domains.push_back(std::move(domain));
  }
  return spec;
}

std::string canonical_text(const CorpusSpec& spec) {
  std::ostringstream out;
  out << "root=" << spec.root << "\nheldout_fraction=" << spec.heldout_fraction << "\nchunk_bytes=" << spec.chunk_bytes
      << "\n";
  for (const DomainSpec& domain : spec.domains) {
    out << "domain=" << domain.name << "\n";
    for (const SourceSpec& source : domain.sources) {
      out << " package=" << source.package << " version=" << source.version << "\n";
      for (const std::string& glob : source.include) out << "  include=" << glob << "\n";
      for (const std::string& glob : source.exclude) out << "  exclude=" << glob << "\n";
    }
  }
  return out.str();
}

}  // namespace specrouter::corpus
