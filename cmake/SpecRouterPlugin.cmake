# specrouter_add_plugin(<name> KIND <drafter|verifier|scheduler|kernel|collaboration>
#                       SOURCES <files...> [TEST <files...>] [LIBS <targets...>]
#                       [CONFIGS <folder>] [TENSOR_FREE])
#
# Builds one plugin folder twice from the same sources:
#   <name>          a loadable module (lib<name>.so) in the build's plugin folder, which
#                   the loader dlopens at run time and `cmake --install` installs;
#   <name>_static   a static library for tests and debuggers, registered explicitly
#                   through specrouter_register_<name>() (no static registrars, so the
#                   linker cannot drop them).
# TEST sources become <name>_test, linked with <name>_static.
# CONFIGS names a folder of config group options (`drafter/<name>.yaml`, ...) that goes
# beside the library, in the build and when installed: the engine adds a loaded
# plugin's configs/ to the config search path, so `drafter=<name>` selects it.
# TENSOR_FREE links the plugin kit without libtorch (specrouter::plugin_kit): for a
# plugin that passes no tensor, which then builds where Torch is not found at all
# (find_package(SpecRouter COMPONENTS plugin_kit)).
# Out-of-tree plugins use the same function after find_package(SpecRouter).
function(specrouter_add_plugin name)
  cmake_parse_arguments(ARG "TENSOR_FREE" "KIND;CONFIGS" "SOURCES;TEST;LIBS" ${ARGN})
  if(NOT ARG_KIND MATCHES "^(drafter|verifier|scheduler|kernel|collaboration)$")
    message(FATAL_ERROR "specrouter_add_plugin(${name}): KIND must be drafter, verifier, scheduler, kernel or collaboration, got '${ARG_KIND}'")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "specrouter_add_plugin(${name}): the name must be a C identifier")
  endif()
  if(NOT SPECROUTER_PLUGIN_OUTPUT_DIR)
    set(SPECROUTER_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
  endif()

  if(ARG_TENSOR_FREE)
    set(_kit specrouter::plugin_kit)
  elseif(TARGET specrouter::core)
    set(_kit specrouter::core)
  else()
    message(FATAL_ERROR "specrouter_add_plugin(${name}): specrouter::core is not loaded (find_package(SpecRouter COMPONENTS plugin_kit) loads only the kit without libtorch); add TENSOR_FREE if the plugin passes no tensor, or find_package(SpecRouter) without COMPONENTS")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${_kit} ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE SPECROUTER_PLUGIN_MODULE SPECROUTER_PLUGIN_ID=${name})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${SPECROUTER_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Undefined symbols must fail at link time here, not at dlopen time in a user's run.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  target_compile_options(${name} PRIVATE -Wall -Wextra)

  add_library(${name}_static STATIC ${ARG_SOURCES})
  target_link_libraries(${name}_static PUBLIC ${_kit} ${ARG_LIBS})
  target_compile_definitions(${name}_static PRIVATE SPECROUTER_PLUGIN_ID=${name})

  if(SPECROUTER_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${SPECROUTER_PLUGIN_INSTALL_DIR})
  endif()
  if(ARG_CONFIGS)
    get_filename_component(_configs ${ARG_CONFIGS} ABSOLUTE)
    file(GLOB_RECURSE _config_files RELATIVE ${_configs} CONFIGURE_DEPENDS ${_configs}/*.yaml)
    foreach(_file IN LISTS _config_files)
      configure_file(${_configs}/${_file} ${SPECROUTER_PLUGIN_OUTPUT_DIR}/configs/${_file} COPYONLY)
    endforeach()
    if(SPECROUTER_PLUGIN_INSTALL_DIR)
      install(DIRECTORY ${_configs}/ DESTINATION ${SPECROUTER_PLUGIN_INSTALL_DIR}/configs)
    endif()
  endif()
  # The runtime target (specrouter_runtime) builds every loadable plugin.
  set_property(GLOBAL APPEND PROPERTY SPECROUTER_PLUGIN_TARGETS ${name})

  if(ARG_TEST AND COMMAND specrouter_add_test)
    specrouter_add_test(${name}_test SOURCES ${ARG_TEST} LIBS ${name}_static LABELS plugin ${ARG_KIND})
  endif()
endfunction()
