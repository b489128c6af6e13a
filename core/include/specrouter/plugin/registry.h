#pragma once

/// @file
/// @brief A registry of one component kind: name -> (description, parameters, factory).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/params.h"

namespace specrouter {

/// What `specrouter plugins` shows about a registered component.
struct ComponentInfo {
  std::string kind;               ///< "drafter", "verifier", "scheduler" or "kernel"
  std::string name;               ///< registry key, unique within the kind
  std::string description;        ///< one line
  std::vector<ParamSpec> params;  ///< declared parameters, in declaration order
  std::string source_file;        ///< source file that registered it
  std::string library;            ///< shared library it came from; empty when linked in
};

/// Returns the names in `candidates` closest to `name` by edit distance, best first
/// (at most `limit`, only reasonably close ones). Used for "did you mean" hints.
std::vector<std::string> nearest_names(const std::string& name, const std::vector<std::string>& candidates,
                                       std::size_t limit = 3);

/// Registry of one component kind. Names are unique: adding a name twice is an error,
/// never a silent replacement.
template <class Interface>
class Registry {
 public:
  /// Builds a component from its validated parameters.
  using Factory = std::function<std::unique_ptr<Interface>(const Params&)>;

  /// One registered component.
  struct Entry {
    /// Keeps the plugin loaded while needed. Declared first, so destroyed last: `factory`
    /// is plugin code and must be destroyed while the library is still mapped.
    std::shared_ptr<void> library_handle;
    ComponentInfo info;                     ///< name, description, parameters, origin
    Factory factory;                        ///< makes an instance
  };

  /// An empty registry for components of `kind` ("drafter", ...).
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  /// The kind this registry holds.
  const std::string& kind() const { return kind_; }

  /// Adds an entry; throws PluginError when the name is taken.
  void add(Entry entry) {
    auto [it, inserted] = entries_.try_emplace(entry.info.name, std::move(entry));
    if (!inserted) {
      throw PluginError(duplicate_message(it->second.info, entry.info));
    }
  }

  /// The entry called `name`, or nullptr.
  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  /// The entry called `name`; throws UnknownComponentError listing the nearest names.
  const Entry& at(const std::string& name) const {
    if (const Entry* entry = find(name)) return *entry;
    throw UnknownComponentError(unknown_message(name));
  }

  /// Makes an instance. The returned pointer keeps the plugin's library loaded, so the
  /// object may outlive the registry and the loader.
  std::shared_ptr<Interface> create(const std::string& name, const Params& params) const {
    const Entry& entry = at(name);
    std::unique_ptr<Interface> object = entry.factory(params);
    if (!object) throw PluginError(kind_ + " '" + name + "': factory returned null");
    return std::shared_ptr<Interface>(object.release(),
                                      [keep = entry.library_handle](Interface* p) { delete p; });
  }

  /// Every registered name, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }

  /// Every entry, sorted by name.
  std::vector<const Entry*> entries() const {
    std::vector<const Entry*> out;
    for (const auto& [name, entry] : entries_) out.push_back(&entry);
    return out;
  }

 private:
  static std::string duplicate_message(const ComponentInfo& existing, const ComponentInfo& incoming) {
    auto where = [](const ComponentInfo& info) {
      return info.library.empty() ? std::string("the executable") : info.library;
    };
    return "duplicate " + incoming.kind + " name '" + incoming.name + "' from " + where(incoming) +
           " (already registered by " + where(existing) + ")";
  }

  std::string unknown_message(const std::string& name) const {
    std::string message = "unknown " + kind_ + " '" + name + "'";
    std::vector<std::string> near = nearest_names(name, names());
    if (!near.empty()) {
      message += "; did you mean";
      for (std::size_t i = 0; i < near.size(); ++i) message += (i ? ", '" : " '") + near[i] + "'";
      message += "?";
    }
    message += " (registered: ";
    std::vector<std::string> all = names();
    for (std::size_t i = 0; i < all.size(); ++i) message += (i ? ", " : "") + all[i];
    message += all.empty() ? "none)" : ")";
    return message;
  }

  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace specrouter
