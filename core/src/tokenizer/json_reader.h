#pragma once
// Reading tokenizer.json with errors that name the file and the field: every accessor
// throws CheckpointError("tokenizer file '<file>', field '<path>': <problem>").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace specrouter::tokenizer_detail {

/// A JSON value together with where it came from (file and dotted path).
class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string path, std::shared_ptr<const std::string> file);

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }

  bool is_null() const { return value_->is_null(); }
  bool is_object() const { return value_->is_object(); }
  bool is_array() const { return value_->is_array(); }
  bool is_string() const { return value_->is_string(); }

  /// The member `key`, which must exist (it may be null).
  JsonNode at(std::string_view key) const;
  /// The member `key` unless it is absent or null.
  std::optional<JsonNode> find(std::string_view key) const;
  /// Element `index` of an array.
  JsonNode at(std::size_t index) const;
  /// Number of elements of an array (error if not an array).
  std::size_t array_size() const;

  std::string as_string() const;
  bool as_bool() const;
  std::int64_t as_int() const;
  /// A one-character string (Rust `char` fields such as Metaspace.replacement), as UTF-8.
  std::string as_char() const;

  std::string string_or(std::string_view key, std::string fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;
  std::int64_t int_or(std::string_view key, std::int64_t fallback) const;

  /// Throws CheckpointError about this node.
  [[noreturn]] void fail(std::string_view problem) const;

 private:
  std::string child_path(std::string_view key) const;

  const nlohmann::json* value_;
  std::string path_;
  std::shared_ptr<const std::string> file_;
};

/// Reads and parses a JSON file; CheckpointError when it is missing, unreadable or invalid.
nlohmann::json read_json_file(const std::string& file);

}  // namespace specrouter::tokenizer_detail
