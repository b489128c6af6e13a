// The n-gram drafter: prompt lookup decoding (Saxena, 2023), and SpecRouter's reference
// plugin. To write a new drafter, copy this folder and follow
// docs/guides/adding-a-plugin.md.
//
// Idea: text repeats itself (code being edited, summaries quoting their source, answers
// citing retrieved passages, the loops of greedy decoding). If the last n tokens of the
// context occurred before, the tokens that followed them then are a cheap guess for what
// follows now. No model runs, so the draft is deterministic and `Draft::probs` stays
// empty: each token counts as drawn from the one-hot distribution on itself (drafter.h).
//
// Cost per sequence: O(W × max_ngram) token comparisons, W being the tokens searched (the
// window, or the whole context), plus O(max_tokens) to write the draft. Nothing is
// allocated besides the draft, and nothing is kept between calls.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"

namespace {

using specrouter::TokenId;

// An earlier occurrence of the context's last `length` tokens, ending just before `end`;
// the draft copies the tokens from `end` on. `length == 0`: nothing matched.
struct Match {
  std::size_t end = 0;
  std::size_t length = 0;
};

// The most recent of the longest earlier occurrences of the last n tokens of `tokens`,
// for min_ngram <= n <= max_ngram.
//
// Trying n = max_ngram, max_ngram - 1, ... in turn would rescan the tokens once per n.
// One backward scan does the same: at each candidate end it measures how many tokens
// agree with the suffix, reading back from there, and keeps the first (most recent)
// longest. Candidates end before the last token, so every match is followed by at
// least one token; a candidate may overlap the suffix ("a a a" inside "a a a a").
Match find_longest_recent_match(std::span<const TokenId> tokens, std::size_t min_ngram,
                                std::size_t max_ngram) {
  const std::size_t size = tokens.size();
  Match best;
  if (size < 2) return best;
  for (std::size_t end = size - 1; end > 0 && best.length < max_ngram; --end) {
    std::size_t length = 0;
    while (length < max_ngram && length < end &&
           tokens[end - 1 - length] == tokens[size - 1 - length]) {
      ++length;
    }
    if (length > best.length) best = {end, length};  // strictly longer: ties keep the later one
  }
  return best.length >= min_ngram ? best : Match{};
}

class NgramDrafter final : public specrouter::Drafter {
 public:
  explicit NgramDrafter(const specrouter::Params& params)
      : min_ngram_(read_size(params, "min_ngram", 1)),
        max_ngram_(read_size(params, "max_ngram", 1)),
        window_(read_size(params, "window", 0)) {
    if (max_ngram_ < min_ngram_) {
      throw specrouter::ConfigError(params.owner() + ": max_ngram (" + std::to_string(max_ngram_) +
                                    ") must be >= min_ngram (" + std::to_string(min_ngram_) + ")");
    }
  }

  std::vector<specrouter::Draft> propose(std::span<const specrouter::DraftRequest> requests,
                                        const specrouter::DraftContext& /*context: no model runs*/) override {
    std::vector<specrouter::Draft> drafts;
    drafts.reserve(requests.size());
    for (const specrouter::DraftRequest& request : requests) drafts.push_back(draft_one(request));
    return drafts;
  }

 private:
  specrouter::Draft draft_one(const specrouter::DraftRequest& request) const {
    std::span<const TokenId> tokens = request.context;
    if (window_ > 0 && tokens.size() > window_) tokens = tokens.last(window_);

    specrouter::Draft draft;
    if (request.max_tokens <= 0) return draft;
    const Match match = find_longest_recent_match(tokens, min_ngram_, max_ngram_);
    if (match.length == 0) return draft;

    // Copy what followed the match. A copy that reaches the end of the context goes on
    // through the tokens it has just written (as LZ77 does): it assumes the repetition
    // continues, so a loop of period d is drafted in full, not cut after d tokens.
    const std::size_t count = static_cast<std::size_t>(request.max_tokens);
    draft.tokens.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t source = match.end + i;
      draft.tokens.push_back(source < tokens.size() ? tokens[source]
                                                    : draft.tokens[source - tokens.size()]);
    }
    return draft;  // probs left empty: deterministic, one-hot
  }

  // The value of a declared int parameter, checked to be >= minimum.
  static std::size_t read_size(const specrouter::Params& params, const std::string& key,
                               std::int64_t minimum) {
    const std::int64_t value = params.get<std::int64_t>(key);
    if (value < minimum) {
      throw specrouter::ConfigError(params.owner() + ": " + key + " must be >= " +
                                    std::to_string(minimum) + ", got " + std::to_string(value));
    }
    return static_cast<std::size_t>(value);
  }

  std::size_t min_ngram_;
  std::size_t max_ngram_;
  std::size_t window_;  // 0: search the whole context
};

}  // namespace

// Registration: the registry name, a one-line description, the declared parameters
// (name, default, doc; the config is checked against them before the factory runs) and a
// factory from validated Params. Built as a module, this also defines the entry point
// the loader looks for; built statically, specrouter_register_ngram_drafter() for tests.
SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Drafter>(
      {"ngram",
       "prompt lookup: proposes what followed the latest earlier occurrence of the context's last n tokens",
       {specrouter::int_param("min_ngram", 1, "shortest suffix (in tokens) worth matching"),
        specrouter::int_param("max_ngram", 3, "longest suffix (in tokens) tried; longer matches win"),
        specrouter::int_param("window", 0, "search only the last this many tokens; 0 = the whole context")}},
      [](const specrouter::Params& params) { return std::make_unique<NgramDrafter>(params); });
}
