#pragma once
// The processes that share a sweep: one alone, or the ranks of an MPI job
// (`mpirun -n 4 specrouter -m ...`) when the CLI is built with MPI (find_package(MPI);
// SPECROUTER_WITH_MPI). MPI is initialised only when the process was started by an MPI
// launcher, so a plain `specrouter` never touches it.

#include <cstdint>
#include <string>

namespace specrouter::engine {

/// This process's place among the processes of one sweep.
class ProcessGroup {
 public:
  /// Joins the MPI job when started by an MPI launcher (and built with MPI); otherwise a
  /// group of one. Throws UsageError when an MPI launcher started several processes but
  /// this build has no MPI: each would run every job into the same folders.
  ProcessGroup();
  ~ProcessGroup();  ///< finalises MPI if it was initialised here
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }  ///< 0 .. size()-1
  int size() const { return size_; }  ///< processes in the sweep
  bool is_root() const { return rank_ == 0; }

  /// Rank 0's `value` on every rank (collective: every rank must call it).
  std::int64_t broadcast_from_root(std::int64_t value) const;
  /// Sum of `value` over all ranks, on every rank (collective).
  std::int64_t sum(std::int64_t value) const;

  /// True when this build can run a sweep over MPI ranks.
  static bool built_with_mpi();

 private:
  int rank_ = 0;
  int size_ = 1;
  bool initialised_here_ = false;
};

}  // namespace specrouter::engine
