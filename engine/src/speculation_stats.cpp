// Summing StepResults over a run and rendering them (see speculation_stats.h).
#include "specrouter/engine/speculation_stats.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "specrouter/error.h"

namespace specrouter::engine {
namespace {
using Json = nlohmann::ordered_json;

// `num / den`, or null when nothing was counted (a rate of 0/0 is unknown, not 0).
Json ratio(double num, double den) { return den > 0 ? Json(num / den) : Json(nullptr); }

void emit_yaml(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit_yaml(out, item);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array: {
      // Lists of numbers (per position, per draft length) read best on one line.
      const bool scalars = std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_primitive(); });
      if (scalars) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const Json& item : value) emit_yaml(out, item);
      out << YAML::EndSeq;
      break;
    }
    case Json::value_t::null: out << YAML::Null; break;
    case Json::value_t::boolean: out << value.get<bool>(); break;
    case Json::value_t::number_integer: out << value.get<std::int64_t>(); break;
    case Json::value_t::number_unsigned: out << value.get<std::uint64_t>(); break;
    case Json::value_t::number_float: out << value.get<double>(); break;
    default: out << value.get<std::string>(); break;
  }
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string rate_text(std::int64_t num, std::int64_t den) { return den > 0 ? fixed(double(num) / double(den), 3) : "n/a"; }

}  // namespace

SpeculationStats::SpeculationStats(SpeculationSetup setup)
    : setup_(std::move(setup)), statistics_(setup_.pool_names, setup_.drafter) {}

void SpeculationStats::add_step(const StepOutcome& step) { statistics_.add_step(step); }

void SpeculationStats::finish(double seconds, std::int64_t new_tokens) {
  seconds_ = seconds;
  new_tokens_ = new_tokens;
}

std::string SpeculationStats::to_json() const {
  Json chain = Json::array();
  for (int index : setup_.plan.chain) chain.push_back(setup_.pool_names.at(static_cast<std::size_t>(index)));
  double model_seconds = statistics_.drafter_seconds();
  for (double s : statistics_.forward_seconds()) model_seconds += s;
  const double step_seconds = statistics_.step_seconds();

  Json report;
  report["plan"] = {{"chain", chain},
                    {"draft_lengths", setup_.plan.draft_lengths},
                    {"verifier", setup_.verifier},
                    {"drafter", setup_.drafter.empty() ? Json(nullptr) : Json(setup_.drafter)},
                    {"drafter_length", setup_.drafter.empty() ? Json(nullptr) : Json(setup_.drafter_length)}};
  report["sampling"] = {{"temperature", setup_.sampling.temperature},
                        {"top_k", setup_.sampling.top_k},
                        {"top_p", setup_.sampling.top_p},
                        {"seed", setup_.seed}};
  report["batch"] = setup_.batch;
  report["threads"] = setup_.threads;
  report["seconds"] = seconds_;
  report["steps"] = statistics_.steps();
  report["target_passes"] = statistics_.target_passes();
  report["sequence_steps"] = statistics_.sequence_steps();
  report["committed_tokens"] = statistics_.committed_tokens();
  report["new_tokens"] = new_tokens_;
  report["tokens_per_second"] = ratio(static_cast<double>(new_tokens_), seconds_);
  report["tau"] = tau();
  report["seconds_outside_model_calls"] = step_seconds - model_seconds;
  report["overhead_fraction"] = ratio(step_seconds - model_seconds, step_seconds);

  Json levels = Json::array();
  for (std::size_t level = 0; level < setup_.plan.chain.size(); ++level) {
    const LevelTotals& total = statistics_.level(setup_.plan.chain[level]);
    Json by_position = Json::array();
    for (std::size_t i = 0; i < total.drafted_at.size(); ++i) {
      const std::int64_t accepted = i < total.accepted_at.size() ? total.accepted_at[i] : 0;
      by_position.push_back(ratio(static_cast<double>(accepted), static_cast<double>(total.drafted_at[i])));
    }
    levels.push_back({{"level", level},
                      {"model", setup_.pool_names.at(static_cast<std::size_t>(total.pool_index))},
                      {"rounds", total.rounds},
                      {"drafted", total.drafted},
                      {"accepted", total.accepted},
                      {"acceptance_rate", ratio(static_cast<double>(total.accepted), static_cast<double>(total.drafted))},
                      {"recovered", total.recovered},
                      {"bonus", total.bonus},
                      {"produced", total.produced},
                      {"drafted_at", total.drafted_at},
                      {"accepted_at", total.accepted_at},
                      {"acceptance_rate_at", by_position},
                      {"mean_tv_distance", ratio(total.tv_distance_sum, static_cast<double>(total.tv_positions))},
                      {"tv_positions", total.tv_positions}});
  }
  report["levels"] = levels;

  Json forward = Json::array();
  if (!setup_.drafter.empty()) {
    forward.push_back({{"model", "drafter:" + setup_.drafter},
                       {"calls", statistics_.drafter_calls()},
                       {"seconds", statistics_.drafter_seconds()}});
  }
  for (std::size_t i = 0; i < statistics_.forward_seconds().size(); ++i) {
    if (statistics_.forward_calls()[i] == 0) continue;
    forward.push_back({{"model", setup_.pool_names[i]},
                       {"calls", statistics_.forward_calls()[i]},
                       {"seconds", statistics_.forward_seconds()[i]}});
  }
  report["forward"] = forward;
  return report.dump(2);
}

