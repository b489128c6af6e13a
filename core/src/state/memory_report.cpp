// Rendering of the KV memory report.
#include "specrouter/state/memory_report.h"

#include <cstdio>

namespace specrouter {

double KvPoolUsage::used_bytes_per_position() const {
  if (stored_positions == 0) return 0.0;
  return static_cast<double>(used_blocks) * static_cast<double>(bytes_per_block) / static_cast<double>(stored_positions);
}

std::string MemoryReport::to_string() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-20s %8s %8s %8s %8s %8s %12s %12s %10s\n", "model", "blocks", "used", "free",
                "peak", "shared", "B/token", "B/position", "reserved");
  out += line;
  for (const KvPoolUsage& pool : pools) {
    std::snprintf(line, sizeof line, "%-20s %8lld %8lld %8lld %8lld %8lld %12lld %12.1f %8.1fMiB\n", pool.model.c_str(),
                  static_cast<long long>(pool.num_blocks), static_cast<long long>(pool.used_blocks),
                  static_cast<long long>(pool.free_blocks), static_cast<long long>(pool.peak_used_blocks),
                  static_cast<long long>(pool.shared_blocks), static_cast<long long>(pool.bytes_per_token),
                  pool.used_bytes_per_position(), static_cast<double>(pool.reserved_bytes) / (1024.0 * 1024.0));
    out += line;
  }
  return out;
}

}  // namespace specrouter
