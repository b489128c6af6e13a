#include "json_reader.h"

#include <fstream>
#include <sstream>

#include "specrouter/error.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {

JsonNode::JsonNode(const nlohmann::json& value, std::string path, std::shared_ptr<const std::string> file)
    : value_(&value), path_(std::move(path)), file_(std::move(file)) {}

std::string JsonNode::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

JsonNode JsonNode::at(std::string_view key) const {
  if (!value_->is_object()) fail("expected an object");
  const auto it = value_->find(std::string(key));
  if (it == value_->end()) JsonNode(*value_, child_path(key), file_).fail("missing");
  return JsonNode(*it, child_path(key), file_);
}

std::optional<JsonNode> JsonNode::find(std::string_view key) const {
  if (!value_->is_object()) fail("expected an object");
  const auto it = value_->find(std::string(key));
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return JsonNode(*it, child_path(key), file_);
}

JsonNode JsonNode::at(std::size_t index) const {
  if (!value_->is_array()) fail("expected an array");
  if (index >= value_->size()) fail("index " + std::to_string(index) + " out of range");
  return JsonNode((*value_)[index], path_ + "[" + std::to_string(index) + "]", file_);
}

std::size_t JsonNode::array_size() const {
  if (!value_->is_array()) fail("expected an array");
  return value_->size();
}

std::string JsonNode::as_string() const {
  if (!value_->is_string()) fail("expected a string");
  return value_->get<std::string>();
}

bool JsonNode::as_bool() const {
  if (!value_->is_boolean()) fail("expected true or false");
  return value_->get<bool>();
}

std::int64_t JsonNode::as_int() const {
  if (!value_->is_number_integer()) fail("expected an integer");
  return value_->get<std::int64_t>();
}

std::string JsonNode::as_char() const {
  const std::string text = as_string();
  if (text.empty() || !is_valid_utf8(text) || decode_utf8(text, 0).length != text.size()) {
    fail("expected a single character, got '" + text + "'");
  }
  return text;
}

std::string JsonNode::string_or(std::string_view key, std::string fallback) const {
  const auto member = find(key);
  return member ? member->as_string() : std::move(fallback);
}

bool JsonNode::bool_or(std::string_view key, bool fallback) const {
  const auto member = find(key);
  return member ? member->as_bool() : fallback;
}

std::int64_t JsonNode::int_or(std::string_view key, std::int64_t fallback) const {
  const auto member = find(key);
  return member ? member->as_int() : fallback;
}

void JsonNode::fail(std::string_view problem) const {
  throw CheckpointError("tokenizer file '" + *file_ + "', field '" + (path_.empty() ? "<root>" : path_) +
                        "': " + std::string(problem));
}

nlohmann::json read_json_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CheckpointError("tokenizer file '" + file + "': cannot be opened");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range
    // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    throw CheckpointError("tokenizer file '" + file + "': invalid JSON: " + e.what());
  }
}

}  // namespace specrouter::tokenizer_detail
