// OnlineEstimates::save and ::load: the JSON profile (format in
// docs/design/profiler_and_similarity.md). Doubles are written by nlohmann's shortest
// round-trip formatting, so a loaded profile predicts bit for bit what the saved one did.
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "specrouter/error.h"
#include "specrouter/scheduling/online_estimates.h"

namespace specrouter {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "specrouter.performance_profile";
constexpr int kVersion = 3;  // 2: the multi-row term (a fit of 5 coefficients); 3: acceptance beliefs
constexpr int kOldestReadable = 2;  // version 2 profiles load with beliefs off

json shape_json(ForwardShape shape) {
  return {{"tokens_per_sequence", shape.tokens_per_sequence},
          {"batch_size", shape.batch_size},
          {"context_length", shape.context_length}};
}

json cost_json(const ForwardCost& cost) {
  return {{"fixed_seconds", cost.fixed_seconds},
          {"seconds_per_token", cost.seconds_per_token},
          {"seconds_per_context_position", cost.seconds_per_context_position},
          {"seconds_per_attended_pair", cost.seconds_per_attended_pair},
          {"multi_row_seconds", cost.multi_row_seconds}};
}

// Reads one profile file, naming the file and the key path in every error.
class ProfileReader {
 public:
  explicit ProfileReader(std::filesystem::path path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
    throw ConfigError("performance profile " + path_.string() + ": key '" + key + "' " + reason);
  }

  const json& member(const json& object, const std::string& parent, const std::string& name) const {
    const std::string key = parent.empty() ? name : parent + "." + name;
    if (!object.is_object()) fail(parent.empty() ? "(root)" : parent, "is not an object");
    auto it = object.find(name);
    if (it == object.end()) fail(key, "is missing");
    return *it;
  }

  double number(const json& object, const std::string& parent, const std::string& name) const {
    const json& value = member(object, parent, name);
    if (!value.is_number()) fail(join(parent, name), "is not a number");
    return value.get<double>();
  }

  std::int64_t integer(const json& object, const std::string& parent, const std::string& name) const {
    const json& value = member(object, parent, name);
    if (!value.is_number_integer()) fail(join(parent, name), "is not an integer");
    return value.get<std::int64_t>();
  }

  std::string string(const json& object, const std::string& parent, const std::string& name) const {
    const json& value = member(object, parent, name);
    if (!value.is_string()) fail(join(parent, name), "is not a string");
    return value.get<std::string>();
  }

  bool boolean(const json& object, const std::string& parent, const std::string& name) const {
    const json& value = member(object, parent, name);
    if (!value.is_boolean()) fail(join(parent, name), "is not a boolean");
    return value.get<bool>();
  }

  const json& array(const json& object, const std::string& parent, const std::string& name, std::size_t size = 0) const {
    const json& value = member(object, parent, name);
    if (!value.is_array()) fail(join(parent, name), "is not an array");
    if (size != 0 && value.size() != size) {
      fail(join(parent, name), "has " + std::to_string(value.size()) + " entries, expected " + std::to_string(size));
    }
    return value;
  }

  ForwardShape shape(const json& object, const std::string& key) const {
    return {static_cast<int>(integer(object, key, "tokens_per_sequence")), static_cast<int>(integer(object, key, "batch_size")),
            number(object, key, "context_length")};
  }

  static std::string join(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }
  static std::string at(const std::string& parent, std::size_t index) { return parent + "[" + std::to_string(index) + "]"; }

 private:
  std::filesystem::path path_;
};

}  // namespace

