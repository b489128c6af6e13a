// Adaptation events: reading them from the config, slowing a model down for real, and
// firing them at step boundaries.
#include "specrouter/engine/run_events.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "specrouter/engine/config_values.h"
#include "specrouter/error.h"

namespace specrouter::engine {
namespace {

using Clock = std::chrono::steady_clock;

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_keys(const ComposedConfig& config, const std::string& path, const std::vector<std::string>& allowed) {
  for (const auto& item : config.at(path)) {
    const std::string key = item.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const std::string& name : allowed) list += (list.empty() ? "" : ", ") + name;
      throw ConfigError(config.describe_key(path + "." + key) + ": unknown key '" + key + "' (expected: " + list + ")");
    }
  }
}

}  // namespace

ForwardOutput SlowableModel::forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                                     const ForwardOptions& options) {
  const auto start = Clock::now();
  ForwardOutput output = inner_.forward(batch, state, kv, options);
  if (factor_ > 1.0) {
    const auto elapsed = std::chrono::duration<double>(Clock::now() - start);
    std::this_thread::sleep_for(elapsed * (factor_ - 1.0));
  }
  return output;
}

namespace {

// Appends the events of the config list `key`.
void read_event_list(const ComposedConfig& config, const std::string& key, std::vector<RunEvent>& events) {
  const YAML::Node list = config.find(key);
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) throw ConfigError(config.describe_key(key) + ": expected a list of events");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string entry = key + "[" + std::to_string(i) + "]";
    if (!config.at(entry).IsMap()) throw ConfigError(config.describe_key(entry) + ": expected a map");
    check_keys(config, entry, {"at_seconds", "at_step", "slowdown", "workload_class"});
    RunEvent event;
    const bool has_time = config.has(entry + ".at_seconds"), has_step = config.has(entry + ".at_step");
    if (has_time == has_step) throw ConfigError(config.describe_key(entry) + ": give exactly one of at_seconds, at_step");
    if (has_time) event.at_seconds = config_value<double>(config, entry + ".at_seconds");
    if (has_step) event.at_step = config_value<std::int64_t>(config, entry + ".at_step");
    if (event.at_seconds < 0 || (has_step && event.at_step < 0)) {
      throw ConfigError(config.describe_key(entry) + ": the time of an event must be >= 0");
    }
    const bool slowdown = config.has(entry + ".slowdown"), switch_class = config.has(entry + ".workload_class");
    if (slowdown == switch_class) {
      throw ConfigError(config.describe_key(entry) + ": give exactly one of slowdown: {model, factor, for_seconds} "
                        "or workload_class: CLASS");
    }
    if (slowdown) {
      const std::string s = entry + ".slowdown";
      check_keys(config, s, {"model", "factor", "for_seconds", "for_steps"});
      event.kind = RunEvent::Kind::kSlowdown;
      if (!config.has(s + ".model") || !config.has(s + ".factor")) {
        throw ConfigError(config.describe_key(s) + ": a slowdown needs model and factor");
      }
      event.model = config_value<std::string>(config, s + ".model");
      event.factor = config_value<double>(config, s + ".factor");
      if (!(event.factor >= 1)) throw ConfigError(config.describe_key(s + ".factor") + ": must be >= 1");
      if (config.has(s + ".for_seconds")) event.for_seconds = config_value<double>(config, s + ".for_seconds");
      if (config.has(s + ".for_steps")) event.for_steps = config_value<std::int64_t>(config, s + ".for_steps");
      if (!(event.for_seconds > 0) || (config.has(s + ".for_steps") && event.for_steps < 1)) {
        throw ConfigError(config.describe_key(s) + ": the window must be positive");
      }
    } else {
      event.kind = RunEvent::Kind::kWorkloadClass;
      event.request_class = config_value<std::string>(config, entry + ".workload_class");
    }
    event.entry = entry;
    events.push_back(std::move(event));
  }
}

}  // namespace

std::vector<RunEvent> read_events(const ComposedConfig& config) {
  std::vector<RunEvent> events;
  read_event_list(config, "workload.events", events);
  read_event_list(config, "events", events);
  return events;
}

EventSchedule::EventSchedule(std::vector<RunEvent> events, std::map<std::string, SlowableModel*> models,
                             const std::function<bool(const std::string&)>& class_exists)
    : pending_(std::move(events)), models_(std::move(models)) {
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const RunEvent& event = pending_[i];
    const std::string entry = event.entry.empty() ? "events[" + std::to_string(i) + "]" : event.entry;
    if (event.kind == RunEvent::Kind::kSlowdown && !models_.count(event.model)) {
      std::string names;
      for (const auto& [name, model] : models_) names += (names.empty() ? "" : ", ") + name;
      throw ConfigError(entry + ".slowdown.model: the pool has no model '" + event.model + "' (pool: " + names + ")");
    }
    if (event.kind == RunEvent::Kind::kWorkloadClass && !class_exists(event.request_class)) {
      throw ConfigError(entry + ".workload_class: the workload has no request of class '" + event.request_class + "'");
    }
  }
}

std::vector<FiredEvent> EventSchedule::advance(double now, std::int64_t step) {
  std::vector<FiredEvent> fired;
  // Windows close before new events open, so back-to-back slowdowns of a model chain.
  for (auto it = active_.begin(); it != active_.end();) {
    if (now >= it->until_seconds || (it->until_step >= 0 && step >= it->until_step)) {
      it->model->set_slowdown(1.0);
      fired.push_back({now, step, "slowdown_end", it->name + " back to full speed"});
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    const bool due = now >= it->at_seconds || (it->at_step >= 0 && step >= it->at_step);
    if (!due) {
      ++it;
      continue;
    }
    if (it->kind == RunEvent::Kind::kSlowdown) {
      SlowableModel* model = models_.at(it->model);
      model->set_slowdown(it->factor);
      std::string window = "until the end";
      if (it->for_steps >= 0) window = "for " + std::to_string(it->for_steps) + " steps";
      if (it->for_seconds != std::numeric_limits<double>::infinity()) window = "for " + format_number(it->for_seconds) + " s";
      fired.push_back({now, step, "slowdown", it->model + " x" + format_number(it->factor) + " " + window});
      active_.push_back({model, it->model, now + it->for_seconds, it->for_steps >= 0 ? step + it->for_steps : -1});
    } else {
      request_class_ = it->request_class;
      fired.push_back({now, step, "workload_class", "requests of class " + it->request_class + " from now on"});
    }
    it = pending_.erase(it);
  }
  return fired;
}

}  // namespace specrouter::engine
