#pragma once
// Progress of a sweep: on a terminal a bar with the rate and ETA, in a log (a pipe, a
// file, a batch system) one plain line per finished job with elapsed time and ETA.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace specrouter::engine {

/// How progress is shown.
enum class ProgressStyle {
  kBar,    ///< a bar redrawn after every job: for terminals
  kLines,  ///< one self-contained line per job: for logs
};

/// kBar when `stream_fd` is a terminal, kLines otherwise.
ProgressStyle progress_style_for(int stream_fd);

/// "1:02:03", "2:03" or "5.1 s".
std::string format_duration(double seconds);

/// Counts the jobs of one process (one MPI rank) and reports each one's end.
class SweepProgress {
 public:
  /// `jobs`: the jobs this process owns, skipped ones included; `label` prefixes every
  /// line ("sweep", "sweep rank 1/4").
  SweepProgress(std::ostream& out, ProgressStyle style, std::size_t jobs, std::string label);

  /// Job `number` (0-based, of the whole sweep; `total` jobs in it) was already finished.
  void skipped(std::size_t number, std::size_t total);
  /// Job `number` ended after `seconds`, successfully or not.
  void finished(std::size_t number, std::size_t total, bool succeeded, double seconds);

  std::size_t done() const { return done_; }      ///< jobs that ran and succeeded
  std::size_t failed() const { return failed_; }  ///< jobs that ran and failed

 private:
  double elapsed() const;
  // Seconds left at the rate of the jobs run so far; negative when unknown.
  double eta() const;
  void report(const std::string& what);

  std::ostream& out_;
  ProgressStyle style_;
  std::size_t jobs_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace specrouter::engine
