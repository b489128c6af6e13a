#pragma once
/// @file
/// @brief A plugin component chosen on the command line: `--KIND NAME` and its
/// `--KIND-param KEY=VALUE` flags (`--drafter ngram --drafter-param max_ngram=4`), defined,
/// checked and created the same way for every kind `speculate` takes (drafter, verifier,
/// collaboration).

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "specrouter/engine/component_flags.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"

namespace specrouter::cli {

/// One kind of component and what the command line chose for it.
struct ComponentChoice {
  std::string kind;  ///< drafter, verifier, collaboration: the flags are --KIND and --KIND-param
  std::string name;  ///< --KIND NAME; empty: none (only where the kind is optional)
  std::vector<std::pair<std::string, std::string>> params = {};  ///< --KIND-param KEY=VALUE, in order

  /// Defines `--KIND NAME` (explained by `name_help`) and the repeatable `--KIND-param K=V`
  /// (by `param_help`; a malformed pair is refused showing `example`) on `app`.
  void add_flags(CLI::App& app, const std::string& name_help, const std::string& param_help,
                 const std::string& example);

  /// The component from `registry`, its parameters checked as a config section is
  /// (validate_component_flags()). Throws ConfigError naming the flag for an unknown name
  /// (with suggestions) or a bad parameter.
  template <class Interface>
  std::shared_ptr<Interface> create(const Registry<Interface>& registry) const {
    return registry.create(name, validated_params(entry(registry).info));
  }

 private:
  template <class Interface>
  const typename Registry<Interface>::Entry& entry(const Registry<Interface>& registry) const {
    try {
      return registry.at(name);
    } catch (const UnknownComponentError& e) {
      throw ConfigError("--" + kind + ": " + e.what());
    }
  }
  Params validated_params(const ComponentInfo& info) const;
};

}  // namespace specrouter::cli
