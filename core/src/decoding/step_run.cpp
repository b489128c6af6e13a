// One step of the StepExecutor: the building blocks a collaboration scheme runs the step
// with (verify(): one verification round of a level; draft(): the bottom drafter) and the
// step's start and commit around the scheme. The reference scheme's recursion is in
// collaborative_verification.cpp. docs/design/step_executor.md has the algorithm, the
// losslessness argument and the K/V bookkeeping; docs/design/collaboration.md the split.

#include "step_run.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstring>
#include <string>

#include <c10/core/InferenceMode.h>

#include "specrouter/decoding/feed.h"
#include "specrouter/error.h"
#include "specrouter/model/model.h"
#include "specrouter/sampling/sampling.h"

namespace specrouter::detail {
namespace {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

StepRun::StepRun(const ModelPool& pool, StateManager& state, Verifier& verifier, Drafter* drafter,
                 const StepExecutorOptions& options, std::span<const SequencePlan> batch)
    : pool_(pool), state_(state), verifier_(verifier), drafter_(drafter), options_(options), batch_(batch) {
  for (KvModelId model = 0; model < state_.num_models(); ++model) all_models_.push_back(model);
  result_.sequences.resize(batch_.size());
  verified_at_target_.resize(batch_.size());
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    SequenceStepResult& sequence = result_.sequences[i];
    sequence.sequence = batch_[i].sequence;
    for (int model : batch_[i].plan.chain) {
      LevelStats level;
      level.pool_index = model;
      sequence.levels.push_back(std::move(level));
    }
  }
}

StepResult StepRun::run(Collaboration& collaboration) {
  c10::InferenceMode guard;
  std::vector<SequenceId> sequences;
  for (const SequencePlan& entry : batch_) sequences.push_back(entry.sequence);
  state_.rollback_to_committed(all_models_, sequences);

  std::vector<LevelTask> tasks(batch_.size());
  std::vector<LevelTask*> task_pointers;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    LevelTask& task = tasks[i];
    const std::span<const TokenId> committed = state_.committed_tokens(batch_[i].sequence);
    task.item = i;
    task.level = static_cast<int>(batch_[i].plan.chain.size()) - 1;
    task.context.assign(committed.begin(), committed.end());
    task.start = task.context.size();
    task_pointers.push_back(&task);
  }
  collaboration.run_step(*this, task_pointers);

  // The target's rounds cut every model back to the accepted drafts, which the commit
  // keeps. What is committed is what those rounds produced; a scheme's task must agree,
  // so a scheme that added or changed a token is caught rather than silently overruled.
  std::vector<SequenceTokens> commits;
  for (LevelTask& task : tasks) {
    const std::vector<TokenId>& verified = verified_at_target_[task.item];
    const std::span<const TokenId> produced = std::span<const TokenId>(task.context).subspan(task.start);
    if (verified.empty() || !std::equal(produced.begin(), produced.end(), verified.begin(), verified.end())) {
      throw UsageError("StepExecutor: the collaboration scheme left sequence " +
                       std::to_string(batch_[task.item].sequence) + " with " + std::to_string(produced.size()) +
                       " new token(s) where " + std::to_string(result_.sequences[task.item].levels.back().rounds) +
                       " target round(s) produced " + std::to_string(verified.size()) +
                       "; only the target's verification rounds may produce them");
    }
    result_.sequences[task.item].committed = verified;
    commits.push_back({batch_[task.item].sequence, verified, {}});
  }
  state_.commit(commits);
  return std::move(result_);
}

void StepRun::check_tasks_at(int model, std::span<LevelTask* const> tasks) const {
  for (const LevelTask* task : tasks) {
    const bool at_model = task->item < batch_.size() && task->level >= 0 &&
                          static_cast<std::size_t>(task->level) < batch_[task->item].plan.chain.size() &&
                          batch_[task->item].plan.chain[static_cast<std::size_t>(task->level)] == model;
    if (!at_model) {
      throw UsageError("StepExecutor: a collaboration scheme asked pool model " + std::to_string(model) +
                       " to run a task of batch item " + std::to_string(task->item) + " at level " +
                       std::to_string(task->level) + ", which is not that model in the item's chain");
    }
  }
}

