// The schema of the results tables, and records turned into rows.
#include "results_tables.h"

namespace specrouter::detail {
namespace {

constexpr ColumnType kInt = ColumnType::kInt64;
constexpr ColumnType kReal = ColumnType::kFloat64;
constexpr ColumnType kText = ColumnType::kString;

ColumnTable make_requests(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "requests", "one row per finished request, in the order they finished",
                     {
                         {"id", kText, "", "the workload's request id"},
                         {"class", kText, "", "the workload's class of the request"},
                         {"prompt_tokens", kInt, "tokens", "tokens in the prompt"},
                         {"output_tokens", kInt, "tokens", "tokens generated"},
                         {"arrival_seconds", kReal, "s", "run time at which the request arrived"},
                         {"first_token_seconds", kReal, "s", "time to first token: arrival to first generated token"},
                         {"latency_seconds", kReal, "s", "end-to-end latency: arrival to last generated token"},
                         {"tokens_per_second", kReal, "tokens/s", "output_tokens / latency_seconds"},
                         {"tau", kReal, "tokens/step", "mean tokens committed per step the request took part in"},
                         {"steps", kInt, "steps", "steps the request took part in"},
                         {"finish_reason", kText, "", "why generation stopped (length, eos, ...)"},
                     },
                     layout);
}

ColumnTable make_steps(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "steps", "one row per step, in the order they ran",
                     {
                         {"step", kInt, "", "step index, 0, 1, 2, ..."},
                         {"time_seconds", kReal, "s", "run time at which the step started"},
                         {"duration_seconds", kReal, "s", "duration of the whole step"},
                         {"batch_size", kInt, "sequences", "sequences in the step"},
                         {"plan", kText, "", "the plan the step ran, as text"},
                         {"committed_tokens", kInt, "tokens", "tokens the target committed, summed over the batch"},
                     },
                     layout);
}

ColumnTable make_step_levels(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "step_levels", "one row per level of each step's chain (per sequence when plans differ)",
                     {
                         {"step", kInt, "", "step index, a value of /steps/step"},
                         {"sequence", kInt, "", "sequence the row describes; -1: summed over the batch"},
                         {"level", kInt, "", "position in the chain: 0 is the bottom drafter, the target is last"},
                         {"model", kText, "", "pool name of the level's model"},
                         {"drafted", kInt, "tokens", "tokens this level proposed to the level above"},
                         {"accepted", kInt, "tokens", "of those, tokens the level above accepted"},
                         {"seconds", kReal, "s", "time in this level's model calls during the step"},
                     },
                     layout);
}

ColumnTable make_model_calls(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "model_calls", "one row per forward pass, in the order they ran",
                     {
                         {"step", kInt, "", "step index, a value of /steps/step"},
                         {"level", kInt, "", "position in the chain of the model called"},
                         {"model", kText, "", "pool name of the model"},
                         {"batch_size", kInt, "sequences", "sequences in the pass"},
                         {"tokens_per_sequence", kInt, "tokens", "new tokens per sequence in the pass"},
                         {"context_length", kReal, "tokens", "mean cached positions per sequence before the pass"},
                         {"seconds", kReal, "s", "duration of the pass"},
                     },
                     layout);
}

ColumnTable make_estimates(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "estimates", "the scheduler's prediction for a step next to the measurement",
                     {
                         {"step", kInt, "", "step the plan was chosen for, a value of /steps/step"},
                         {"plan", kText, "", "the plan the prediction is for, as text"},
                         {"predicted_seconds_per_token", kReal, "s/token", "predicted time per committed token"},
                         {"measured_seconds_per_token", kReal, "s/token", "measured time per committed token; NaN when unknown"},
                     },
                     layout);
}

ColumnTable make_events(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "events", "events injected into the run (slowdowns, workload switches), in order",
                     {
                         {"time_seconds", kReal, "s", "run time at which the event took effect"},
                         {"step", kInt, "", "first step that ran under it, a value of /steps/step"},
                         {"kind", kText, "", "slowdown, slowdown_end, workload_class, ..."},
                         {"description", kText, "", "what happened, in words"},
                     },
                     layout);
}

