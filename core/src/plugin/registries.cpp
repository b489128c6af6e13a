// Registries and the staging registrar plugins register through.
#include "specrouter/plugin/registries.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace specrouter {

std::vector<const ComponentInfo*> Registries::all() const {
  std::vector<const ComponentInfo*> out;
  auto collect = [&out](const auto& registry) {
    for (const auto* entry : registry.entries()) out.push_back(&entry->info);
  };
  collect(collaborations);
  collect(drafters);
  collect(kernels);
  collect(schedulers);
  collect(verifiers);
  return out;
}

const ComponentInfo* Registries::find(const std::string& kind, const std::string& name) const {
  auto lookup = [&name](const auto& registry) -> const ComponentInfo* {
    const auto* entry = registry.find(name);
    return entry ? &entry->info : nullptr;
  };
  if (kind == "drafter") return lookup(drafters);
  if (kind == "verifier") return lookup(verifiers);
  if (kind == "scheduler") return lookup(schedulers);
  if (kind == "kernel") return lookup(kernels);
  if (kind == "collaboration") return lookup(collaborations);
  return nullptr;
}

struct PluginRegistrar::Staged {
  Stager stager;
  std::string kind;
  std::string name;
};

PluginRegistrar::PluginRegistrar(std::string library) : library_(std::move(library)) {}
PluginRegistrar::~PluginRegistrar() = default;

std::size_t PluginRegistrar::size() const { return staged_.size(); }

ComponentInfo PluginRegistrar::info_for(const char* kind, ComponentDecl decl,
                                        const std::source_location& where) const {
  if (decl.name.empty()) throw PluginError(std::string(kind) + " registered with an empty name");
  std::set<std::string> seen;
  for (const ParamSpec& spec : decl.params) {
    if (!seen.insert(spec.name).second) {
      throw PluginError(std::string(kind) + " '" + decl.name + "' declares parameter '" + spec.name +
                        "' twice");
    }
    if (spec.name == "plugin") {
      throw PluginError(std::string(kind) + " '" + decl.name +
                        "' declares a parameter named 'plugin', which the config reserves");
    }
  }
  ComponentInfo info;
  info.kind = kind;
  info.name = std::move(decl.name);
  info.description = std::move(decl.description);
  info.params = std::move(decl.params);
  info.source_file = where.file_name();
  info.library = library_;
  return info;
}

void PluginRegistrar::stage(Stager stager, const char* kind, const std::string& name) {
  staged_.push_back(std::make_unique<Staged>(Staged{std::move(stager), kind, name}));
}

void PluginRegistrar::commit(Registries& registries, std::shared_ptr<void> library_handle) {
  const std::string origin = library_.empty() ? std::string("the executable") : library_;
  // Check every name before adding any, so a refused plugin registers nothing.
  std::set<std::pair<std::string, std::string>> names;
  for (const auto& staged : staged_) {
    if (!names.insert({staged->kind, staged->name}).second) {
      throw PluginError("duplicate " + staged->kind + " name '" + staged->name + "' registered twice by " +
                        origin);
    }
    if (const ComponentInfo* existing = registries.find(staged->kind, staged->name)) {
      const std::string previous = existing->library.empty() ? "the executable" : existing->library;
      throw PluginError("duplicate " + staged->kind + " name '" + staged->name + "' from " + origin +
                        " (already registered by " + previous + ")");
    }
  }
  for (auto& staged : staged_) staged->stager(registries, library_handle);
  staged_.clear();
}

}  // namespace specrouter