void StepRun::verify(int model, std::span<LevelTask* const> tasks, std::span<const Proposal> proposals) {
  check_tasks_at(model, tasks);
  if (proposals.size() != tasks.size()) {
    throw UsageError("StepExecutor: " + std::to_string(proposals.size()) + " proposals for " +
                     std::to_string(tasks.size()) + " tasks to verify");
  }
  for (const Proposal& proposal : proposals) {  // what verification reads must be there
    const auto size = static_cast<std::int64_t>(proposal.tokens.size());
    if ((!proposal.rows.empty() && static_cast<std::int64_t>(proposal.rows.size()) != size * pool_.vocab_size()) ||
        (!proposal.parents.empty() && proposal.parents.size() != proposal.tokens.size())) {
      throw UsageError("StepExecutor: a proposal of " + std::to_string(size) + " tokens to pool model " +
                       std::to_string(model) + " has " + std::to_string(proposal.rows.size()) + " row values and " +
                       std::to_string(proposal.parents.size()) + " parents; rows must be [tokens, vocab] or none, "
                       "parents one per token or none");
    }
  }

  // 1. One forward pass: each sequence's catch-up tokens (at least the last context
  //    token, a chain), then its draft (a chain or a tree hanging from the last context
  //    token); logits for the last catch-up token and every draft token.
  // The round's own time, what a plan pays per pass of this model: feeding, the forward
  // pass, distributions, verification and rollback (drafts from below are their own calls).
  const double started = now();
  const PoolMember& member = pool_.at(model);
  std::vector<SequenceTokens> contexts;
  for (LevelTask* task : tasks) contexts.push_back({batch_[task->item].sequence, task->context, {}});
  const std::vector<std::vector<TokenId>> feeds = tokens_to_feed(state_, member.kv, contexts);
  std::vector<std::vector<TokenId>> inputs(tasks.size());
  std::vector<std::vector<std::int32_t>> input_parents(tasks.size());
  std::vector<std::vector<std::int32_t>> wanted_rows(tasks.size());
  std::vector<SequenceInput> batch(tasks.size());
  std::int64_t tokens_run = 0;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const auto fed = static_cast<std::int32_t>(feeds[t].size());
    inputs[t] = feeds[t];
    inputs[t].insert(inputs[t].end(), proposals[t].tokens.begin(), proposals[t].tokens.end());
    if (!proposals[t].parents.empty()) {
      for (std::int32_t i = 0; i < fed; ++i) input_parents[t].push_back(i - 1);
      for (std::int32_t parent : proposals[t].parents) input_parents[t].push_back(parent < 0 ? fed - 1 : fed + parent);
    }
    for (std::size_t r = feeds[t].size() - 1; r < inputs[t].size(); ++r) wanted_rows[t].push_back(static_cast<std::int32_t>(r));
    batch[t] = {contexts[t].sequence, inputs[t], input_parents[t], LogitsWanted::kListed, wanted_rows[t]};
    tokens_run += static_cast<std::int64_t>(inputs[t].size());
  }
  std::int64_t context_positions = 0;
  for (const SequenceTokens& context : contexts) context_positions += state_.kv_length(member.kv, context.sequence);
  const ForwardOutput output = member.model->forward(batch, state_, member.kv);
  // p: [sum of (d + 1), vocab], the level's distributions; one-hot on the argmax when greedy.
  const at::Tensor logits = output.logits.to(at::kFloat);
  check_finite_logits(logits, "model '" + member.name + "'");
  const at::Tensor probs = sampling_distribution(logits, options_.sampling).contiguous();
  const std::int64_t vocab = probs.size(1);
  const float* p = probs.data_ptr<float>();
  // What this level's distributions are compared (and passed up) as: the sampling
  // distribution, or when greedy the temperature-1 softmax (LevelStats::tv_distance_sum).
  const bool greedy = options_.sampling.greedy();
  at::Tensor compared_probs = probs;
  if (greedy && options_.measure_similarity) compared_probs = softmax_with_temperature(logits, 1.0).contiguous();
  const float* compared = compared_probs.data_ptr<float>();

  // 2. Verification, per sequence; then every model is cut back to the accepted drafts.
  const bool keep_rows = model != pool_.size() - 1 && (!greedy || options_.measure_similarity);
  std::vector<SequenceLength> accepted_lengths;
  std::vector<SequenceLength> tree_contexts;  // sequences with a tree draft: their context length
  std::vector<KeptPath> kept_paths;
  std::vector<std::vector<std::int64_t>> path_positions(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    LevelTask& task = *tasks[t];
    const Proposal& proposal = proposals[t];
    const auto drafted = static_cast<std::int64_t>(proposal.tokens.size());
    const std::int64_t first_row = output.row_offsets[t];
    VerifyRequest request;
    request.draft_tokens = proposal.tokens;
    request.parents = proposal.parents;
    if (!greedy && !proposal.rows.empty()) request.draft_probs = {proposal.rows.data(), drafted, vocab};
    request.target_probs = {p + first_row * vocab, drafted + 1, vocab};
    request.greedy = greedy;
    const Verdict verdict = verifier_.verify(request, rng_of(task));
    record(task, proposal, verdict);
    if (options_.measure_similarity && proposal.parents.empty() && !proposal.rows.empty()) {
      LevelStats& stats = stats_of(task);
      for (std::int64_t j = 0; j < drafted; ++j) {
        const float* below = proposal.rows.data() + j * vocab;
        const float* here = compared + (first_row + j) * vocab;
        double distance = 0;
        for (std::int64_t v = 0; v < vocab; ++v) distance += std::abs(static_cast<double>(below[v]) - here[v]);
        stats.tv_distance_sum += 0.5 * distance;
        stats.tv_positions += 1;
      }
    }

    const auto context_length = static_cast<std::int64_t>(task.context.size());
    const auto accepted = static_cast<std::int64_t>(verdict.accepted_path.size());
    accepted_lengths.push_back({contexts[t].sequence, context_length + accepted});
    if (!proposal.parents.empty()) {
      tree_contexts.push_back({contexts[t].sequence, context_length});
      for (std::int32_t node : verdict.accepted_path) path_positions[t].push_back(context_length + node);
      if (accepted > 0) kept_paths.push_back({contexts[t].sequence, path_positions[t]});
    }
    const std::size_t before = task.context.size();
    for (std::int32_t node : verdict.accepted_path) task.context.push_back(proposal.tokens[static_cast<std::size_t>(node)]);
    task.context.push_back(verdict.next_token);
    if (model == pool_.size() - 1) {  // what the step will commit for this sequence
      std::vector<TokenId>& verified = verified_at_target_[task.item];
      verified.insert(verified.end(), task.context.begin() + static_cast<std::ptrdiff_t>(before), task.context.end());
    }
    if (keep_rows) {  // what each passed-up token follows: this level's row at its position
      for (std::int64_t i = 0; i <= accepted; ++i) {
        const std::int64_t row = i == 0 ? 0 : verdict.accepted_path[static_cast<std::size_t>(i - 1)] + 1;
        const float* from = compared + (first_row + row) * vocab;
        task.rows.insert(task.rows.end(), from, from + vocab);
      }
    }
  }
  // A tree's accepted path moves to consecutive positions in this level's model; the
  // other models' views may hold tree nodes (the drafter's) and go back to the context.
  if (!kept_paths.empty()) state_.keep_path(member.kv, kept_paths);
  if (!tree_contexts.empty()) {
    std::vector<KvModelId> others;
    for (KvModelId other : all_models_) {
      if (other != member.kv) others.push_back(other);
    }
    state_.rollback(others, tree_contexts);
  }
  state_.rollback(all_models_, accepted_lengths);
  result_.calls.push_back({model, static_cast<int>(tasks.size()), tokens_run, now() - started, context_positions});
}

