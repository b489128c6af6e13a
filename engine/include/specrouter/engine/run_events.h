#pragma once
// Events of an adaptation experiment (config list `events`, docs/workloads.md): a real
// slowdown of a pool model for a time window, and a switch of the class of the requests
// that arrive. Each fires once, when the run's clock or step count reaches it.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/model/model.h"

namespace specrouter::engine {

/// A model whose forward passes can be made `factor` times slower: after each pass it
/// sleeps (factor - 1) x the pass's measured time. The slowdown is real wall time, so
/// the profiler, the schedulers and the results see exactly what a slower device gives.
class SlowableModel final : public Model {
 public:
  /// Wraps `inner` (not owned; it outlives this).
  explicit SlowableModel(Model& inner) : inner_(inner) {}

  /// 1 runs at full speed; 4 makes every pass take four times as long.
  void set_slowdown(double factor) { factor_ = factor; }
  /// The current factor.
  double slowdown() const { return factor_; }

  std::int64_t vocab_size() const override { return inner_.vocab_size(); }
  std::int64_t max_context() const override { return inner_.max_context(); }
  KvCacheSpec kv_cache_spec(const std::string& name, std::int64_t block_size) const override {
    return inner_.kv_cache_spec(name, block_size);
  }
  ForwardOutput forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                        const ForwardOptions& options = {}) override;

 private:
  Model& inner_;
  double factor_ = 1.0;
};

/// One configured event.
struct RunEvent {
  enum class Kind { kSlowdown, kWorkloadClass };
  Kind kind = Kind::kSlowdown;
  /// When it fires: the first step boundary at or after `at_seconds` of run time, or at
  /// step `at_step` (whichever is set; -1 / infinity when not).
  double at_seconds = std::numeric_limits<double>::infinity();
  std::int64_t at_step = -1;
  std::string model;   ///< slowdown: pool model name
  double factor = 1;   ///< slowdown: > 1
  /// slowdown: how long it lasts (seconds or steps; infinity / -1: to the end of the run)
  double for_seconds = std::numeric_limits<double>::infinity();
  std::int64_t for_steps = -1;
  std::string request_class;  ///< workload_class: the class of every request arriving from then on
  std::string entry;          ///< its config key, for messages ("events[1]", "workload.events[0]")
};

/// What happened at an event, for the `/events` table.
struct FiredEvent {
  double time_seconds = 0;  ///< run time at which it took effect
  std::int64_t step = 0;    ///< the first step that ran under it
  std::string kind;         ///< "slowdown", "slowdown_end" or "workload_class"
  std::string description;  ///< e.g. "draft x4 for 3 s"
};

/// Reads the config lists `workload.events` (a workload's own events: a phased workload)
/// and `events` (the experiment's), in that order; absent or null: none. Throws
/// ConfigError naming the entry, its file and line, for an unknown kind or key, or a bad
/// value.
std::vector<RunEvent> read_events(const ComposedConfig& config);

/// Fires the events when their time comes and ends slowdowns when their window closes.
class EventSchedule {
 public:
  /// `models`: the wrappers of the pool models by name (every model an event slows must
  /// be here; throws ConfigError naming it otherwise). `class_exists` says whether the
  /// workload has requests of a class (a switch to a class without any is refused).
  EventSchedule(std::vector<RunEvent> events, std::map<std::string, SlowableModel*> models,
                const std::function<bool(const std::string&)>& class_exists);

  /// Applies everything due at run time `now`, before step `step`; returns what fired.
  std::vector<FiredEvent> advance(double now, std::int64_t step);

  /// The class every newly arriving request must have; "" = any (the workload's order).
  const std::string& request_class() const { return request_class_; }

 private:
  struct Active {
    SlowableModel* model;
    std::string name;
    double until_seconds;
    std::int64_t until_step;
  };
  std::vector<RunEvent> pending_;
  std::vector<Active> active_;
  std::map<std::string, SlowableModel*> models_;
  std::string request_class_;
};

}  // namespace specrouter::engine
