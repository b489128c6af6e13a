#pragma once
// What every Model implementation checks of a forward batch and how it lays out the
// logits rows, shared by TransformerModel and SimulatedModel. Private to the core.

#include <cstdint>
#include <vector>

#include "specrouter/model/forward.h"

namespace specrouter::detail {

// Token ids and wanted rows of the whole batch, on the host.
struct BatchRows {
  std::vector<std::int64_t> token_ids;
  std::vector<std::int64_t> wanted_rows;
  std::vector<std::int64_t> row_offsets{0};
};

// Throws UsageError for a sequence with no tokens, a token outside [0, vocab_size), or
// parents that are not one per token.
void check_tokens(const SequenceInput& input, std::int64_t vocab_size);

// Appends the rows `input` wants (its `count` tokens start at batch row `offset`) and the
// sequence's end offset; throws UsageError for a listed index outside the tokens.
void add_wanted_rows(const SequenceInput& input, std::int64_t offset, std::int64_t count, BatchRows& rows);

}  // namespace specrouter::detail
