// MPI, when built in and launched by mpirun; a group of one otherwise.
#include "specrouter/engine/process_group.h"

#include <cstdlib>

#include "specrouter/error.h"

#ifdef SPECROUTER_WITH_MPI
#include <mpi.h>
#endif

namespace specrouter::engine {
namespace {

// Processes an MPI launcher says it started: OpenMPI, PMIx and MPICH/Hydra each set
// their own variable. 0 when no launcher started this process.
int launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return std::getenv("PMIX_RANK") ? 1 : 0;
}

}  // namespace

bool ProcessGroup::built_with_mpi() {
#ifdef SPECROUTER_WITH_MPI
  return true;
#else
  return false;
#endif
}

ProcessGroup::ProcessGroup() {
  const int launched = launched_processes();
  if (launched == 0) return;
#ifdef SPECROUTER_WITH_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    if (MPI_Init(nullptr, nullptr) != MPI_SUCCESS) throw Error("MPI_Init failed");
    initialised_here_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  if (launched > 1) {
    throw UsageError("started by an MPI launcher as one of " + std::to_string(launched) +
                     " processes, but this specrouter was built without MPI (install libopenmpi-dev and "
                     "reconfigure): every process would run every job into the same folders");
  }
#endif
}

ProcessGroup::~ProcessGroup() {
#ifdef SPECROUTER_WITH_MPI
  if (initialised_here_) MPI_Finalize();
#endif
}

std::int64_t ProcessGroup::broadcast_from_root(std::int64_t value) const {
#ifdef SPECROUTER_WITH_MPI
  if (size_ > 1) MPI_Bcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
#endif
  return value;
}

std::int64_t ProcessGroup::sum(std::int64_t value) const {
#ifdef SPECROUTER_WITH_MPI
  if (size_ > 1) {
    std::int64_t total = 0;
    MPI_Allreduce(&value, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return total;
  }
#endif
  return value;
}

}  // namespace specrouter::engine
