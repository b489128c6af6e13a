// The n-gram language-model drafter: the cheap bottom level of a cascade, as the
// "statistical language model" drafter of Cascade Speculative Drafting (Chen et al., 2023).
//
// Idea: an interpolated Kneser-Ney n-gram model over the pool's token ids, trained once on
// a text file, drafts autoregressively: each token's distribution depends on the last
// order - 1 tokens of the context and of the draft so far. It costs no forward pass, and
// unlike prompt lookup it proposes something for any context (frequent phrases of the
// training text, backing off down to the unigram distribution).
//
// Greedy (`sample: false`) takes the argmax, without writing a full row, and leaves
// `Draft::probs` empty (one-hot, which is what happened). Sampled (`sample: true`) draws
// from P^(1/temperature), normalized, and returns every row it drew from ([tokens,
// vocab]); a verifier can then accept with min(1, p/q) and stay lossless. The Kneser-Ney
// distribution is a proper distribution over the whole vocabulary
// (docs/design/ngram_lm_drafter.md says why), so q is exact.
//
// Cost per drafted token: order-many hash lookups, plus O(followers of the context's seen
// suffixes) greedy (O(vocab) for the most frequent contexts), or O(vocab) sampled (the full
// row). Building: O(corpus · order).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kneser_ney_model.h"
#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/sampling/sampling.h"
#include "training_corpus.h"

namespace {

using specrouter::TokenId;
using specrouter::ngram_lm::KneserNeyModel;

constexpr std::int64_t kMaxOrder = 16;  // memory grows with the order; longer contexts are almost never seen

// Turns P into P^(1/temperature), normalized, in place. P > 0 everywhere (Kneser-Ney keeps
// mass for every token), zeros stay zero; computed from log P - log max P, so no power
// underflows to an all-zero row.
void apply_temperature(std::span<double> row, double temperature) {
  if (temperature == 1.0) return;
  const double top = *std::max_element(row.begin(), row.end());
  const double log_top = std::log(top);
  double total = 0;
  for (double& p : row) {
    p = p > 0 ? std::exp((std::log(p) - log_top) / temperature) : 0.0;
    total += p;
  }
  for (double& p : row) p /= total;
}

// The model built from the parameters' training data, or ConfigError naming what is wrong.
KneserNeyModel build_model(const specrouter::Params& params, std::int64_t order, double discount) {
  const std::string& owner = params.owner();
  specrouter::ngram_lm::TrainingCorpus corpus = specrouter::ngram_lm::load_training_corpus(
      {params.get<std::string>("training_file"), params.get<std::string>("tokenizer"),
       params.get<std::int64_t>("vocab_size")},
      owner);
  if (corpus.tokens.size() < static_cast<std::size_t>(order)) {
    throw specrouter::ConfigError(owner + ": training_file '" + params.get<std::string>("training_file") + "' holds " +
                                  std::to_string(corpus.tokens.size()) + " tokens, fewer than order " +
                                  std::to_string(order));
  }
  return KneserNeyModel(std::move(corpus.tokens), static_cast<int>(order), corpus.vocab_size, discount);
}

class NgramLmDrafter final : public specrouter::Drafter {
 public:
  // Cheap checks run first (member order), so a bad value is reported before the corpus is read.
  explicit NgramLmDrafter(const specrouter::Params& params)
      : sample_(params.get<bool>("sample")),
        temperature_(checked_temperature(params)),
        min_confidence_(checked_min_confidence(params)),
        rng_(static_cast<std::uint64_t>(params.get<std::int64_t>("seed"))),
        model_(build_model(params, checked_order(params), checked_discount(params))),
        row_(sample_ ? static_cast<std::size_t>(model_.vocab_size()) : 0),
        scratch_(sample_ ? 0 : static_cast<std::size_t>(model_.vocab_size()), -1.0) {}

  std::vector<specrouter::Draft> propose(std::span<const specrouter::DraftRequest> requests,
                                         const specrouter::DraftContext& /*context: runs no model*/) override {
    std::vector<specrouter::Draft> drafts;
    drafts.reserve(requests.size());
    for (const specrouter::DraftRequest& request : requests) drafts.push_back(draft_one(request));
    return drafts;
  }