void OnlineEstimates::save(const std::filesystem::path& path) const {
  json profile;
  profile["format"] = kFormat;
  profile["version"] = kVersion;
  const ForwardProfilerOptions& p = options_.profiler;
  const SimilarityTrackerOptions& s = options_.similarity;
  profile["options"] = {
      {"forgetting_factor", p.forgetting_factor},
      {"min_effective_observations", p.min_effective_observations},
      {"ridge", p.ridge},
      {"fallback_smoothing", p.fallback_smoothing},
      {"unobserved_seconds_per_pass", p.unobserved_seconds_per_pass},
      {"acceptance_mapping", s.mapping == AcceptanceMapping::kSampling ? "sampling" : "greedy"},
      {"tv_smoothing", s.tv_smoothing},
      {"acceptance_forgetting", s.acceptance_forgetting},
      {"calibration_forgetting", s.calibration_forgetting},
      {"min_calibration_weight", s.min_calibration_weight},
      {"min_calibration_spread", s.min_calibration_spread},
      {"default_acceptance", s.default_acceptance},
      {"unobserved_prior", s.neighbour_prior ? "neighbour" : "default"},
  };
  profile["models"] = json::array();
  for (int model = 0; model < pool_size(); ++model) {
    const ForwardFitState& fit = profiler_.state(model);
    profile["models"].push_back({
        {"name", model_names_[model]},
        {"cost", cost_json(profiler_.cost(model))},  // for readers; load() recomputes it from the fit
        {"fitted", profiler_.is_fitted(model)},
        {"observations", fit.observations},
        {"smallest_shape", shape_json(fit.smallest)},
        {"largest_shape", shape_json(fit.largest)},
        {"fit", {{"information", fit.information},
                 {"moment", fit.moment},
                 {"weight", fit.weight},
                 {"mean_seconds_per_pass", fit.mean_seconds_per_pass}}},
    });
  }
  profile["pairs"] = json::array();
  for (const auto& [key, state] : similarity_.pairs()) {
    profile["pairs"].push_back({{"request_class", key.request_class},
                                {"drafter", key.drafter},
                                {"verifier", key.verifier},
                                {"tv_mean", state.tv_mean},
                                {"tv_positions", state.tv_positions},
                                {"accepted", state.accepted},
                                {"rejections", state.rejections},
                                {"records", state.records}});
  }
  const CalibrationState& c = similarity_.calibration_state();
  profile["calibration"] = {{"weight", c.weight}, {"sum_x", c.sum_x}, {"sum_y", c.sum_y},
                            {"sum_xx", c.sum_xx}, {"sum_xy", c.sum_xy}};
  json acceptance = json::array();  // for readers: the snapshot's matrix for class ""
  const FrozenEstimates now = snapshot();
  for (int drafter = 0; drafter < pool_size(); ++drafter) {
    json row = json::array();
    for (int verifier = 0; verifier < pool_size(); ++verifier) {
      row.push_back(drafter < verifier ? now.acceptance_rate(drafter, verifier) : 0.0);
    }
    acceptance.push_back(std::move(row));
  }
  profile["acceptance"] = std::move(acceptance);
  const AcceptanceBeliefOptions& b = options_.beliefs;
  json prior_means = json::array();  // null = default_prior_mean
  for (const auto& row : b.prior_means) {
    json out = json::array();
    for (double mean : row) out.push_back(std::isnan(mean) ? json(nullptr) : json(mean));
    prior_means.push_back(std::move(out));
  }
  json evidence = json::array();
  for (const auto& [key, counts] : beliefs_.evidence()) {
    evidence.push_back({{"request_class", key.request_class},
                        {"drafter", key.drafter},
                        {"verifier", key.verifier},
                        {"accepted", counts.accepted},
                        {"rejections", counts.rejections}});
  }
  profile["beliefs"] = {{"prior_strength", b.prior_strength},
                        {"default_prior_mean", b.default_prior_mean},
                        {"prior_means", std::move(prior_means)},
                        {"forgetting", b.forgetting},
                        {"evidence", std::move(evidence)}};

  std::ofstream out(path);
  out << profile.dump(2) << '\n';
  out.close();
  if (!out) throw ConfigError("performance profile " + path.string() + ": cannot be written");
}

