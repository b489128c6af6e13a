#pragma once
// The workload of a run (config section `workload`, docs/workloads.md): its requests
// (from JSONL files and inline prompts), how they arrive, how many run at once, and how
// they are decoded.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"

namespace specrouter::engine {

/// One prompt of the workload, as its file or the config gives it.
struct WorkloadPrompt {
  std::string id;                   ///< unique within the workload
  std::string request_class;        ///< "code", "prose", "qa", "repetitive", ...
  std::string prompt;               ///< text, tokenized with the target's tokenizer
  std::int64_t max_new_tokens = 0;  ///< after workload.max_new_tokens capped it
};

/// How requests arrive.
struct ArrivalProcess {
  enum class Kind { kClosed, kPoisson };
  Kind kind = Kind::kClosed;
  int concurrency = 4;  ///< closed loop: requests in flight; a new one arrives when one leaves
  double rate = 0;      ///< Poisson: requests per second (exponential gaps, seeded by run.seed)
};

/// What a run decodes and how.
struct Workload {
  std::string name;                     ///< workload.name, for leaderboards
  /// Files first (in the order listed), then inline prompts; with `order: interleaved`
  /// (the default) reordered round-robin by class (first of each class, then second, ...).
  std::vector<WorkloadPrompt> prompts;
  /// Requests issued in all: 0 = each prompt once; more cycles through the prompts (ids get
  /// a "#2", "#3", ... suffix on later rounds).
  std::int64_t requests = 0;
  ArrivalProcess arrival;
  int max_batch_size = 4;  ///< sequences in one step at most
  /// Decoding settings (SamplingParams): temperature 0 is greedy.
  double temperature = 0.0;
  std::int64_t top_k = 0;  ///< 0: no top-k filter
  double top_p = 1.0;      ///< 1: no nucleus filter
};

/// Reads the JSONL prompt file `path`: one JSON object per line with the fields id,
/// class, prompt (strings) and max_new_tokens (a positive integer); blank lines are
/// skipped. `max_new_tokens_cap` > 0 caps every request's max_new_tokens. Throws
/// ConfigError naming the file and line for a line that is not JSON, not an object, or
/// has a missing or mistyped field, and for a repeated id.
std::vector<WorkloadPrompt> read_prompt_file(const std::filesystem::path& path, std::int64_t max_new_tokens_cap);

/// Reads the `workload` section of `config`: `name`, `files` (paths relative to the
/// working directory, else to `source_dir`), inline `prompts`, `requests`, `arrival`,
/// `max_batch_size`, `max_new_tokens` and `sampling`. Throws ConfigError naming the key
/// (and its file and line) or the prompt file and line.
Workload read_workload(const ComposedConfig& config, const std::filesystem::path& source_dir);

}  // namespace specrouter::engine
