#include "specrouter/simulation/simulated_model.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/model/forward_rows.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

// Tokens of the path that decide a next-token distribution besides its position.
constexpr int kHistory = 3;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer: a cheap, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The next-token state after a token at `position` whose path ends with `history`
// (most recent first, missing entries -1).
std::uint64_t state_hash(std::int64_t position, const std::array<TokenId, kHistory>& history) {
  std::uint64_t h = mix(static_cast<std::uint64_t>(position));
  for (TokenId token : history) h = mix(h ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(token) + 1));
  return h;
}

}  // namespace

SimulatedWorld::SimulatedWorld(SimulationProfile profile) : profile_(std::move(profile)) {
  profile_.validate("simulation profile '" + profile_.name + "'");
}

void SimulatedWorld::advance(double seconds) {
  if (!(seconds >= 0)) throw UsageError("SimulatedWorld::advance: seconds must be >= 0, got " + std::to_string(seconds));
  now_ += seconds;
}

std::function<double()> SimulatedWorld::clock() const {
  return [this] { return now_; };
}

void SimulatedWorld::set_class(SequenceId sequence, const std::string& name) {
  if (profile_.classes.count(name) == 0) {
    throw UsageError("SimulatedWorld: profile '" + profile_.name + "' has no request class '" + name + "'");
  }
  classes_[sequence] = name;
}

void SimulatedWorld::set_default_class(const std::string& name) {
  if (!name.empty() && profile_.classes.count(name) == 0) {
    throw UsageError("SimulatedWorld: profile '" + profile_.name + "' has no request class '" + name + "'");
  }
  default_class_ = name;
}

double SimulatedWorld::agreement(int model, SequenceId sequence) const {
  const auto index = static_cast<std::size_t>(model);
  if (const auto found = classes_.find(sequence); found != classes_.end()) return profile_.classes.at(found->second)[index];
  if (!default_class_.empty()) return profile_.classes.at(default_class_)[index];
  double value = profile_.models.at(index).agreement;
  for (const AgreementChange& change : profile_.changes) {
    if (change.at_seconds <= now_) value = change.agreement[index];
  }
  return value;
}

double SimulatedWorld::cost_factor(int model) const {
  double factor = 1.0;
  for (const Slowdown& slowdown : profile_.slowdowns) {
    if (slowdown.model == model && slowdown.from_seconds <= now_ && now_ < slowdown.to_seconds) factor *= slowdown.factor;
  }
  return factor;
}

SimulatedModel::SimulatedModel(SimulatedWorld& world, int index, double peak)
    : world_(world), index_(index), peak_(peak) {
  if (index < 0 || index >= static_cast<int>(world.profile().models.size())) {
    throw UsageError("SimulatedModel: model " + std::to_string(index) + " is not in profile '" +
                     world.profile().name + "'");
  }
}

std::int64_t SimulatedModel::vocab_size() const { return world_.profile().vocab_size; }

std::int64_t SimulatedModel::max_context() const { return world_.profile().max_context; }

KvCacheSpec SimulatedModel::kv_cache_spec(const std::string& name, std::int64_t block_size) const {
  // The smallest pool the state manager accepts: the K/V is never read.
  return {name, 1, 1, 1, c10::ScalarType::Float, c10::Device(c10::DeviceType::CPU), block_size};
}

double SimulatedModel::pass_seconds(std::span<const std::int64_t> tokens, std::span<const std::int64_t> cached) const {
  const ForwardCost& cost = world_.profile().models[static_cast<std::size_t>(index_)].cost;
  double seconds = cost.fixed_seconds;
  std::int64_t rows = 0;
  for (std::int64_t t : tokens) rows += t;
  if (rows > 1) seconds += cost.multi_row_seconds;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    seconds += cost.seconds_per_token * static_cast<double>(tokens[i]) +
               cost.seconds_per_context_position * static_cast<double>(cached[i]) +
               cost.seconds_per_attended_pair * static_cast<double>(tokens[i]) * static_cast<double>(cached[i]);
  }
  return seconds;
}