OnlineEstimates OnlineEstimates::load(const std::filesystem::path& path,
                                      const std::vector<std::string>& expected_model_names, bool frozen) {
  std::ifstream in(path);
  if (!in) throw ConfigError("performance profile " + path.string() + ": cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  json profile;
  try {
    profile = json::parse(text.str());
  } catch (const json::exception& error) {  // parse errors, and numbers out of range
    throw ConfigError("performance profile " + path.string() + ": not valid JSON (" + error.what() + ")");
  }
  const ProfileReader read(path);
  if (read.string(profile, "", "format") != kFormat) read.fail("format", std::string("is not '") + kFormat + "'");
  const std::int64_t version = read.integer(profile, "", "version");
  if (version < kOldestReadable || version > kVersion) {
    read.fail("version", "is " + std::to_string(version) + ", this build reads versions " +
                             std::to_string(kOldestReadable) + " to " + std::to_string(kVersion) +
                             " (version 1 profiles predate the multi-row cost term: run again to write a new one)");
  }

  const json& o = read.member(profile, "", "options");
  OnlineEstimatesOptions options;
  options.profiler.forgetting_factor = read.number(o, "options", "forgetting_factor");
  options.profiler.min_effective_observations = read.number(o, "options", "min_effective_observations");
  options.profiler.ridge = read.number(o, "options", "ridge");
  options.profiler.fallback_smoothing = read.number(o, "options", "fallback_smoothing");
  options.profiler.unobserved_seconds_per_pass = read.number(o, "options", "unobserved_seconds_per_pass");
  const std::string mapping = read.string(o, "options", "acceptance_mapping");
  if (mapping != "sampling" && mapping != "greedy") {
    read.fail("options.acceptance_mapping", "is '" + mapping + "', must be 'sampling' or 'greedy'");
  }
  options.similarity.mapping = mapping == "sampling" ? AcceptanceMapping::kSampling : AcceptanceMapping::kGreedy;
  options.similarity.tv_smoothing = read.number(o, "options", "tv_smoothing");
  options.similarity.acceptance_forgetting = read.number(o, "options", "acceptance_forgetting");
  options.similarity.calibration_forgetting = read.number(o, "options", "calibration_forgetting");
  options.similarity.min_calibration_weight = read.number(o, "options", "min_calibration_weight");
  options.similarity.min_calibration_spread = read.number(o, "options", "min_calibration_spread");
  options.similarity.default_acceptance = read.number(o, "options", "default_acceptance");
  const std::string prior = read.string(o, "options", "unobserved_prior");
  if (prior != "neighbour" && prior != "default") {
    read.fail("options.unobserved_prior", "is '" + prior + "', must be 'neighbour' or 'default'");
  }
  options.similarity.neighbour_prior = prior == "neighbour";

  const json& models = read.array(profile, "", "models");
  if (models.empty()) read.fail("models", "is empty, the pool needs at least the target");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string key = ProfileReader::at("models", i);
    names.push_back(read.string(models[i], key, "name"));
    if (!expected_model_names.empty() &&
        (i >= expected_model_names.size() || names.back() != expected_model_names[i])) {
      read.fail(key + ".name", "is '" + names.back() + "', the pool's model " + std::to_string(i) + " is " +
                                   (i < expected_model_names.size() ? "'" + expected_model_names[i] + "'" : "absent"));
    }
  }
  if (!expected_model_names.empty() && expected_model_names.size() != names.size()) {
    read.fail("models", "has " + std::to_string(names.size()) + " models, the pool has " +
                            std::to_string(expected_model_names.size()));
  }

  std::map<BeliefKey, BeliefEvidence> evidence;
  if (version >= 3) {
    const json& b = read.member(profile, "", "beliefs");
    options.beliefs.prior_strength = read.number(b, "beliefs", "prior_strength");
    options.beliefs.default_prior_mean = read.number(b, "beliefs", "default_prior_mean");
    options.beliefs.forgetting = read.number(b, "beliefs", "forgetting");
    const json& means = read.array(b, "beliefs", "prior_means");
    for (std::size_t i = 0; i < means.size(); ++i) {
      const std::string row_key = ProfileReader::at("beliefs.prior_means", i);
      if (!means[i].is_array()) read.fail(row_key, "is not an array");
      std::vector<double> row;
      for (std::size_t j = 0; j < means[i].size(); ++j) {
        const json& mean = means[i][j];
        if (!mean.is_null() && !mean.is_number()) read.fail(ProfileReader::at(row_key, j), "is not a number or null");
        row.push_back(mean.is_null() ? std::nan("") : mean.get<double>());
      }
      options.beliefs.prior_means.push_back(std::move(row));
    }
    const json& entries = read.array(b, "beliefs", "evidence");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string key = ProfileReader::at("beliefs.evidence", i);
      BeliefKey pair{read.string(entries[i], key, "request_class"),
                     static_cast<int>(read.integer(entries[i], key, "drafter")),
                     static_cast<int>(read.integer(entries[i], key, "verifier"))};
      BeliefEvidence counts{read.number(entries[i], key, "accepted"), read.number(entries[i], key, "rejections")};
      if (!evidence.emplace(pair, counts).second) read.fail(key, "repeats an earlier pair of the same class");
    }
  }

  std::optional<OnlineEstimates> estimates;
  try {
    estimates.emplace(names, options);
  } catch (const UsageError& error) {
    read.fail("options", std::string("are invalid: ") + error.what());
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string key = ProfileReader::at("models", i);
    const std::string fit_key = key + ".fit";
    const json& fit_json = read.member(models[i], key, "fit");
    ForwardFitState fit;
    const json& information = read.array(fit_json, fit_key, "information", fit.information.size());
    const json& moment = read.array(fit_json, fit_key, "moment", fit.moment.size());
    for (std::size_t k = 0; k < fit.information.size(); ++k) {
      if (!information[k].is_number()) read.fail(ProfileReader::at(fit_key + ".information", k), "is not a number");
      fit.information[k] = information[k].get<double>();
    }
    for (std::size_t k = 0; k < fit.moment.size(); ++k) {
      if (!moment[k].is_number()) read.fail(ProfileReader::at(fit_key + ".moment", k), "is not a number");
      fit.moment[k] = moment[k].get<double>();
    }
    fit.weight = read.number(fit_json, fit_key, "weight");
    fit.mean_seconds_per_pass = read.number(fit_json, fit_key, "mean_seconds_per_pass");
    fit.observations = read.integer(models[i], key, "observations");
    fit.smallest = read.shape(read.member(models[i], key, "smallest_shape"), key + ".smallest_shape");
    fit.largest = read.shape(read.member(models[i], key, "largest_shape"), key + ".largest_shape");
    try {
      estimates->profiler_.restore(static_cast<int>(i), fit);
    } catch (const UsageError& error) {
      read.fail(fit_key, std::string("is invalid: ") + error.what());
    }
  }

  std::map<SimilarityPairKey, SimilarityPairState> pairs;
  const json& pairs_json = read.array(profile, "", "pairs");
  for (std::size_t i = 0; i < pairs_json.size(); ++i) {
    const std::string key = ProfileReader::at("pairs", i);
    const json& entry = pairs_json[i];
    SimilarityPairKey pair{read.string(entry, key, "request_class"), static_cast<int>(read.integer(entry, key, "drafter")),
                           static_cast<int>(read.integer(entry, key, "verifier"))};
    SimilarityPairState state{read.number(entry, key, "tv_mean"), read.integer(entry, key, "tv_positions"),
                              read.number(entry, key, "accepted"), read.number(entry, key, "rejections"),
                              read.integer(entry, key, "records")};
    if (pair.drafter < 0 || pair.verifier >= static_cast<int>(names.size()) || pair.drafter >= pair.verifier) {
      read.fail(key, "is the pair (" + std::to_string(pair.drafter) + ", " + std::to_string(pair.verifier) +
                         "), needs 0 <= drafter < verifier < " + std::to_string(names.size()));
    }
    if (!pairs.emplace(pair, state).second) read.fail(key, "repeats an earlier pair of the same class");
  }
  const json& c = read.member(profile, "", "calibration");
  CalibrationState calibration{read.number(c, "calibration", "weight"), read.number(c, "calibration", "sum_x"),
                               read.number(c, "calibration", "sum_y"), read.number(c, "calibration", "sum_xx"),
                               read.number(c, "calibration", "sum_xy")};
  try {
    estimates->similarity_.restore(std::move(pairs), calibration);
  } catch (const UsageError& error) {
    read.fail("pairs", std::string("are invalid: ") + error.what());
  }
  try {
    estimates->beliefs_.restore(std::move(evidence));
  } catch (const UsageError& error) {
    read.fail("beliefs.evidence", std::string("is invalid: ") + error.what());
  }
  estimates->set_frozen(frozen);
  return std::move(*estimates);
}

}  // namespace specrouter
