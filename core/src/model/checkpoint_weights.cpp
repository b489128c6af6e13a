#include "specrouter/model/checkpoint_weights.h"

#include <bit>
#include <cmath>
#include <cstring>

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/logical_not.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"
#include "specrouter/model/load_model.h"

namespace specrouter {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors bytes are little-endian");

c10::ScalarType scalar_type_of(Dtype dtype, const TensorView& view) {
  switch (dtype) {
    case Dtype::kF32: return at::kFloat;
    case Dtype::kF64: return at::kDouble;
    case Dtype::kBF16: return at::kBFloat16;
    case Dtype::kF16: return at::kHalf;
    default:
      throw CheckpointError(view.file.string() + ": tensor " + view.name + " has dtype " +
                            std::string(dtype_name(dtype)) + ", not a floating-point type the model runtime reads");
  }
}

Dtype dtype_of(c10::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kFloat: return Dtype::kF32;
    case at::kDouble: return Dtype::kF64;
    case at::kBFloat16: return Dtype::kBF16;
    case at::kHalf: return Dtype::kF16;
    default: throw CheckpointError("cannot write tensor " + name + " of type " + std::string(c10::toString(type)));
  }
}

}  // namespace

CheckpointWeights CheckpointWeights::open(const std::filesystem::path& dir) {
  return CheckpointWeights(std::make_shared<const CheckpointFolder>(CheckpointFolder::open(dir)));
}

std::vector<std::string> CheckpointWeights::names() const { return folder_->names(); }

std::vector<std::int64_t> CheckpointWeights::shape(const std::string& name) const {
  return folder_->tensor(name).shape;
}

std::string CheckpointWeights::location(const std::string& name) const {
  return folder_->tensor(name).file.filename().string();
}

std::string CheckpointWeights::description() const { return folder_->dir().string(); }

at::Tensor CheckpointWeights::load(const std::string& name, c10::ScalarType dtype, c10::Device device) const {
  const TensorView& view = folder_->tensor(name);
  const c10::ScalarType stored = scalar_type_of(view.dtype, view);
  const auto options = at::TensorOptions().dtype(stored);
  at::Tensor tensor;
  if (view.is_aligned()) {
    // Zero copy: the tensor keeps the mapping alive; the mapping is read-only.
    auto* data = const_cast<std::byte*>(view.data);
    tensor = at::from_blob(data, view.shape, [keep = view.keep_alive](void*) {}, options);
  } else {
    tensor = at::empty(view.shape, options);
    std::memcpy(tensor.data_ptr(), view.data, view.nbytes);
  }
  // A NaN or infinity in a weight turns every output into garbage (a NaN norm weight
  // decodes token 0 forever), so it is refused here. One reduction pass in double, at
  // memory speed; non-finite values make the sum non-finite.
  if (at::isFloatingType(stored) && tensor.numel() > 0 &&
      !std::isfinite(tensor.sum(at::kDouble).item<double>())) {
    const at::Tensor bad = at::logical_not(at::isfinite(tensor)).flatten().nonzero();
    if (bad.numel() > 0) {  // else the finite values merely summed past a double's range
      const std::int64_t first = bad[0].item<std::int64_t>();
      throw NumericalError(view.file.string() + ": tensor " + name + " holds NaN or infinite values (" +
                           std::to_string(bad.size(0)) + " of " + std::to_string(tensor.numel()) + ", the first at flat index " +
                           std::to_string(first) + ")");
    }
  }
  if (stored == dtype && device.is_cpu()) return tensor;
  return tensor.to(device, dtype);
}

void write_model_checkpoint(const std::filesystem::path& dir, const ModelConfig& config,
                            const TensorMapWeights& weights, std::uint64_t max_shard_bytes) {
  std::vector<at::Tensor> owned;  // contiguous CPU copies whose bytes are written
  std::vector<TensorToWrite> tensors;
  c10::InferenceMode guard;
  for (const auto& [name, stored] : weights.tensors()) {
    at::Tensor tensor = stored.to(at::kCPU).contiguous();
    owned.push_back(tensor);
    TensorToWrite entry;
    entry.name = name;
    entry.dtype = dtype_of(tensor.scalar_type(), name);
    entry.shape = tensor.sizes().vec();
    entry.data = {static_cast<const std::byte*>(tensor.data_ptr()), tensor.nbytes()};
    tensors.push_back(std::move(entry));
  }
  CheckpointWriteOptions options;
  options.max_shard_bytes = max_shard_bytes;
  write_checkpoint_folder(dir, tensors, model_config_to_json(config), options);
}

std::unique_ptr<TransformerModel> load_model(const std::filesystem::path& dir, const ModelOptions& options) {
  const CheckpointWeights weights = CheckpointWeights::open(dir);
  ModelConfig config = parse_model_config(weights.folder().read_text(kConfigFile), (dir / kConfigFile).string());
  const SpecialTokenIds special = weights.folder().special_token_ids();
  if (!special.eos_token_ids.empty()) config.eos_token_ids = special.eos_token_ids;
  if (special.bos_token_id) config.bos_token_id = special.bos_token_id;
  validate_model_config(config, (dir / kConfigFile).string());
  return TransformerModel::create(config, weights, options);
}

}  // namespace specrouter
