// Sweep progress. The rate counts only the jobs run by this invocation: skipped
// (already finished) jobs cost nothing and would make the ETA of a resumed sweep lie.
#include "specrouter/engine/sweep_progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace specrouter::engine {

ProgressStyle progress_style_for(int stream_fd) { return ::isatty(stream_fd) ? ProgressStyle::kBar : ProgressStyle::kLines; }

std::string format_duration(double seconds) {
  char buffer[64];
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
    return buffer;
  }
  const long total = std::lround(seconds);
  if (total < 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  }
  return buffer;
}

SweepProgress::SweepProgress(std::ostream& out, ProgressStyle style, std::size_t jobs, std::string label)
    : out_(out), style_(style), jobs_(jobs), label_(std::move(label)), start_(std::chrono::steady_clock::now()) {}

double SweepProgress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double SweepProgress::eta() const {
  const std::size_t ran = done_ + failed_;
  if (ran == 0) return -1;
  const std::size_t left = jobs_ - ran - skipped_;
  return elapsed() / static_cast<double>(ran) * static_cast<double>(left);
}

void SweepProgress::skipped(std::size_t number, std::size_t total) {
  ++skipped_;
  out_ << "[" << label_ << "] job " << number + 1 << "/" << total << " skipped: already finished (results.h5)\n";
  out_.flush();
}

void SweepProgress::finished(std::size_t number, std::size_t total, bool succeeded, double seconds) {
  ++(succeeded ? done_ : failed_);
  report("job " + std::to_string(number + 1) + "/" + std::to_string(total) + (succeeded ? " done" : " FAILED") +
         " in " + format_duration(seconds));
}

void SweepProgress::report(const std::string& what) {
  const std::size_t ended = done_ + failed_ + skipped_;
  const double remaining = eta();
  const std::string eta_text = remaining < 0 ? "?" : format_duration(remaining);
  const double ran = static_cast<double>(done_ + failed_);
  const double minutes = elapsed() / 60.0;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.2f", minutes > 0 ? ran / minutes : 0.0);

  if (style_ == ProgressStyle::kLines) {
    out_ << "[" << label_ << "] " << what << "; " << ended << "/" << jobs_ << " ended (" << done_ << " done, "
         << failed_ << " failed, " << skipped_ << " skipped); elapsed " << format_duration(elapsed()) << ", ETA "
         << eta_text << "\n";
  } else {
    constexpr int kWidth = 30;
    const int filled = jobs_ == 0 ? kWidth : static_cast<int>(kWidth * ended / jobs_);
    const int percent = jobs_ == 0 ? 100 : static_cast<int>(100 * ended / jobs_);
    out_ << "[" << label_ << "] " << what << "\n"
         << "[" << label_ << "] |" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "| " << ended
         << "/" << jobs_ << " " << percent << "%  " << rate << " jobs/min  elapsed " << format_duration(elapsed())
         << "  ETA " << eta_text << (failed_ ? "  (" + std::to_string(failed_) + " failed)" : std::string()) << "\n";
  }
  out_.flush();
}

}  // namespace specrouter::engine
