// The safetensors header: length field, JSON entries, and the layout checks the format
// requires (see docs/design/checkpoint.md for the list and the reasons).
#include "safetensors_header.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "json_parse.h"
#include "message_text.h"
#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/checkpoint/tensor_view.h"
#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";

std::string range_text(std::size_t begin, std::size_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// Reads a JSON value that must be a non-negative integer fitting `max`.
bool read_unsigned(const json& value, std::uint64_t max, std::uint64_t& out) {
  if (!value.is_number_unsigned()) return false;
  out = value.get<std::uint64_t>();
  return out <= max;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& label) {
  if (!value.is_object()) {
    throw CheckpointError(label + ": __metadata__ is not a JSON object");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw CheckpointError(label + ": __metadata__ entry " + quote(key) + " is not a string");
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

HeaderEntry parse_entry(const std::string& name, const json& value, std::size_t data_size,
                        const std::string& label) {
  const std::string where = label + ": tensor " + quote(name);
  if (!value.is_object()) throw CheckpointError(where + ": header entry is not a JSON object");

  HeaderEntry entry;
  entry.name = name;

  const auto dtype_it = value.find("dtype");
  if (dtype_it == value.end() || !dtype_it->is_string()) {
    throw CheckpointError(where + ": missing or non-string \"dtype\"");
  }
  const std::string dtype_text = dtype_it->get<std::string>();
  const std::optional<Dtype> dtype = parse_dtype(dtype_text);
  if (!dtype) throw CheckpointError(where + ": unknown dtype " + quote(dtype_text));
  entry.dtype = *dtype;

  const auto shape_it = value.find("shape");
  if (shape_it == value.end() || !shape_it->is_array()) {
    throw CheckpointError(where + ": missing or non-array \"shape\"");
  }
  std::uint64_t numel = 1;
  bool numel_overflows = false;
  for (const json& dim_value : *shape_it) {
    std::uint64_t dim = 0;
    if (!read_unsigned(dim_value, std::numeric_limits<std::int64_t>::max(), dim)) {
      throw CheckpointError(where + ": shape " + one_line(shape_it->dump()) +
                            " has an entry that is not a non-negative 64-bit integer");
    }
    entry.shape.push_back(static_cast<std::int64_t>(dim));
    numel_overflows = numel_overflows || __builtin_mul_overflow(numel, dim, &numel);
  }

  const auto offsets_it = value.find("data_offsets");
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !read_unsigned((*offsets_it)[0], std::numeric_limits<std::uint64_t>::max(), begin) ||
      !read_unsigned((*offsets_it)[1], std::numeric_limits<std::uint64_t>::max(), end)) {
    throw CheckpointError(where + ": \"data_offsets\" is not a pair of non-negative integers");
  }
  if (begin > end) {
    throw CheckpointError(where + ": data_offsets " + range_text(begin, end) +
                          " begin after they end");
  }
  if (end > data_size) {
    throw CheckpointError(where + ": data_offsets " + range_text(begin, end) +
                          " run past the data section of " + std::to_string(data_size) +
                          " bytes");
  }
  std::uint64_t nbytes = 0;
  const bool overflows =
      numel_overflows || __builtin_mul_overflow(numel, element_size(entry.dtype), &nbytes);
  if (overflows || nbytes != end - begin) {
    const std::string needed = overflows ? std::string("more than 2^64") : std::to_string(nbytes);
    throw CheckpointError(where + ": shape " + shape_to_string(entry.shape) + " of " +
                          std::string(dtype_name(entry.dtype)) + " needs " + needed +
                          " bytes but data_offsets " + range_text(begin, end) + " span " +
                          std::to_string(end - begin));
  }
  entry.begin = begin;
  entry.end = end;
  return entry;
}

// Every byte of the data section must belong to exactly one tensor (the `safetensors`
// library refuses holes too, so a file we accept loads there as well).
void check_coverage(std::vector<HeaderEntry>& entries, std::size_t data_size,
                    const std::string& label) {
  std::sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.name < b.name;
  });
  std::size_t covered_to = 0;
  const HeaderEntry* previous = nullptr;
  for (const HeaderEntry& entry : entries) {
    if (entry.begin < covered_to) {
      throw CheckpointError(label + ": tensor " + quote(entry.name) + " at data_offsets " +
                            range_text(entry.begin, entry.end) + " overlaps tensor " +
                            quote(previous->name) + " at " +
                            range_text(previous->begin, previous->end));
    }
    if (entry.begin > covered_to) {
      throw CheckpointError(label + ": hole in the data section: bytes " +
                            range_text(covered_to, entry.begin) +
                            " belong to no tensor (next tensor " + quote(entry.name) + ")");
    }
    covered_to = entry.end;
    previous = &entry;
  }
  if (covered_to != data_size) {
    throw CheckpointError(label + ": hole in the data section: bytes " +
                          range_text(covered_to, data_size) +
                          " at its end belong to no tensor");
  }
}

}  // namespace

ParsedHeader parse_safetensors_header(std::span<const std::byte> file, const std::string& label) {
  if (file.size() < 8) {
    throw CheckpointError(label + ": file is " + std::to_string(file.size()) +
                          " bytes, shorter than the 8-byte header length");
  }
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);  // little-endian hosts only, as the format
  if (header_size > kMaxSafetensorsHeaderBytes) {
    throw CheckpointError(label + ": header length " + std::to_string(header_size) +
                          " exceeds the limit of " + std::to_string(kMaxSafetensorsHeaderBytes) +
                          " bytes");
  }
  if (header_size > file.size() - 8) {
    throw CheckpointError(label + ": header length " + std::to_string(header_size) +
                          " is larger than the " + std::to_string(file.size() - 8) +
                          " bytes after the length field");
  }
  ParsedHeader parsed;
  parsed.header_size = header_size;
  parsed.data_size = file.size() - 8 - header_size;

  const std::string_view text(reinterpret_cast<const char*>(file.data() + 8), header_size);
  const json header = parse_json_strict(text, label + ": header");
  if (!header.is_object()) throw CheckpointError(label + ": header is not a JSON object");

  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      parsed.metadata = parse_metadata(value, label);
      parsed.has_metadata = true;
    } else {
      parsed.entries.push_back(parse_entry(key, value, parsed.data_size, label));
    }
  }
  check_coverage(parsed.entries, parsed.data_size, label);
  return parsed;
}

}  // namespace specrouter::detail