void SpeculationStats::write_file(const std::filesystem::path& path) const {
  std::string text = to_json() + "\n";
  if (path.extension() != ".json") {
    YAML::Emitter out;
    out.SetDoublePrecision(6);
    emit_yaml(out, Json::parse(text));
    text = std::string(out.c_str()) + "\n";
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.flush()) throw Error("--stats: cannot write " + path.string());
}

void SpeculationStats::print(std::ostream& out) const {
  const Json report = Json::parse(to_json());
  std::string chain;
  for (const Json& name : report["plan"]["chain"]) chain += (chain.empty() ? "" : ", ") + name.get<std::string>();
  std::string lengths;
  for (int length : setup_.plan.draft_lengths) lengths += (lengths.empty() ? "" : ",") + std::to_string(length);
  out << "plan [" << chain << "]" << (lengths.empty() ? "" : " draft lengths " + lengths) << ", verifier "
      << setup_.verifier;
  if (!setup_.drafter.empty()) out << ", drafter " << setup_.drafter << " (length " << setup_.drafter_length << ")";
  out << ", " << (setup_.sampling.greedy() ? "greedy" : "temperature " + fixed(setup_.sampling.temperature, 2))
      << ", batch " << setup_.batch << ", " << setup_.threads << " threads\n";
  out << "  " << statistics_.steps() << " steps, " << statistics_.target_passes() << " target passes, " << new_tokens_
      << " new tokens (" << statistics_.committed_tokens() << " committed) in " << fixed(seconds_, 3) << " s: "
      << (seconds_ > 0 ? fixed(static_cast<double>(new_tokens_) / seconds_, 1) : "n/a") << " tokens/s, tau "
      << fixed(tau(), 2) << "\n";

  int name_width = 7;
  for (int index : setup_.plan.chain) {
    const LevelTotals& total = statistics_.level(index);
    name_width = std::max(name_width, 2 + static_cast<int>(setup_.pool_names.at(static_cast<std::size_t>(total.pool_index)).size()));
  }
  out << "  " << std::left << std::setw(6) << "level" << std::setw(name_width) << "model" << std::right << std::setw(8)
      << "drafted" << std::setw(9) << "accepted" << std::setw(7) << "rate" << std::setw(10) << "recovered"
      << std::setw(7) << "bonus" << std::setw(9) << "mean TV" << "  acceptance by draft position\n";
  for (std::size_t level = 0; level < setup_.plan.chain.size(); ++level) {
    const LevelTotals& total = statistics_.level(setup_.plan.chain[level]);
    std::string by_position;
    for (std::size_t i = 0; i < total.drafted_at.size(); ++i) {
      const std::int64_t accepted = i < total.accepted_at.size() ? total.accepted_at[i] : 0;
      by_position += (by_position.empty() ? "" : " ") + rate_text(accepted, total.drafted_at[i]);
    }
    out << "  " << std::left << std::setw(6) << level << std::setw(name_width)
        << setup_.pool_names.at(static_cast<std::size_t>(total.pool_index)) << std::right << std::setw(8)
        << total.drafted << std::setw(9) << total.accepted << std::setw(7) << rate_text(total.accepted, total.drafted)
        << std::setw(10) << total.recovered << std::setw(7) << total.bonus << std::setw(9)
        << (total.tv_positions > 0 ? fixed(total.tv_distance_sum / static_cast<double>(total.tv_positions), 3) : "n/a")
        << "  " << (by_position.empty() ? "n/a" : by_position) << "\n";
  }
  out << "  forward time:";
  for (const Json& model : report["forward"]) {
    out << " " << model["model"].get<std::string>() << " " << fixed(model["seconds"].get<double>(), 3) << " s ("
        << model["calls"].get<std::int64_t>() << " calls),";
  }
  const Json& overhead = report["overhead_fraction"];
  out << " outside model calls " << fixed(report["seconds_outside_model_calls"].get<double>(), 3) << " s ("
      << (overhead.is_null() ? "n/a" : fixed(100 * overhead.get<double>(), 1) + "%") << ")\n";
}

}  // namespace specrouter::engine