ColumnTable make_output_tokens(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "output_tokens", "the generated tokens: one row per token of each request",
                     {
                         {"id", kText, "", "the request, a value of /requests/id"},
                         {"position", kInt, "", "0 for the first generated token, then 1, 2, ..."},
                         {"token", kInt, "", "the token id"},
                     },
                     layout);
}

ColumnTable make_acceptance_by_position(hid_t file, const Hdf5Place& place, TableLayout layout) {
  return ColumnTable(file, place, "acceptance_by_position",
                     "acceptance of each drafting model's drafts per draft position, over the whole run",
                     {
                         {"model", kText, "", "pool name of the drafting model, or the bottom drafter's plugin name"},
                         {"position", kInt, "", "draft position: 0 for the first token of a round's draft"},
                         {"drafted", kInt, "rounds", "rounds whose draft reached this position"},
                         {"accepted", kInt, "rounds", "of those, rounds whose token here was accepted"},
                     },
                     layout);
}

}  // namespace

ResultsTables::ResultsTables(hid_t file, const Hdf5Place& place, TableLayout layout)
    : requests_(make_requests(file, place, layout)),
      steps_(make_steps(file, place, layout)),
      step_levels_(make_step_levels(file, place, layout)),
      model_calls_(make_model_calls(file, place, layout)),
      estimates_(make_estimates(file, place, layout)),
      events_(make_events(file, place, layout)),
      output_tokens_(make_output_tokens(file, place, layout)),
      acceptance_by_position_(make_acceptance_by_position(file, place, layout)) {}

std::vector<ColumnTable*> ResultsTables::all() {
  return {&requests_, &steps_,  &step_levels_,   &model_calls_,
          &estimates_, &events_, &output_tokens_, &acceptance_by_position_};
}

void ResultsTables::append(const RequestRecord& r) {
  requests_.append(r.id, r.request_class, r.prompt_tokens, r.output_tokens, r.arrival_seconds, r.first_token_seconds,
                   r.latency_seconds, r.tokens_per_second, r.tau, r.steps, r.finish_reason);
}

void ResultsTables::append(std::int64_t step, const StepRecord& record) {
  steps_.append(step, record.time_seconds, record.duration_seconds, record.batch_size, record.plan,
                record.committed_tokens);
  for (const LevelRecord& level : record.levels) {
    step_levels_.append(step, level.sequence, level.level, level.model, level.drafted, level.accepted, level.seconds);
  }
  for (const ModelCallRecord& call : record.model_calls) {
    model_calls_.append(step, call.level, call.model, call.batch_size, call.tokens_per_sequence, call.context_length,
                        call.seconds);
  }
}

void ResultsTables::append(const EstimateRecord& e) {
  estimates_.append(e.step, e.plan, e.predicted_seconds_per_token, e.measured_seconds_per_token);
}

void ResultsTables::append(const EventRecord& e) { events_.append(e.time_seconds, e.step, e.kind, e.description); }

void ResultsTables::append(const OutputTokensRecord& output) {
  for (std::size_t i = 0; i < output.tokens.size(); ++i) {
    output_tokens_.append(output.id, static_cast<std::int64_t>(i), output.tokens[i]);
  }
}

void ResultsTables::append(const DraftPositionRecord& p) {
  acceptance_by_position_.append(p.model, p.position, p.drafted, p.accepted);
}

void ResultsTables::write_buffered_rows() {
  for (ColumnTable* table : all()) table->write_buffered_rows();
}

std::size_t ResultsTables::buffered_rows() const {
  return requests_.buffered_rows() + steps_.buffered_rows() + step_levels_.buffered_rows() +
         model_calls_.buffered_rows() + estimates_.buffered_rows() + events_.buffered_rows() +
         output_tokens_.buffered_rows() + acceptance_by_position_.buffered_rows();
}

void ResultsTables::close() {
  for (ColumnTable* table : all()) table->close();
}

}  // namespace specrouter::detail