ForwardOutput SimulatedModel::forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                                      const ForwardOptions& options) {
  if (options.return_hidden) throw UsageError("SimulatedModel: there are no hidden states to return");
  c10::InferenceMode guard;
  const std::int64_t vocab = vocab_size();
  BatchRows rows;
  std::vector<SequenceTokens> appends;
  std::vector<std::int64_t> tokens, cached;
  std::int64_t total = 0;
  for (const SequenceInput& input : batch) {
    check_tokens(input, vocab);
    const auto count = static_cast<std::int64_t>(input.tokens.size());
    const std::int64_t held = state.kv_length(kv, input.sequence);
    if (held + count > max_context()) {
      throw CapacityError("forward: sequence " + std::to_string(input.sequence) + " would hold " +
                          std::to_string(held + count) + " positions, more than the model's context of " +
                          std::to_string(max_context()));
    }
    add_wanted_rows(input, total, count, rows);
    appends.push_back({input.sequence, input.tokens, input.parents});
    tokens.push_back(count);
    cached.push_back(held);
    total += count;
  }
  // The tokens before each sequence's new ones (committed, then speculative), read before
  // the append changes the view.
  std::vector<std::vector<TokenId>> before(batch.size());
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const std::vector<TokenId> speculative = state.speculative_tokens(kv, batch[b].sequence);
    const std::span<const TokenId> committed = state.committed_tokens(batch[b].sequence);
    const auto from_committed = static_cast<std::size_t>(cached[b]) - speculative.size();
    const std::size_t keep = std::min<std::size_t>(kHistory, static_cast<std::size_t>(cached[b]));
    for (std::size_t p = static_cast<std::size_t>(cached[b]) - keep; p < static_cast<std::size_t>(cached[b]); ++p) {
      before[b].push_back(p < from_committed ? committed[p] : speculative[p - from_committed]);
    }
  }
  const KvForwardBatch slots = state.append(kv, appends);  // validates, reserves; K/V left as is
  const std::int64_t* positions = slots.positions.data_ptr<std::int64_t>();

  at::Tensor logits = at::zeros({static_cast<std::int64_t>(rows.wanted_rows.size()), vocab}, at::kFloat);
  float* out = logits.data_ptr<float>();
  std::size_t row = 0;
  std::int64_t offset = 0;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const SequenceInput& input = batch[b];
    const double agreement = world_.agreement(index_, input.sequence);
    for (; row < static_cast<std::size_t>(rows.row_offsets[b + 1]); ++row) {
      const std::int64_t token = rows.wanted_rows[row] - offset;  // index among the input's tokens
      // The path's last tokens: up the parents among the new tokens, then the cached ones.
      std::array<TokenId, kHistory> history;
      history.fill(-1);
      std::int64_t at = token;
      int filled = 0;
      for (; filled < kHistory && at >= 0; ++filled) {
        history[static_cast<std::size_t>(filled)] = input.tokens[static_cast<std::size_t>(at)];
        at = input.parents.empty() ? at - 1 : input.parents[static_cast<std::size_t>(at)];
      }
      for (std::size_t k = before[b].size(); filled < kHistory && k > 0; --k, ++filled) {
        history[static_cast<std::size_t>(filled)] = before[b][k - 1];
      }
      const std::uint64_t h = state_hash(positions[offset + token], history);
      const auto truth = static_cast<std::int64_t>(mix(h ^ 0x1) % static_cast<std::uint64_t>(vocab));
      const auto shift = vocab > 1 ? 1 + static_cast<std::int64_t>(mix(h ^ 0x2) % static_cast<std::uint64_t>(vocab - 1)) : 0;
      const double u = static_cast<double>(mix(h ^ 0x3) >> 11) * 0x1.0p-53;
      const std::int64_t chosen = u < agreement ? truth : (truth + shift) % vocab;
      out[static_cast<std::int64_t>(row) * vocab + chosen] = static_cast<float>(peak_);
    }
    offset += tokens[b];
  }
  world_.advance(pass_seconds(tokens, cached) * world_.cost_factor(index_));
  return {logits, at::Tensor(), rows.row_offsets};
}

}  // namespace specrouter
