#pragma once
// Strict JSON parsing for checkpoint files (private: keeps nlohmann out of public headers).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace specrouter::detail {

/// Parses `text` as JSON, rejecting a key repeated within one object (the JSON spec
/// leaves that open; nlohmann would silently keep the last). Throws CheckpointError
/// "<where>: <reason>" for invalid JSON, invalid UTF-8 or a repeated key.
nlohmann::json parse_json_strict(std::string_view text, const std::string& where);

}  // namespace specrouter::detail
