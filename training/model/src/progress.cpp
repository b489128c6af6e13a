// The progress display (see progress.h).
#include "specrouter/training/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace specrouter::training {

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", total / 3600, (total / 60) % 60);
  } else if (total >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%llds", total);
  }
  return text;
}

ProgressReporter::ProgressReporter(std::ostream& out, bool interactive, std::int64_t first_step,
                                   std::int64_t total_steps, std::int64_t log_every, std::int64_t tokens_per_step)
    : out_(out),
      interactive_(interactive),
      first_step_(first_step),
      total_steps_(total_steps),
      log_every_(log_every),
      tokens_per_step_(tokens_per_step),
      last_step_(first_step),
      start_(std::chrono::steady_clock::now()) {}

double ProgressReporter::tokens_per_second() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const auto tokens = static_cast<double>((last_step_ - first_step_) * tokens_per_step_);
  return elapsed > 0.0 ? tokens / elapsed : 0.0;
}

void ProgressReporter::step_done(std::int64_t step, double loss, double learning_rate) {
  last_step_ = step;
  const bool last = step == total_steps_;
  if (!interactive_ && step % log_every_ != 0 && !last) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_step = elapsed / static_cast<double>(std::max<std::int64_t>(1, step - first_step_));
  const double eta = per_step * static_cast<double>(total_steps_ - step);
  char line[256];
  std::snprintf(line, sizeof line, "step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                static_cast<long long>(step), static_cast<long long>(total_steps_), loss, learning_rate,
                tokens_per_second(), format_duration(eta).c_str());
  if (interactive_) {
    constexpr int kWidth = 24;
    const auto filled = static_cast<int>(kWidth * step / std::max<std::int64_t>(1, total_steps_));
    out_ << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] " << line << "\x1b[K";
    if (last) out_ << "\n";
    bar_drawn_ = !last;
  } else {
    out_ << line << "\n";
  }
  out_.flush();
}

void ProgressReporter::message(const std::string& text) {
  if (bar_drawn_) out_ << "\r\x1b[K";
  out_ << text << "\n";
  out_.flush();
  bar_drawn_ = false;
}

}  // namespace specrouter::training