 private:
  specrouter::Draft draft_one(const specrouter::DraftRequest& request) {
    specrouter::Draft draft;
    if (request.max_tokens <= 0) return draft;
    const std::size_t count = static_cast<std::size_t>(request.max_tokens);
    const std::size_t vocab = static_cast<std::size_t>(model_.vocab_size());

    // The last order - 1 tokens of context + draft are all the model reads.
    const std::size_t keep = static_cast<std::size_t>(model_.order() - 1);
    const auto kept = static_cast<std::ptrdiff_t>(std::min(keep, request.context.size()));
    std::vector<TokenId> history(request.context.end() - kept, request.context.end());
    draft.tokens.reserve(count);
    if (sample_) draft.probs.reserve(count * vocab);

    for (std::size_t i = 0; i < count; ++i) {
      TokenId token = 0;
      if (sample_) {
        model_.distribution(history, row_);
        apply_temperature(row_, temperature_);
        // Stopping depends on this row only, never on the token drawn from it, so whether
        // a position exists is decided before its token is (verifier.h's condition).
        if (*std::max_element(row_.begin(), row_.end()) < min_confidence_) break;
        const std::size_t offset = draft.probs.size();
        draft.probs.resize(offset + vocab);  // [tokens, vocab]
        std::transform(row_.begin(), row_.end(), draft.probs.begin() + static_cast<std::ptrdiff_t>(offset),
                       [](double p) { return static_cast<float>(p); });
        token = specrouter::sample_from_distribution({draft.probs.data() + offset, vocab},
                                                     specrouter::next_uniform(request.rng ? *request.rng : rng_));
      } else {
        // The argmax without writing the row (kneser_ney_model.h): O(followers), not O(vocab).
        const auto [most_probable, probability] = model_.most_probable(history, scratch_, touched_);
        if (probability < min_confidence_) break;
        token = most_probable;
      }
      draft.tokens.push_back(token);
      if (keep > 0) {
        if (history.size() == keep) history.erase(history.begin());
        history.push_back(token);
      }
    }
    return draft;
  }

  static double checked_temperature(const specrouter::Params& params) {
    const double temperature = params.get<double>("temperature");
    if (!(temperature > 0)) {
      throw specrouter::ConfigError(params.owner() + ": temperature must be > 0, got " + std::to_string(temperature));
    }
    return temperature;
  }

  static double checked_min_confidence(const specrouter::Params& params) {
    const double min_confidence = params.get<double>("min_confidence");
    if (!(min_confidence >= 0 && min_confidence <= 1)) {
      throw specrouter::ConfigError(params.owner() + ": min_confidence must be in [0, 1], got " +
                                    std::to_string(min_confidence));
    }
    return min_confidence;
  }

  static std::int64_t checked_order(const specrouter::Params& params) {
    const std::int64_t order = params.get<std::int64_t>("order");
    if (order < 1 || order > kMaxOrder) {
      throw specrouter::ConfigError(params.owner() + ": order must be in [1, " + std::to_string(kMaxOrder) + "], got " +
                                    std::to_string(order));
    }
    return order;
  }

  static double checked_discount(const specrouter::Params& params) {
    const double discount = params.get<double>("discount");
    if (!(discount >= 0 && discount <= 1)) {
      throw specrouter::ConfigError(params.owner() + ": discount must be in [0, 1] (0: estimated), got " +
                                    std::to_string(discount));
    }
    return discount;
  }

  bool sample_;
  double temperature_;
  double min_confidence_;
  // Used when a request brings no generator of its own (the step executor always gives
  // the sequence's, so a run's draws depend on its seed, not on this parameter).
  std::mt19937_64 rng_;
  KneserNeyModel model_;
  std::vector<double> row_;      // [vocab] when sampling, reused for every drafted token
  std::vector<double> scratch_;  // [vocab] when greedy: most_probable's working space, all -1
  std::vector<TokenId> touched_;
};

}  // namespace

// Registration: the registry name, a one-line description, the declared parameters and
// the factory. Built as a module this also defines the loader's entry point; built
// statically, specrouter_register_ngram_lm_drafter() for tests.
SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Drafter>(
      {"ngram_lm",
       "statistical n-gram language model (interpolated modified Kneser-Ney over token ids, trained on a text file)",
       {specrouter::required_param("training_file", specrouter::ParamType::kString,
                                   "training text (token ids when tokenizer is empty); relative to the working directory"),
        specrouter::string_param("tokenizer", "",
                                 "tokenizer.json or model folder that tokenizes training_file; empty: the file holds ids"),
        specrouter::int_param("vocab_size", 0,
                              "width of the distributions; 0 = the tokenizer's; set it to the model's (padded) vocab"),
        specrouter::int_param("order", 4, "n of the n-gram model: the last order-1 tokens are the context (1..16)"),
        specrouter::float_param("discount", 0.0,
                                "Kneser-Ney discount in (0, 1] for every count; 0 = modified KN, estimated per order"),
        specrouter::bool_param("sample", false, "draw tokens (and return their distributions) instead of the argmax"),
        specrouter::float_param("temperature", 1.0, "sampling draws from P^(1/temperature), normalized; > 0"),
        specrouter::int_param("seed", 0, "seed of the drafter's own stream, for requests that bring no generator (sampling only)"),
        specrouter::float_param("min_confidence", 0.0,
                                "stop drafting when the most probable next token has less probability; 0 = never")}},
      [](const specrouter::Params& params) { return std::make_unique<NgramLmDrafter>(params); });
}
