#pragma once
// Exact-format JSON string writing, for output that must match other writers byte for
// byte (private to the checkpoint module).

#include <string>
#include <string_view>

namespace specrouter::detail {

/// Appends `text` as a JSON string the way Rust's serde_json writes it: `"` and `\`
/// escaped, `\b \f \n \r \t`, other control characters as `\u00xx`, everything else
/// (DEL and non-ASCII included) as is. `text` must be valid UTF-8.
void append_serde_json_string(std::string& out, std::string_view text);

/// Appends `text` as a JSON string the way Python's `json.dumps` writes it by default
/// (`ensure_ascii=True`): like serde_json for ASCII controls, but DEL and every non-ASCII
/// code point as `\uxxxx` (surrogate pairs above U+FFFF). `text` must be valid UTF-8.
void append_python_json_string(std::string& out, std::string_view text);

}  // namespace specrouter::detail
