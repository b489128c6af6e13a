#include "specrouter/model/threads.h"

#include <thread>

#include <ATen/Parallel.h>

namespace specrouter {

int set_compute_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return threads;
}

int compute_threads() { return at::get_num_threads(); }

}  // namespace specrouter
