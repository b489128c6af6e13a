#include "specrouter/engine/acceptance_priors.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>

#include "specrouter/engine/config_values.h"
#include "specrouter/error.h"

namespace specrouter::engine {
namespace {

int index_of(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}


// Reads the map `key` (drafter>verifier: mean) into `means` ([drafter][verifier]).
// `drafter>*` sets every pair above `drafter` that no explicit entry of the map sets.
void read_prior_means(const ComposedConfig& config, const std::string& key, const std::vector<std::string>& names,
                      std::vector<std::vector<double>>& means) {
  const YAML::Node priors = config.find(key);
  if (!priors.IsDefined() || priors.IsNull()) return;
  if (!priors.IsMap()) {
    throw ConfigError(config.describe_key(key) + ": expected a map of drafter>verifier: mean, e.g. draft>target: 0.65");
  }
  for (const bool wildcards : {true, false}) {
    for (const auto& entry : priors) {
      const std::string pair = entry.first.as<std::string>();
      const std::string entry_key = key + "." + pair;
      const std::size_t arrow = pair.find('>');
      const bool wildcard = arrow != std::string::npos && pair.substr(arrow + 1) == "*";
      if (wildcard != wildcards) continue;
      const int drafter = arrow == std::string::npos ? -1 : index_of(names, pair.substr(0, arrow));
      const int verifier = wildcard ? static_cast<int>(names.size()) - 1
                                    : (arrow == std::string::npos ? -1 : index_of(names, pair.substr(arrow + 1)));
      if (drafter < 0 || verifier < 0 || drafter >= verifier) {
        throw ConfigError(config.describe_key(entry_key) + ": '" + pair +
                          "' is not cheaper>dearer (or cheaper>*) of the models the schedulers route (cheapest "
                          "first: " + joined(names) + ")");
      }
      const double mean = config_value<double>(config, entry_key);
      if (!(mean > 0 && mean < 1)) throw ConfigError(config.describe_key(entry_key) + ": a prior mean must be in (0, 1)");
      for (int above = wildcard ? drafter + 1 : verifier; above <= verifier; ++above) means[drafter][above] = mean;
    }
  }
}

}  // namespace

AcceptanceBeliefOptions read_acceptance_beliefs(const ComposedConfig& config, const std::vector<std::string>& names) {
  AcceptanceBeliefOptions options;
  options.prior_strength = config_value_or<double>(config, "scheduling.prior_strength", 16.0);
  options.default_prior_mean = config_value_or<double>(config, "scheduling.default_prior", 0.5);
  options.forgetting = config_value_or<double>(config, "scheduling.forgetting", 0.998);
  if (!(options.prior_strength >= 0) || !std::isfinite(options.prior_strength)) {
    throw ConfigError(config.describe_key("scheduling.prior_strength") + ": must be finite and >= 0 (0 = beliefs off)");
  }
  if (!(options.default_prior_mean > 0 && options.default_prior_mean < 1)) {
    throw ConfigError(config.describe_key("scheduling.default_prior") + ": must be in (0, 1)");
  }
  if (!(options.forgetting > 0 && options.forgetting <= 1)) {
    throw ConfigError(config.describe_key("scheduling.forgetting") + ": must be in (0, 1]");
  }

  const std::size_t n = names.size();
  options.prior_means.assign(n, std::vector<double>(n, std::numeric_limits<double>::quiet_NaN()));
  for (const std::string key : {"pool.acceptance_prior", "scheduling.acceptance_prior"}) {
    read_prior_means(config, key, names, options.prior_means);
  }
  return options;
}

}  // namespace specrouter::engine
