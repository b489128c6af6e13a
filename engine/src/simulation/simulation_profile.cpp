#include "specrouter/simulation/simulation_profile.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

// Reading one YAML file, with messages that name it and the key at fault.
class ProfileReader {
 public:
  explicit ProfileReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw ConfigError(file_ + ": " + key + ": " + problem);
  }

  const YAML::Node& require(const YAML::Node& node, const std::string& key, const std::string& name) const {
    if (!node[name]) fail(key.empty() ? name : key + "." + name, "missing");
    return node;
  }

  template <typename T>
  T scalar(const YAML::Node& node, const std::string& key) const {
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      std::ostringstream text;
      text << node;
      fail(key, "expected a " + std::string(std::is_same_v<T, std::string> ? "string" : "number") + ", got '" +
                    text.str() + "'");
    }
  }

  template <typename T>
  T optional(const YAML::Node& node, const std::string& key, const char* name, T fallback) const {
    const YAML::Node value = node[name];
    return value ? scalar<T>(value, key.empty() ? name : key + "." + name) : fallback;
  }

  std::vector<double> numbers(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(key, "expected a list of numbers");
    std::vector<double> values;
    for (std::size_t i = 0; i < node.size(); ++i) values.push_back(scalar<double>(node[i], key + "[" + std::to_string(i) + "]"));
    return values;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

int model_index(const SimulationProfile& profile, const std::string& name, const ProfileReader& reader,
                const std::string& key) {
  for (std::size_t i = 0; i < profile.models.size(); ++i) {
    if (profile.models[i].name == name) return static_cast<int>(i);
  }
  reader.fail(key, "no model '" + name + "' in the profile");
}

}  // namespace

void SimulationProfile::validate(const std::string& origin) const {
  auto fail = [&](const std::string& problem) { throw UsageError(origin + ": " + problem); };
  if (models.empty()) fail("no models");
  if (vocab_size < 2) fail("vocab_size must be >= 2, got " + std::to_string(vocab_size));
  if (max_context < 2) fail("max_context must be >= 2, got " + std::to_string(max_context));
  auto check_agreements = [&](const std::vector<double>& values, const std::string& what) {
    if (values.size() != models.size()) {
      fail(what + " has " + std::to_string(values.size()) + " agreements for " + std::to_string(models.size()) + " models");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!(values[i] >= 0 && values[i] <= 1)) fail(what + ": agreement of '" + models[i].name + "' must be in [0, 1]");
    }
    if (values.back() != 1.0) fail(what + ": the target '" + models.back().name + "' must have agreement 1");
  };
  std::vector<double> own;
  for (const SimulatedModelSpec& model : models) {
    own.push_back(model.agreement);
    const ForwardCost& c = model.cost;
    for (double value : {c.fixed_seconds, c.seconds_per_token, c.seconds_per_context_position, c.seconds_per_attended_pair,
                          c.multi_row_seconds}) {
      if (!(value >= 0 && std::isfinite(value))) fail("model '" + model.name + "' has a negative or non-finite cost");
    }
  }
  check_agreements(own, "models");
  for (const auto& [name, values] : classes) check_agreements(values, "class '" + name + "'");
  for (const AgreementChange& change : changes) check_agreements(change.agreement, "change at " + std::to_string(change.at_seconds) + " s");
  for (const Slowdown& slowdown : slowdowns) {
    if (slowdown.model < 0 || slowdown.model >= static_cast<int>(models.size())) fail("slowdown of an unknown model");
    if (!(slowdown.factor > 0) || !(slowdown.from_seconds <= slowdown.to_seconds)) {
      fail("slowdown of '" + models[static_cast<std::size_t>(slowdown.model)].name +
           "' needs factor > 0 and from_seconds <= to_seconds");
    }
  }
}

