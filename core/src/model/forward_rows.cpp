#include "specrouter/model/forward_rows.h"

#include <string>

#include "specrouter/error.h"

namespace specrouter {

void check_tokens(const SequenceInput& input, std::int64_t vocab_size) {
  const std::string where = "forward: sequence " + std::to_string(input.sequence);
  if (input.tokens.empty()) throw UsageError(where + " brings no tokens");
  for (std::size_t i = 0; i < input.tokens.size(); ++i) {
    const TokenId token = input.tokens[i];
    if (token < 0 || token >= vocab_size) {
      throw UsageError(where + ": token " + std::to_string(i) + " = " + std::to_string(token) +
                       " is outside the vocabulary of " + std::to_string(vocab_size));
    }
  }
  if (!input.parents.empty() && input.parents.size() != input.tokens.size()) {
    throw UsageError(where + ": " + std::to_string(input.parents.size()) + " parents for " +
                     std::to_string(input.tokens.size()) + " tokens");
  }
}

void add_wanted_rows(const SequenceInput& input, std::int64_t offset, std::int64_t count, BatchRows& rows) {
  switch (input.logits) {
    case LogitsWanted::kLast:
      rows.wanted_rows.push_back(offset + count - 1);
      break;
    case LogitsWanted::kAll:
      for (std::int64_t i = 0; i < count; ++i) rows.wanted_rows.push_back(offset + i);
      break;
    case LogitsWanted::kListed:
      for (std::int32_t index : input.logits_for) {
        if (index < 0 || index >= count) {
          throw UsageError("forward: sequence " + std::to_string(input.sequence) + " asks logits for token " +
                           std::to_string(index) + " of " + std::to_string(count));
        }
        rows.wanted_rows.push_back(offset + index);
      }
      break;
    case LogitsWanted::kNone:
      break;
  }
  rows.row_offsets.push_back(static_cast<std::int64_t>(rows.wanted_rows.size()));
}

}  // namespace specrouter
