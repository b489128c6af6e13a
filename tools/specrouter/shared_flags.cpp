// Flags several commands define alike.
#include "shared_flags.h"

#include "command_line.h"

namespace specrouter::cli {

void add_config_flags(CLI::App& app, std::filesystem::path& dir, std::string& name, const std::string& dir_default,
                      const std::string& name_meaning) {
  app.add_option_function<std::string>(
         "--config-dir", [&dir](const std::string& given) { dir = given; },
         "config folder (default: " + dir_default + ", else the source tree's)")
      ->type_name("DIR");
  app.add_option("--config-name", name, name_meaning + " (default: " + name + ")")->type_name("NAME");
}

CLI::Option* add_plugin_path_flag(CLI::App& app, std::vector<std::filesystem::path>& folders,
                                  const std::string& description) {
  return add_repeatable(
             app, "--plugin-path", [&folders](const std::string& dir) { folders.emplace_back(dir); }, description)
      ->type_name("DIR");
}

}  // namespace specrouter::cli
