// The token verifier: token-by-token acceptance of a linear draft.
//
// With k draft tokens x_0..x_{k-1}, p_i the verifying model's distribution at position i
// (k+1 rows) and q_i the distribution x_i was drawn from (k rows; empty = one-hot on x_i):
//
// Greedy (VerifyRequest::greedy): accept x_i while x_i == argmax p_i. The next token is
// argmax p_i of the first mismatch (recovered), or argmax p_k after k acceptances (bonus).
// Ties go to the lowest token id. No randomness is used.
//
// Sampling: speculative sampling (Leviathan et al., 2023; Chen et al., 2023). Accept x_i
// with probability min(1, p_i(x_i) / q_i(x_i)). At the first rejection, the recovered
// token is drawn from the residual normalize(max(0, p_i - q_i)); after k acceptances, the
// bonus token is drawn from p_k. Every committed token is then distributed exactly as if
// drawn from p itself: verification is lossless. The residual has mass whenever a
// rejection can happen (it sums to the rejection probability); if rounding leaves it
// empty, the token is drawn from p_i.
//
// Randomness: each random number is next_uniform(rng) (sampling.h), the top 53 bits of
// one rng() call scaled to [0, 1), unlike std::uniform_real_distribution whose output
// differs between standard libraries; so a seed reproduces a run everywhere. A call draws
// one number per examined draft token and one for the next token.
//
// The residual is sampled here rather than with sample_from_distribution (sampling.h),
// which takes float weights: this one weighs max(0, p - q) in double, unrounded, and
// reports an empty residual (-1) instead of throwing.
//
// Cost per call: sampling O(k + V), greedy O((accepted + 1) × V), for V = vocab size.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/verifier.h"

namespace {

using specrouter::ProbabilityRows;
using specrouter::TokenId;
using specrouter::Verdict;
using specrouter::VerifyRequest;
using specrouter::argmax;
using specrouter::next_uniform;

// The token whose cumulative weight first exceeds u × (total weight), for the weights
// weight(0..vocab-1) >= 0; -1 when they are all zero. Inverse-CDF sampling, two passes.
template <class Weight>
TokenId sample_proportional(std::int64_t vocab, Weight weight, double u) {
  double total = 0;
  for (std::int64_t v = 0; v < vocab; ++v) total += weight(v);
  if (!(total > 0)) return -1;
  const double threshold = u * total;
  double cumulative = 0;
  TokenId last_with_mass = -1;
  for (std::int64_t v = 0; v < vocab; ++v) {
    const double w = weight(v);
    if (w <= 0) continue;
    cumulative += w;
    last_with_mass = static_cast<TokenId>(v);
    if (threshold < cumulative) break;
  }
  return last_with_mass;  // also when rounding left `threshold` at or past the total
}

class TokenVerifier final : public specrouter::Verifier {
 public:
  explicit TokenVerifier(const specrouter::Params& params) : owner_(params.owner()) {}

  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    check(request);
    return request.greedy ? verify_greedy(request) : verify_sampling(request, rng);
  }

 private:
  static Verdict verify_greedy(const VerifyRequest& request) {
    const ProbabilityRows& p = request.target_probs;
    Verdict verdict;
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(request.draft_tokens.size()); ++i) {
      const TokenId best = argmax(p.row(i));
      if (request.draft_tokens[i] != best) {
        verdict.next_token = best;  // recovered
        return verdict;
      }
      verdict.accepted_path.push_back(i);
    }
    verdict.next_token = argmax(p.row(p.rows - 1));
    verdict.bonus = true;
    return verdict;
  }

  Verdict verify_sampling(const VerifyRequest& request, std::mt19937_64& rng) const {
    const ProbabilityRows& p = request.target_probs;
    const ProbabilityRows& q = request.draft_probs;
    Verdict verdict;
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(request.draft_tokens.size()); ++i) {
      const TokenId x = request.draft_tokens[i];
      const auto p_i = p.row(i);
      const double q_x = q.empty() ? 1.0 : q.row(i)[x];
      // Accept with probability min(1, p(x) / q(x)); multiplied out, so q(x) = 0 needs no case.
      if (next_uniform(rng) * q_x < p_i[x]) {
        verdict.accepted_path.push_back(i);
        continue;
      }
      const auto residual = [&](std::int64_t v) {
        const double q_v = q.empty() ? (v == x ? 1.0 : 0.0) : q.row(i)[v];
        return std::max(0.0, p_i[v] - q_v);
      };
      const double u = next_uniform(rng);
      verdict.next_token = sample_proportional(p.vocab_size, residual, u);
      if (verdict.next_token < 0) verdict.next_token = sample_from(p, i, u);  // p == q up to rounding
      return verdict;
    }
    verdict.next_token = sample_from(p, p.rows - 1, next_uniform(rng));
    verdict.bonus = true;
    return verdict;
  }

  TokenId sample_from(const ProbabilityRows& p, std::int64_t row, double u) const {
    const auto p_row = p.row(row);
    const TokenId token =
        sample_proportional(p.vocab_size, [&](std::int64_t v) { return std::max(0.0, double{p_row[v]}); }, u);
    if (token < 0) fail("target_probs row " + std::to_string(row) + " has no probability mass");
    return token;
  }

  // Shapes and token ids (the shared check), then that the draft is a chain, before
  // anything is read.
  void check(const VerifyRequest& request) const {
    specrouter::check_verify_request(request, owner_);
    for (std::size_t i = 0; i < request.parents.size(); ++i) {
      if (request.parents[i] != static_cast<std::int32_t>(i) - 1) {
        throw specrouter::ConfigError(owner_ + " verifies linear drafts only, got a tree draft (parents[" +
                                      std::to_string(i) + "] = " + std::to_string(request.parents[i]) +
                                      "); configure a tree verifier for a tree drafter");
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const { throw specrouter::Error(owner_ + ": " + what); }

  std::string owner_;  // "verifier 'token'", for messages
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Verifier>(
      {"token",
       "token-level verification of a linear draft: greedy match, or lossless speculative sampling",
       {}},
      [](const specrouter::Params& params) { return std::make_unique<TokenVerifier>(params); });
}
