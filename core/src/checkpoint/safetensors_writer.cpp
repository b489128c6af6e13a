// write_safetensors: the header and layout of the `safetensors` library, written atomically.
#include "specrouter/checkpoint/safetensors_writer.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <string_view>

#include "atomic_file.h"
#include "json_emit.h"
#include "message_text.h"
#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/utf8.h"

namespace specrouter {
namespace {

constexpr std::string_view kMetadataKey = "__metadata__";

bool is_valid_utf8(std::string_view text) { return first_invalid_utf8(text) == std::string_view::npos; }

void check_tensor(const TensorToWrite& tensor, const std::string& label) {
  const std::string where = label + ": tensor " + detail::quote(tensor.name);
  if (tensor.name == kMetadataKey) {
    throw CheckpointError(where + ": the name is reserved for the header's metadata");
  }
  if (!is_valid_utf8(tensor.name)) throw CheckpointError(where + ": name is not valid UTF-8");
  std::uint64_t numel = 1;
  bool overflows = false;
  for (const std::int64_t dim : tensor.shape) {
    if (dim < 0) {
      throw CheckpointError(where + ": shape " + shape_to_string(tensor.shape) +
                            " has a negative dimension");
    }
    overflows = overflows || __builtin_mul_overflow(numel, static_cast<std::uint64_t>(dim), &numel);
  }
  std::uint64_t nbytes = 0;
  overflows = overflows || __builtin_mul_overflow(numel, element_size(tensor.dtype), &nbytes);
  if (overflows || nbytes != tensor.data.size()) {
    throw CheckpointError(where + ": shape " + shape_to_string(tensor.shape) + " of " +
                          std::string(dtype_name(tensor.dtype)) + " needs " +
                          (overflows ? std::string("more than 2^64") : std::to_string(nbytes)) +
                          " bytes but " + std::to_string(tensor.data.size()) + " were given");
  }
}

// The order the library lays tensors out in: descending dtype (its enum order, which
// Dtype mirrors), then ascending name (byte-wise, as Rust compares strings).
std::vector<std::size_t> layout_order(std::span<const TensorToWrite> tensors) {
  std::vector<std::size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (tensors[a].dtype != tensors[b].dtype) return tensors[a].dtype > tensors[b].dtype;
    return tensors[a].name < tensors[b].name;
  });
  return order;
}

std::string header_json(std::span<const TensorToWrite> tensors,
                        const std::optional<SafetensorsMetadata>& metadata,
                        const std::vector<std::size_t>& order, const std::string& label) {
  std::set<std::string_view> seen;
  for (const TensorToWrite& tensor : tensors) {
    check_tensor(tensor, label);
    if (!seen.insert(tensor.name).second) {
      throw CheckpointError(label + ": tensor " + detail::quote(tensor.name) +
                            " is given twice");
    }
  }
  std::string json = "{";
  bool first = true;
  if (metadata) {
    json += "\"__metadata__\":{";
    bool first_entry = true;
    for (const auto& [key, value] : *metadata) {
      if (!is_valid_utf8(key) || !is_valid_utf8(value)) {
        throw CheckpointError(label + ": __metadata__ entry " + detail::quote(key) +
                              " is not valid UTF-8");
      }
      if (!first_entry) json += ',';
      first_entry = false;
      detail::append_serde_json_string(json, key);
      json += ':';
      detail::append_serde_json_string(json, value);
    }
    json += '}';
    first = false;
  }
  std::size_t offset = 0;
  for (const std::size_t index : order) {
    const TensorToWrite& tensor = tensors[index];
    if (!first) json += ',';
    first = false;
    detail::append_serde_json_string(json, tensor.name);
    json += ":{\"dtype\":\"";
    json += dtype_name(tensor.dtype);
    json += "\",\"shape\":[";
    for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
      if (d > 0) json += ',';
      json += std::to_string(tensor.shape[d]);
    }
    json += "],\"data_offsets\":[" + std::to_string(offset) + ",";
    offset += tensor.data.size();
    json += std::to_string(offset) + "]}";
  }
  json += '}';
  // The library pads with spaces so the data section starts 8-byte aligned.
  json.append((8 - json.size() % 8) % 8, ' ');
  return json;
}

}  // namespace

TensorToWrite TensorToWrite::from_view(const TensorView& view) {
  return TensorToWrite{view.name, view.dtype, view.shape, view.bytes()};
}

std::string safetensors_header_json(std::span<const TensorToWrite> tensors,
                                    const std::optional<SafetensorsMetadata>& metadata) {
  return header_json(tensors, metadata, layout_order(tensors), "safetensors header");
}

void write_safetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                       const std::optional<SafetensorsMetadata>& metadata) {
  const std::vector<std::size_t> order = layout_order(tensors);
  const std::string header =
      header_json(tensors, metadata, order, "safetensors file '" + path.string() + "'");
  if (header.size() > kMaxSafetensorsHeaderBytes) {
    throw CheckpointError("safetensors file '" + path.string() + "': header of " +
                          std::to_string(header.size()) + " bytes exceeds the limit of " +
                          std::to_string(kMaxSafetensorsHeaderBytes));
  }
  detail::AtomicFileWriter writer(path);
  const std::uint64_t header_size = header.size();  // little-endian hosts, as the format
  writer.write(std::as_bytes(std::span<const std::uint64_t>(&header_size, 1)));
  writer.write(header);
  for (const std::size_t index : order) writer.write(tensors[index].data);
  writer.commit();
}

}  // namespace specrouter
