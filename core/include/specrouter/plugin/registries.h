#pragma once

/// @file
/// @brief The five component registries, and the registrar plugins register through.

#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "specrouter/collaboration.h"
#include "specrouter/drafter.h"
#include "specrouter/kernel.h"
#include "specrouter/plugin/registry.h"
#include "specrouter/scheduler.h"
#include "specrouter/verifier.h"

namespace specrouter {

/// One registry per component kind.
struct Registries {
  Registry<Drafter> drafters{"drafter"};      ///< bottom-level proposers
  Registry<Verifier> verifiers{"verifier"};   ///< acceptance rules
  Registry<Scheduler> schedulers{"scheduler"};  ///< plan choosers
  Registry<Kernel> kernels{"kernel"};         ///< operation implementations, "<op>/<impl>"
  Registry<Collaboration> collaborations{"collaboration"};  ///< how a chain's levels draft and verify in a step

  /// Every registered component of every kind, sorted by kind then name.
  std::vector<const ComponentInfo*> all() const;
  /// Component information by kind ("drafter", ...) and name, or nullptr.
  const ComponentInfo* find(const std::string& kind, const std::string& name) const;
};

/// Maps an interface to its kind name and registry.
template <class Interface>
struct ComponentKind;
/// @cond
template <> struct ComponentKind<Drafter> { static constexpr const char* name = "drafter"; static Registry<Drafter>& of(Registries& r) { return r.drafters; } };
template <> struct ComponentKind<Verifier> { static constexpr const char* name = "verifier"; static Registry<Verifier>& of(Registries& r) { return r.verifiers; } };
template <> struct ComponentKind<Scheduler> { static constexpr const char* name = "scheduler"; static Registry<Scheduler>& of(Registries& r) { return r.schedulers; } };
template <> struct ComponentKind<Kernel> { static constexpr const char* name = "kernel"; static Registry<Kernel>& of(Registries& r) { return r.kernels; } };
template <> struct ComponentKind<Collaboration> { static constexpr const char* name = "collaboration"; static Registry<Collaboration>& of(Registries& r) { return r.collaborations; } };
/// @endcond

/// What a component declares when it registers.
struct ComponentDecl {
  std::string name;               ///< registry key (kernels: "<op>/<impl>")
  std::string description;        ///< one line
  std::vector<ParamSpec> params;  ///< declared parameters with defaults and docs
};

/// Collects a plugin's registrations and adds them all at once, so a plugin that fails
/// half-way (or clashes with a registered name) leaves the registries untouched.
class PluginRegistrar {
 public:
  /// `library` is the shared library being registered (empty when statically linked).
  explicit PluginRegistrar(std::string library = {});
  ~PluginRegistrar();
  PluginRegistrar(const PluginRegistrar&) = delete;
  PluginRegistrar& operator=(const PluginRegistrar&) = delete;

  /// Stages a component of interface `Interface` (Drafter, Verifier, Scheduler, Kernel,
  /// Collaboration).
  template <class Interface, class Factory>
  void add(ComponentDecl decl, Factory factory,
           std::source_location where = std::source_location::current()) {
    typename Registry<Interface>::Entry entry;
    entry.info = info_for(ComponentKind<Interface>::name, std::move(decl), where);
    entry.factory = typename Registry<Interface>::Factory(std::move(factory));
    const std::string name = entry.info.name;  // read before `entry` moves into the stager
    stage([entry = std::move(entry)](Registries& registries, std::shared_ptr<void> handle) mutable {
      entry.library_handle = std::move(handle);
      ComponentKind<Interface>::of(registries).add(std::move(entry));
    }, ComponentKind<Interface>::name, name);
  }

  /// Adds every staged component to `registries`, keeping `library_handle` alive in each
  /// entry. Throws PluginError, adding nothing, when any name is already registered or
  /// appears twice in this plugin.
  void commit(Registries& registries, std::shared_ptr<void> library_handle = nullptr);

  /// Number of staged components.
  std::size_t size() const;

 private:
  using Stager = std::function<void(Registries&, std::shared_ptr<void>)>;
  ComponentInfo info_for(const char* kind, ComponentDecl decl, const std::source_location& where) const;
  void stage(Stager stager, const char* kind, const std::string& name);

  struct Staged;
  std::string library_;
  std::vector<std::unique_ptr<Staged>> staged_;
};

}  // namespace specrouter
