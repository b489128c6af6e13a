// The model drafter: drafts autoregressively with one model of the pool, below the first
// model of every chain (docs/design/step_executor.md).
//
// Per round it runs its model over each sequence's catch-up tokens (tokens_to_feed()),
// then one token per pass, all sequences of the batch in one pass: the distribution after
// the context, a draft token drawn from it, that token run to get the next distribution,
// and so on. The last draft token is never run (the next round's catch-up does it, or the
// executor's cut makes it unnecessary).
//
// What a token is drawn from, and what the draft reports (Draft::probs):
// - sampled (the run samples and `greedy` is false): the run's sampling distribution
//   (temperature, top-k, top-p) of the drafting model; probs holds those rows, so
//   verification against them is lossless;
// - greedy (`greedy: true`, or the run is greedy): the argmax; probs stays empty
//   (one-hot), which is exactly what happened, so this is lossless under sampling too.
//
// Early stop (`min_confidence` > 0): after drawing a token, the draft ends there if the
// distribution it was drawn from had a top probability below min_confidence (its
// confidence; softmax at the run's temperature, 1 when greedy). The decision that a next
// token exists is made from a distribution computed before that token is drawn, so the
// draft stays lossless (stopping on the probability of the token just drawn would not be:
// it discards unlikely draws, and the surviving tokens no longer follow the reported rows).
// The first token is always drafted.
//
// Cost per call: one pass over the catch-up tokens plus one single-token pass per further
// draft position, each batched over the sequences still drafting, and O(vocab) per token.
//
// Tree drafts (`branching` not empty): top-k branching to the configured shape,
// tree_drafting.h; `greedy` does not apply (the children are chosen deterministically).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ops/max.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/decoding/feed.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/model/model.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/sampling/sampling.h"
#include "tree_drafting.h"

namespace {

using specrouter::Draft;
using specrouter::DraftContext;
using specrouter::DraftRequest;
using specrouter::TokenId;

// One sequence being drafted.
struct Drafting {
  std::size_t request = 0;     // index of its request
  int limit = 0;               // most tokens it may draft
  std::vector<TokenId> input;  // tokens of the next pass
};

class ModelDrafter final : public specrouter::Drafter {
 public:
  explicit ModelDrafter(const specrouter::Params& params)
      : owner_(params.owner()),
        model_name_(params.get<std::string>("model")),
        greedy_(params.get<bool>("greedy")),
        min_confidence_(params.get<double>("min_confidence")) {
    for (const std::int64_t children : params.get<std::vector<std::int64_t>>("branching")) {
      if (children < 1 || children > 64) {
        throw specrouter::ConfigError(owner_ + ": branching entries must be in [1, 64], got " + std::to_string(children));
      }
      branching_.push_back(static_cast<int>(children));
    }
    if (model_name_.empty()) throw specrouter::ConfigError(owner_ + ": model must name a pool model");
    if (!(min_confidence_ >= 0.0 && min_confidence_ <= 1.0)) {
      throw specrouter::ConfigError(owner_ + ": min_confidence must be in [0, 1], got " + std::to_string(min_confidence_));
    }
  }

