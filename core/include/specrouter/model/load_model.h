#pragma once

/// @file
/// @brief Loading a model from a Hugging Face checkpoint folder.

#include <filesystem>
#include <memory>

#include "specrouter/model/transformer_model.h"

namespace specrouter {

/// Loads the model in `dir`: parses config.json (refusing unsupported architectures and
/// options), opens the weights (single or sharded safetensors), checks every expected
/// tensor name and shape, and builds a TransformerModel with `options`.
///
/// The config's `eos_token_ids` and `bos_token_id` are replaced by those of
/// generation_config.json when it declares them (transformers' generate() does the same),
/// so `model->config().eos_token_ids` are the ids generation should stop at. Throws
/// CheckpointError naming the file and key or tensor at fault.
std::unique_ptr<TransformerModel> load_model(const std::filesystem::path& dir, const ModelOptions& options = {});

}  // namespace specrouter
