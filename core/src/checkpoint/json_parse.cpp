// JSON parsing that reports repeated keys instead of keeping the last one.
#include "json_parse.h"

#include <set>
#include <vector>

#include "message_text.h"
#include "specrouter/error.h"

namespace specrouter::detail {
namespace {

struct RepeatedKey {
  std::string key;
};

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, const std::string& where) {
  // One set of seen keys per open object, innermost last.
  std::vector<std::set<std::string>> open_objects;
  const nlohmann::json::parser_callback_t track_keys =
      [&open_objects](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
          open_objects.emplace_back();
        } else if (event == Event::object_end) {
          if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty()) {
          std::string key = parsed.get<std::string>();
          if (!open_objects.back().insert(key).second) throw RepeatedKey{std::move(key)};
        }
        return true;
      };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), track_keys);
  } catch (const RepeatedKey& repeated) {
    throw CheckpointError(where + ": key " + quote(repeated.key) + " appears twice in one object");
  } catch (const nlohmann::json::exception& error) {
    throw CheckpointError(where + ": not valid JSON: " + one_line(error.what()));
  }
}

}  // namespace specrouter::detail
