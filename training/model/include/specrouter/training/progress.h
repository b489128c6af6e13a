#pragma once

/// @file
/// @brief The trainer's progress display: a bar redrawn in place on a terminal, plain
/// lines every few steps otherwise (logs, CI, pipes).

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace specrouter::training {

/// Formats seconds as `1h02m`, `3m05s` or `12s`.
std::string format_duration(double seconds);

/// Reports step, loss, learning rate, tokens per second and the estimated time left.
class ProgressReporter {
 public:
  /// `interactive`: redraw one line in place (stdout is a terminal); otherwise print a
  /// line every `log_every` steps and at the last one. Steps are counted from
  /// `first_step` (a resumed run's speed covers only its own steps).
  ProgressReporter(std::ostream& out, bool interactive, std::int64_t first_step, std::int64_t total_steps,
                   std::int64_t log_every, std::int64_t tokens_per_step);

  /// Called after step `step` (1-based count of completed steps) finished.
  void step_done(std::int64_t step, double loss, double learning_rate);
  /// Prints a message on its own line (evaluations, checkpoints) without breaking the bar.
  void message(const std::string& text);
  /// Tokens per second over this run's steps so far.
  double tokens_per_second() const;

 private:
  std::ostream& out_;
  bool interactive_;
  std::int64_t first_step_;
  std::int64_t total_steps_;
  std::int64_t log_every_;
  std::int64_t tokens_per_step_;
  std::int64_t last_step_;
  std::chrono::steady_clock::time_point start_;
  bool bar_drawn_ = false;
};

}  // namespace specrouter::training
