// `--KIND NAME` and `--KIND-param KEY=VALUE`, for every kind of component alike.
#include "component_choice.h"

#include "command_line.h"
#include "flag_values.h"

namespace specrouter::cli {

void ComponentChoice::add_flags(CLI::App& app, const std::string& name_help, const std::string& param_help,
                                const std::string& example) {
  app.add_option("--" + kind, name, name_help)->type_name("NAME");
  add_repeatable(
      app, "--" + kind + "-param", [this](const std::string& pair) { params.push_back(split_key_value(pair)); },
      param_help)
      ->type_name("K=V")
      ->check(key_value(example));
}

Params ComponentChoice::validated_params(const ComponentInfo& info) const {
  return engine::validate_component_flags({kind, name, "--" + kind, "--" + kind + "-param", "", params}, info);
}

}  // namespace specrouter::cli
