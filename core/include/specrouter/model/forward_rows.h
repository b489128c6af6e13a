#pragma once

/// @file
/// @brief What every Model implementation checks of a forward batch, and how it lays out
/// the logits rows: shared by TransformerModel and SimulatedModel, and public so that a
/// model written elsewhere (a plugin, a simulator) refuses bad input the same way.

#include <cstdint>
#include <vector>

#include "specrouter/model/forward.h"

namespace specrouter {

/// Token ids and wanted logits rows of a whole forward batch, on the host.
struct BatchRows {
  std::vector<std::int64_t> token_ids;    ///< every sequence's new tokens, batch order
  std::vector<std::int64_t> wanted_rows;  ///< batch rows whose logits are returned
  std::vector<std::int64_t> row_offsets{0};  ///< per sequence, where its wanted rows end
};

/// Throws UsageError for a sequence with no tokens, a token outside [0, vocab_size), or
/// parents that are not one per token.
void check_tokens(const SequenceInput& input, std::int64_t vocab_size);

/// Appends the rows `input` wants (its `count` tokens start at batch row `offset`) and
/// the sequence's end offset; throws UsageError for a listed index outside the tokens.
void add_wanted_rows(const SequenceInput& input, std::int64_t offset, std::int64_t count, BatchRows& rows);

}  // namespace specrouter
