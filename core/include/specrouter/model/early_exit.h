#pragma once

/// @file
/// @brief Early-exit drafts: a model made of the first layers of another (self-speculative
/// decoding, as LayerSkip and Draft & Verify do), and random weights shaped like trained
/// ones for building such pools without a checkpoint.

#include <functional>

#include "specrouter/model/model_config.h"
#include "specrouter/model/weights.h"

namespace specrouter {

/// `config` with only its first `layers` decoder layers (1 <= layers <= its layer count;
/// per-layer settings such as sliding windows cut alike). Throws UsageError otherwise.
ModelConfig first_layers_config(ModelConfig config, int layers);

/// The weights of `weights`' first `layers` decoder layers, with its embeddings, final
/// norm and lm_head: the early-exit draft of that model. Tensors are shared, not copied.
/// Throws UsageError for layers < 1.
TensorMapWeights first_layers(const TensorMapWeights& weights, int layers);

/// Multiplies each layer's writes into the residual stream (`o_proj` and `down_proj`
/// weights) by `factor(layer)`.
///
/// Random layers each rewrite the residual stream, so a model cut to its first layers
/// agrees with the whole one on almost nothing. In trained models later layers refine
/// what the first ones computed; scaling their writes down (0.15 above the first layer,
/// or 0.5^layer) gives random pools whose early-exit drafts are accepted at the rates
/// speculation is studied at (0.6 to 0.9), so benchmarks and tests measure realistic plans.
void scale_residual_writes(TensorMapWeights& weights, const std::function<double(int layer)>& factor);

}  // namespace specrouter