void StepRun::record(LevelTask& task, const Proposal& proposal, const Verdict& verdict) {
  const std::vector<std::int32_t>& path = verdict.accepted_path;
  const auto drafted = static_cast<std::int32_t>(proposal.tokens.size());
  // The path must run from a root down the draft: a prefix of a chain, or parent links in a tree.
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::int32_t node = path[i];
    const std::int32_t expected_parent = i == 0 ? -1 : path[i - 1];
    const bool valid = node >= 0 && node < drafted &&
                       (proposal.parents.empty() ? node == static_cast<std::int32_t>(i)
                                                 : proposal.parents[static_cast<std::size_t>(node)] == expected_parent);
    if (!valid) {
      throw UsageError("StepExecutor: the verifier accepted draft token " + std::to_string(node) + " at depth " +
                       std::to_string(i) + ", which does not continue the accepted path of the " +
                       (proposal.parents.empty() ? "linear draft; it must accept a prefix" : "tree draft"));
    }
  }

  // Draft positions are depths: a chain's token i is at depth i.
  int depth_reached = drafted;
  if (!proposal.parents.empty()) {
    std::vector<int> depth(proposal.parents.size());
    depth_reached = 0;
    for (std::size_t j = 0; j < depth.size(); ++j) {
      const std::int32_t parent = proposal.parents[j];
      depth[j] = parent < 0 ? 0 : depth[static_cast<std::size_t>(parent)] + 1;
      depth_reached = std::max(depth_reached, depth[j] + 1);
    }
  }
  LevelStats& stats = stats_of(task);
  const auto accepted = static_cast<int>(path.size());
  if (static_cast<int>(stats.drafted_at.size()) < depth_reached) {
    stats.drafted_at.resize(static_cast<std::size_t>(depth_reached), 0);
    stats.accepted_at.resize(static_cast<std::size_t>(depth_reached), 0);
  }
  for (int i = 0; i < depth_reached; ++i) stats.drafted_at[static_cast<std::size_t>(i)] += 1;
  for (int i = 0; i < accepted; ++i) stats.accepted_at[static_cast<std::size_t>(i)] += 1;
  stats.rounds += 1;
  stats.drafted += drafted;
  stats.accepted += accepted;
  (verdict.bonus ? stats.bonus : stats.recovered) += 1;
  stats.produced += accepted + 1;
}

