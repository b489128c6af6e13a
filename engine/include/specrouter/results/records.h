#pragma once

/// @file
/// @brief What a run records: its metadata, one record per request, per step and per
/// scheduler estimate, and a summary. Plain structs; ResultsWriter stores them in the
/// run's HDF5 file, whose layout docs/results-schema.md documents column by column.
///
/// Times are seconds as doubles. "Run time" means seconds since the run started, on the
/// harness's monotonic clock; the writer stores what it is given and measures nothing.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace specrouter {

/// Who ran what, where and with which software: the `/metadata` group of a results file.
struct RunMetadata {
  std::string config_yaml;                ///< the composed, resolved config, as YAML text
  std::vector<std::string> overrides;     ///< the command-line overrides, in the order given
  std::string git_commit;                 ///< commit of the source tree the binary was built from
  std::string host;                       ///< host name of the machine
  std::string cpu;                        ///< CPU model name
  std::string gpu = "none";               ///< GPU model name, or "none" when the run used no GPU
  /// Library name to version ("libtorch" -> "2.11.0"); the writer adds "hdf5" itself.
  std::map<std::string, std::string> library_versions;
  /// When the run started, ISO-8601 UTC (utc_timestamp()); empty: the writer's creation time.
  std::string start_time;
};

/// One finished request: a row of the `/requests` table.
struct RequestRecord {
  std::string id;                      ///< the workload's request id
  std::string request_class;           ///< the workload's class of the request ("chat", "code", ...)
  std::int64_t prompt_tokens = 0;      ///< tokens in the prompt
  std::int64_t output_tokens = 0;      ///< tokens generated
  double arrival_seconds = 0;          ///< run time at which the request arrived
  double first_token_seconds = 0;      ///< time to first token: arrival to the first generated token
  double latency_seconds = 0;          ///< end-to-end latency: arrival to the last generated token
  double tokens_per_second = 0;        ///< output_tokens / latency_seconds
  double tau = 0;                      ///< mean tokens committed per step the request took part in
  std::int64_t steps = 0;              ///< steps the request took part in
  std::string finish_reason;           ///< why generation stopped ("length", "eos", ...)
};

/// What one level of the chain did in one step: a row of the `/step_levels` table.
///
/// A level proposes `drafted` tokens to the level above it, which keeps `accepted` of
/// them. The target proposes nothing, so its row has `drafted == accepted == 0`; what
/// it commits is StepRecord::committed_tokens.
struct LevelRecord {
  std::int64_t sequence = -1;  ///< the sequence the row describes; -1: summed over the whole batch
  int level = 0;               ///< position in the chain: 0 is the bottom drafter, the target is last
  std::string model;           ///< pool name of the level's model
  std::int64_t drafted = 0;    ///< tokens this level proposed to the level above
  std::int64_t accepted = 0;   ///< how many of them the level above accepted
  double seconds = 0;          ///< time spent in this level's model calls during the step
};

/// One forward pass of one model: a row of the `/model_calls` table. Its shape is what
/// a ForwardCost (specrouter/scheduling/performance_estimates.h) is fitted to.
struct ModelCallRecord {
  int level = 0;                         ///< position in the chain of the model called
  std::string model;                     ///< pool name of the model
  std::int64_t batch_size = 0;           ///< sequences in the pass
  std::int64_t tokens_per_sequence = 0;  ///< new tokens per sequence in the pass
  double context_length = 0;             ///< mean cached positions per sequence before the pass
  double seconds = 0;                    ///< duration of the pass
};

/// One step of the run: a row of the `/steps` table, with its level and model-call rows.
struct StepRecord {
  double time_seconds = 0;          ///< run time at which the step started
  double duration_seconds = 0;      ///< duration of the whole step
  std::int64_t batch_size = 0;      ///< sequences in the step
  std::string plan;                 ///< the plan the step ran, as text (e.g. "small:4>target")
  std::int64_t committed_tokens = 0;  ///< tokens the target committed, summed over the batch
  std::vector<LevelRecord> levels;        ///< per level (and per sequence when plans differ)
  std::vector<ModelCallRecord> model_calls;  ///< every forward pass of the step, in order
};

/// A scheduler's prediction for one step next to what was measured: a row of the
/// `/estimates` table.
struct EstimateRecord {
  std::int64_t step = 0;                     ///< the step the plan was chosen for (ResultsWriter::add_step's index)
  std::string plan;                          ///< the plan the prediction is for, as text
  double predicted_seconds_per_token = 0;    ///< the scheduler's predicted time per committed token
  double measured_seconds_per_token = 0;     ///< the measured time per committed token; NaN when unknown
};

/// Something that happened to the run from outside (an injected slowdown, a switch of the
/// workload's request class): a row of the `/events` table.
struct EventRecord {
  double time_seconds = 0;   ///< run time at which it took effect
  std::int64_t step = 0;     ///< the first step that ran under it
  std::string kind;          ///< "slowdown", "slowdown_end", "workload_class", ...
  std::string description;   ///< one line for people ("draft x4 for 3 s")
};

/// The tokens one request generated: rows of the `/output_tokens` table, one per token.
struct OutputTokensRecord {
  std::string id;                    ///< the request's id, as in `/requests/id`
  std::vector<std::int64_t> tokens;  ///< token ids in the order generated
};

/// How often one model's drafts were accepted at one draft position, over the whole run: a
/// row of the `/acceptance_by_position` table. Position 0 is the first token of a round's
/// draft; a round's draft reaches position i only when it proposed at least i + 1 tokens.
struct DraftPositionRecord {
  std::string model;          ///< pool name of the drafting model, or the bottom drafter's plugin name
  std::int64_t position = 0;  ///< draft position: 0, 1, 2, ...
  std::int64_t drafted = 0;   ///< rounds whose draft reached this position
  std::int64_t accepted = 0;  ///< of those, rounds whose token at this position was accepted
};

/// One value of the run summary: an integer, a real number or a string.
using SummaryValue = std::variant<std::int64_t, double, std::string>;

/// The run summary: name to value, the attributes of the `/summary` group.
using Summary = std::map<std::string, SummaryValue>;

}  // namespace specrouter
