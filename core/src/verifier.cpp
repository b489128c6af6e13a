// The request checks every verifier shares.
#include "specrouter/verifier.h"

#include <cstdint>

#include "specrouter/error.h"

namespace specrouter {

void check_verify_request(const VerifyRequest& request, const std::string& owner) {
  auto fail = [&](const std::string& what) { throw UsageError(owner + ": " + what); };
  const auto k = static_cast<std::int64_t>(request.draft_tokens.size());
  if (!request.parents.empty() && static_cast<std::int64_t>(request.parents.size()) != k) {
    fail("parents has " + std::to_string(request.parents.size()) + " entries for " + std::to_string(k) +
         " draft tokens");
  }
  const ProbabilityRows& p = request.target_probs;
  if (p.data == nullptr || p.rows != k + 1 || p.vocab_size < 1) {
    fail("target_probs must be [k + 1 = " + std::to_string(k + 1) + ", vocab] with vocab >= 1, got [" +
         std::to_string(p.rows) + ", " + std::to_string(p.vocab_size) + "]");
  }
  const ProbabilityRows& q = request.draft_probs;
  if (!request.greedy && !q.empty() && (q.rows != k || q.vocab_size != p.vocab_size)) {
    fail("draft_probs must be empty or [k = " + std::to_string(k) + ", " + std::to_string(p.vocab_size) +
         "], got [" + std::to_string(q.rows) + ", " + std::to_string(q.vocab_size) + "]");
  }
  for (std::int64_t i = 0; i < k; ++i) {
    const TokenId token = request.draft_tokens[static_cast<std::size_t>(i)];
    if (token < 0 || token >= p.vocab_size) {
      fail("draft token " + std::to_string(i) + " is " + std::to_string(token) + ", outside the vocabulary [0, " +
           std::to_string(p.vocab_size) + ")");
    }
  }
}

}  // namespace specrouter