std::vector<Proposal> StepRun::draft(std::span<LevelTask* const> tasks, std::span<const int> counts) {
  if (drafter_ == nullptr) throw UsageError("StepExecutor: a collaboration scheme asked for drafts, but there is no drafter");
  if (counts.size() != tasks.size()) {
    throw UsageError("StepExecutor: " + std::to_string(counts.size()) + " draft counts for " +
                     std::to_string(tasks.size()) + " tasks");
  }
  for (int count : counts) {
    if (count < 1) throw UsageError("StepExecutor: a collaboration scheme asked the drafter for " + std::to_string(count) + " tokens");
  }
  std::vector<DraftRequest> requests;
  std::int64_t asked = 0;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    requests.push_back({tasks[t]->context, counts[t], batch_[tasks[t]->item].sequence, batch_[tasks[t]->item].rng});
    asked += counts[t];
  }
  const DraftContext context{&state_, &pool_, &options_.sampling};
  const double started = now();
  std::vector<Draft> drafts = drafter_->propose(requests, context);
  result_.calls.push_back({kDrafterCall, static_cast<int>(tasks.size()), asked, now() - started, 0});

  if (drafts.size() != requests.size()) {
    throw UsageError("StepExecutor: the drafter returned " + std::to_string(drafts.size()) + " drafts for " +
                     std::to_string(requests.size()) + " requests");
  }
  std::vector<Proposal> proposals(tasks.size());
  const std::int64_t vocab = pool_.vocab_size();
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    Draft& draft = drafts[t];
    const auto size = static_cast<std::int64_t>(draft.tokens.size());
    const std::string which = "StepExecutor: the drafter's draft for sequence " + std::to_string(requests[t].sequence);
    if (!draft.parents.empty()) {
      if (draft.parents.size() != draft.tokens.size()) {
        throw UsageError(which + " has " + std::to_string(draft.parents.size()) + " parents for " +
                         std::to_string(size) + " tokens");
      }
      std::vector<int> depth(draft.parents.size());
      for (std::size_t j = 0; j < depth.size(); ++j) {
        const std::int32_t parent = draft.parents[j];
        if (parent < -1 || parent >= static_cast<std::int32_t>(j)) {
          throw UsageError(which + " gives node " + std::to_string(j) + " the parent " + std::to_string(parent) +
                           "; parents must be -1 or an earlier node");
        }
        depth[j] = parent < 0 ? 1 : depth[static_cast<std::size_t>(parent)] + 1;
        if (depth[j] > counts[t]) {
          throw UsageError(which + " is a tree of depth " + std::to_string(depth[j]) + ", deeper than the " +
                           std::to_string(counts[t]) + " tokens asked for");
        }
      }
    } else if (size > counts[t]) {
      throw UsageError(which + " has " + std::to_string(size) + " tokens, more than the " + std::to_string(counts[t]) +
                       " asked for");
    }
    if (!draft.probs.empty() && static_cast<std::int64_t>(draft.probs.size()) != size * vocab) {
      throw UsageError(which + " has " + std::to_string(draft.probs.size()) + " probabilities, not [" +
                       std::to_string(size) + ", " + std::to_string(vocab) + "] or none");
    }
    proposals[t] = {std::move(draft.tokens), std::move(draft.probs), std::move(draft.parents)};
  }
  return proposals;
}

int StepRun::drafter_length(std::size_t item) const {
  if (drafter_ == nullptr) return 0;
  const int planned = batch_[item].plan.drafter_length;
  return planned == kExecutorDrafterLength ? options_.drafter_length : planned;
}

std::int64_t StepRun::room(std::size_t item) const {
  const std::int64_t committed = state_.committed_length(batch_[item].sequence);
  std::int64_t room = pool_.target().model->max_context() - committed;
  for (int model : batch_[item].plan.chain) room = std::min(room, pool_.at(model).model->max_context() - committed);
  return std::max<std::int64_t>(room, 0);
}

double StepRun::now() const { return options_.clock ? options_.clock() : wall_seconds(); }

std::mt19937_64& StepRun::rng_of(const LevelTask& task) {
  std::mt19937_64* rng = batch_[task.item].rng;
  return rng != nullptr ? *rng : unused_rng_;
}

}  // namespace specrouter::detail