  std::vector<Draft> propose(std::span<const DraftRequest> requests, const DraftContext& context) override {
    std::vector<Draft> drafts(requests.size());
    if (context.state == nullptr || context.pool == nullptr || context.sampling == nullptr) {
      throw specrouter::UsageError(owner_ + " runs a pool model and needs the run's state, pool and sampling "
                                            "params in its DraftContext");
    }
    const specrouter::PoolMember& member = find_model(*context.pool);
    const double confidence_temperature = context.sampling->greedy() ? 1.0 : context.sampling->temperature;
    if (!branching_.empty()) {  // deterministic children: no rng needed
      c10::InferenceMode guard;
      return specrouter::model_drafter::draft_trees(member, requests, context,
                                                    {branching_, min_confidence_, confidence_temperature});
    }
    specrouter::SamplingParams drawing = *context.sampling;
    if (greedy_) drawing.temperature = 0.0;
    const bool greedy = drawing.greedy();
    if (!greedy) {
      for (const DraftRequest& request : requests) {
        if (request.max_tokens > 0 && request.rng == nullptr) {
          throw specrouter::UsageError(owner_ + " samples, but the request for sequence " +
                                       std::to_string(request.sequence) + " has no rng");
        }
      }
    }

    c10::InferenceMode guard;
    // Start: every sequence with room for at least one token runs its catch-up tokens.
    std::vector<Drafting> drafting;
    std::vector<specrouter::SequenceTokens> contexts;
    for (std::size_t r = 0; r < requests.size(); ++r) {
      const auto room = member.model->max_context() - static_cast<std::int64_t>(requests[r].context.size()) + 1;
      const int limit = static_cast<int>(std::min<std::int64_t>(requests[r].max_tokens, room));
      if (limit <= 0 || requests[r].context.empty()) continue;
      drafting.push_back({r, limit, {}});
      contexts.push_back({requests[r].sequence, requests[r].context, {}});
    }
    std::vector<std::vector<TokenId>> feeds = specrouter::tokens_to_feed(*context.state, member.kv, contexts);
    for (std::size_t d = 0; d < drafting.size(); ++d) drafting[d].input = std::move(feeds[d]);

    while (!drafting.empty()) {
      std::vector<specrouter::SequenceInput> batch;
      for (const Drafting& d : drafting) {
        specrouter::SequenceInput input;
        input.sequence = requests[d.request].sequence;
        input.tokens = d.input;
        batch.push_back(input);
      }
      const specrouter::ForwardOutput output = member.model->forward(batch, *context.state, member.kv);
      const at::Tensor logits = output.logits.to(at::kFloat);  // [drafting, vocab]
      // q: [drafting, vocab], what each token is drawn from (one-hot when greedy).
      const at::Tensor q = specrouter::sampling_distribution(logits, drawing).contiguous();
      const at::Tensor confidence =
          std::get<0>(at::max(specrouter::softmax_with_temperature(logits, confidence_temperature), -1)).contiguous();
      const std::int64_t vocab = q.size(1);

      std::vector<Drafting> still_drafting;
      for (std::size_t d = 0; d < drafting.size(); ++d) {
        const DraftRequest& request = requests[drafting[d].request];
        Draft& draft = drafts[drafting[d].request];
        const std::span<const float> row(q.data_ptr<float>() + static_cast<std::int64_t>(d) * vocab,
                                         static_cast<std::size_t>(vocab));
        const TokenId token = greedy ? specrouter::argmax(row)
                                     : specrouter::sample_from_distribution(row, specrouter::next_uniform(*request.rng));
        draft.tokens.push_back(token);
        if (!greedy) draft.probs.insert(draft.probs.end(), row.begin(), row.end());
        const bool confident = confidence.data_ptr<float>()[d] >= min_confidence_;
        if (static_cast<int>(draft.tokens.size()) < drafting[d].limit && confident) {
          drafting[d].input.assign(1, token);
          still_drafting.push_back(std::move(drafting[d]));
        }
      }
      drafting = std::move(still_drafting);
    }
    return drafts;
  }

 private:
  const specrouter::PoolMember& find_model(const specrouter::ModelPool& pool) const {
    try {
      return pool.at(pool.index_of(model_name_));
    } catch (const specrouter::UsageError& error) {
      throw specrouter::ConfigError(owner_ + ": model '" + model_name_ + "': " + error.what());
    }
  }

  std::string owner_;       // "drafter 'model'", for messages
  std::string model_name_;  // the pool model that drafts
  bool greedy_;             // draft the argmax even when the run samples
  double min_confidence_;   // 0: fixed length
  std::vector<int> branching_;  // tree shape (children per node at each depth); empty: chain drafts
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Drafter>(
      {"model",
       "autoregressive drafting with a pool model: greedy or sampled, of fixed length or stopping when unconfident",
       {specrouter::required_param("model", specrouter::ParamType::kString, "pool name of the model that drafts"),
        specrouter::bool_param("greedy", false,
                               "draft the argmax even when the run samples (one-hot drafts, still lossless)"),
        specrouter::float_param("min_confidence", 0.0,
                                "end the draft after a token drawn from a distribution whose top probability is "
                                "below this; 0 drafts the full length"),
        specrouter::int_list_param("branching", {},
                                   "draft a tree: children per node at each depth, the most probable tokens "
                                   "(e.g. [3, 2, 1]); needs the tree verifier. Empty drafts a chain")}},
      [](const specrouter::Params& params) { return std::make_unique<ModelDrafter>(params); });
}
