// Helpers shared by the state manager tests: a recognisable K/V pattern written for every
// new token, and a check that a sequence's cache holds exactly the pattern of its tokens.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "specrouter/state/state_manager.h"

namespace specrouter::detail {

// Test-only access to internals, to corrupt state on purpose and prove the checks fire.
struct StateTestAccess {
  static void record(KvBlockPool& pool, std::int64_t slot, TokenId token, std::int64_t position) {
    pool.record(slot, token, position);
  }
  static void retain(KvBlockPool& pool, BlockId block) { pool.retain(block); }
  static void release(KvBlockPool& pool, BlockId block) { pool.release(block); }
};

}  // namespace specrouter::detail

namespace specrouter::testing {

// Element d of the key of (layer, head) for `token` computed at `position`: every
// component names what it belongs to, so a misplaced or stale slot cannot match.
// Small integers: exact in every floating dtype used here.
inline float key_pattern(TokenId token, std::int64_t position, std::int64_t layer, std::int64_t head, std::int64_t d) {
  switch (d % 4) {
    case 0: return static_cast<float>(token);
    case 1: return static_cast<float>(position);
    case 2: return static_cast<float>(layer);
    default: return static_cast<float>(head + 10 * (d / 4));
  }
}
// The value pattern differs from the key pattern, so swapped K and V are caught too.
inline float value_pattern(TokenId token, std::int64_t position, std::int64_t layer, std::int64_t head,
                           std::int64_t d) {
  return key_pattern(token, position, layer, head, d) + (d % 4 == 0 ? 1000.0f : -1.0f);
}

// Writes the pattern of every new token of `batch` (model `model`) into every layer, as a
// model's forward would.
inline void write_pattern(StateManager& manager, KvModelId model, const KvForwardBatch& batch,
                          const std::vector<TokenId>& tokens) {
  KvBlockPool& pool = manager.pool(model);
  const KvCacheSpec& spec = pool.spec();
  const std::int64_t count = batch.num_tokens;
  const at::Tensor positions_cpu = batch.positions.cpu().contiguous();
  const auto* positions = positions_cpu.data_ptr<std::int64_t>();
  for (std::int64_t layer = 0; layer < spec.num_layers; ++layer) {
    at::Tensor keys = at::empty({count, spec.num_kv_heads, spec.head_dim}, at::kFloat);
    at::Tensor values = at::empty({count, spec.num_kv_heads, spec.head_dim}, at::kFloat);
    auto k = keys.accessor<float, 3>();
    auto v = values.accessor<float, 3>();
    for (std::int64_t t = 0; t < count; ++t) {
      const std::int64_t position = positions[t];
      for (std::int64_t h = 0; h < spec.num_kv_heads; ++h) {
        for (std::int64_t d = 0; d < spec.head_dim; ++d) {
          k[t][h][d] = key_pattern(tokens[static_cast<std::size_t>(t)], position, layer, h, d);
          v[t][h][d] = value_pattern(tokens[static_cast<std::size_t>(t)], position, layer, h, d);
        }
      }
    }
    pool.write(layer, batch.slot_mapping, keys, values);
  }
}

// Appends `tokens` (a chain) to one sequence of one model and writes their pattern.
inline void append_and_write(StateManager& manager, KvModelId model, SequenceId sequence,
                             const std::vector<TokenId>& tokens) {
  const KvForwardBatch batch = manager.append(model, sequence, tokens);
  write_pattern(manager, model, batch, tokens);
}

// Empty when the cache of (model, sequence) holds, at positions [0, size), exactly the
// pattern of `tokens` computed at `positions`; otherwise the first mismatch, in words.
inline std::string check_contents(const StateManager& manager, KvModelId model, SequenceId sequence,
                                  const std::vector<TokenId>& tokens, const std::vector<std::int64_t>& positions) {
  const KvBlockPool& pool = manager.pool(model);
  const KvCacheSpec& spec = pool.spec();
  const std::span<const BlockId> table = manager.block_table(model, sequence);
  if (manager.kv_length(model, sequence) != static_cast<std::int64_t>(tokens.size())) {
    return "model " + spec.model + " sequence " + std::to_string(sequence) + ": kv_length " +
           std::to_string(manager.kv_length(model, sequence)) + ", expected " + std::to_string(tokens.size());
  }
  const at::Tensor keys = pool.keys().to(at::kFloat).contiguous();    // [layers, blocks, block_size, heads, dim]
  const at::Tensor values = pool.values().to(at::kFloat).contiguous();
  auto k = keys.accessor<float, 5>();
  auto v = values.accessor<float, 5>();
  for (std::size_t p = 0; p < tokens.size(); ++p) {
    const BlockId block = table[p / static_cast<std::size_t>(spec.block_size)];
    const auto offset = static_cast<std::int64_t>(p) % spec.block_size;
    for (std::int64_t layer = 0; layer < spec.num_layers; ++layer) {
      for (std::int64_t h = 0; h < spec.num_kv_heads; ++h) {
        for (std::int64_t d = 0; d < spec.head_dim; ++d) {
          const float want_k = key_pattern(tokens[p], positions[p], layer, h, d);
          const float want_v = value_pattern(tokens[p], positions[p], layer, h, d);
          if (k[layer][block][offset][h][d] != want_k || v[layer][block][offset][h][d] != want_v) {
            return "model " + spec.model + " sequence " + std::to_string(sequence) + " position " + std::to_string(p) +
                   " layer " + std::to_string(layer) + " head " + std::to_string(h) + " dim " + std::to_string(d) +
                   ": K/V " + std::to_string(k[layer][block][offset][h][d]) + "/" +
                   std::to_string(v[layer][block][offset][h][d]) + ", expected " + std::to_string(want_k) + "/" +
                   std::to_string(want_v) + " (token " + std::to_string(tokens[p]) + ")";
          }
        }
      }
    }
  }
  return {};
}

// check_contents() for a chain: positions 0..n-1.
inline std::string check_chain(const StateManager& manager, KvModelId model, SequenceId sequence,
                               const std::vector<TokenId>& tokens) {
  std::vector<std::int64_t> positions(tokens.size());
  for (std::size_t p = 0; p < positions.size(); ++p) positions[p] = static_cast<std::int64_t>(p);
  return check_contents(manager, model, sequence, tokens, positions);
}

// A small cache spec for tests.
inline KvCacheSpec small_spec(const std::string& name, std::int64_t block_size, std::int64_t layers = 2,
                              std::int64_t heads = 2, std::int64_t head_dim = 4) {
  KvCacheSpec spec;
  spec.model = name;
  spec.num_layers = layers;
  spec.num_kv_heads = heads;
  spec.head_dim = head_dim;
  spec.block_size = block_size;
  spec.dtype = at::kFloat;
  return spec;
}

}  // namespace specrouter::testing