SimulationProfile load_simulation_profile(const std::filesystem::path& path) {
  const ProfileReader reader(path.string());
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open the simulation profile");
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& error) {
    throw ConfigError(path.string() + ": malformed YAML: " + error.what());
  }
  if (!root.IsMap()) reader.fail("(top level)", "expected a mapping");

  SimulationProfile profile;
  profile.name = reader.optional<std::string>(root, "", "name", path.stem().string());
  profile.source = reader.optional<std::string>(root, "", "source", "");
  profile.vocab_size = reader.optional<std::int64_t>(root, "", "vocab_size", profile.vocab_size);
  profile.max_context = reader.optional<std::int64_t>(root, "", "max_context", profile.max_context);
  reader.require(root, "", "models");
  const YAML::Node models = root["models"];
  if (!models.IsSequence() || models.size() == 0) reader.fail("models", "expected a non-empty list");
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string key = "models[" + std::to_string(i) + "]";
    const YAML::Node node = models[i];
    reader.require(node, key, "name");
    reader.require(node, key, "cost");
    SimulatedModelSpec model;
    model.name = reader.scalar<std::string>(node["name"], key + ".name");
    const YAML::Node cost = node["cost"];
    const std::string cost_key = key + ".cost";
    // Written in the units profiles are quoted in: milliseconds per pass, microseconds per
    // token, nanoseconds per cached position and per attended pair.
    if (!cost.IsMap()) reader.fail(cost_key, "expected a map of cost terms");
    for (const auto& term : cost) {
      const std::string name = term.first.as<std::string>();
      if (name != "fixed_ms" && name != "multi_row_ms" && name != "per_token_us" && name != "per_context_position_ns" &&
          name != "per_attended_pair_ns") {
        reader.fail(cost_key + "." + name,
                    "is not a cost term (fixed_ms, multi_row_ms, per_token_us, per_context_position_ns, "
                    "per_attended_pair_ns)");
      }
    }
    model.cost.fixed_seconds = reader.optional<double>(cost, cost_key, "fixed_ms", 0.0) * 1e-3;
    model.cost.seconds_per_token = reader.optional<double>(cost, cost_key, "per_token_us", 0.0) * 1e-6;
    model.cost.seconds_per_context_position = reader.optional<double>(cost, cost_key, "per_context_position_ns", 0.0) * 1e-9;
    model.cost.seconds_per_attended_pair = reader.optional<double>(cost, cost_key, "per_attended_pair_ns", 0.0) * 1e-9;
    model.cost.multi_row_seconds = reader.optional<double>(cost, cost_key, "multi_row_ms", 0.0) * 1e-3;
    model.agreement = reader.optional<double>(node, key, "agreement", i + 1 == models.size() ? 1.0 : -1.0);
    if (model.agreement < 0) reader.fail(key + ".agreement", "missing (every model but the target needs one)");
    profile.models.push_back(model);
  }
  if (const YAML::Node classes = root["classes"]) {
    if (!classes.IsMap()) reader.fail("classes", "expected a mapping of class name to agreements");
    for (const auto& entry : classes) {
      const std::string name = reader.scalar<std::string>(entry.first, "classes");
      profile.classes[name] = reader.numbers(entry.second, "classes." + name);
    }
  }
  if (const YAML::Node changes = root["changes"]) {
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const std::string key = "changes[" + std::to_string(i) + "]";
      reader.require(changes[i], key, "at_seconds");
      reader.require(changes[i], key, "agreement");
      profile.changes.push_back({reader.scalar<double>(changes[i]["at_seconds"], key + ".at_seconds"),
                                 reader.numbers(changes[i]["agreement"], key + ".agreement")});
    }
  }
  if (const YAML::Node slowdowns = root["slowdowns"]) {
    for (std::size_t i = 0; i < slowdowns.size(); ++i) {
      const std::string key = "slowdowns[" + std::to_string(i) + "]";
      const YAML::Node node = slowdowns[i];
      for (const char* name : {"model", "factor", "from_seconds", "to_seconds"}) reader.require(node, key, name);
      profile.slowdowns.push_back({model_index(profile, reader.scalar<std::string>(node["model"], key + ".model"), reader, key + ".model"),
                                   reader.scalar<double>(node["factor"], key + ".factor"),
                                   reader.scalar<double>(node["from_seconds"], key + ".from_seconds"),
                                   reader.scalar<double>(node["to_seconds"], key + ".to_seconds")});
    }
  }
  try {
    profile.validate(path.string());
  } catch (const UsageError& error) {
    throw ConfigError(error.what());
  }
  return profile;
}

}  // namespace specrouter
