# cmake --install: the core library, its public headers, the plugins, the CLI, the
# conformance kit (when tests are built), and a package config so an out-of-tree plugin
# builds and tests with find_package(SpecRouter).
include(CMakePackageConfigHelpers)
install(TARGETS specrouter_core EXPORT SpecRouterTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/specrouter DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/core/include/specrouter/build_info.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/specrouter)
install(EXPORT SpecRouterTargets NAMESPACE specrouter::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/SpecRouter)
# The plugin kit without libtorch has an export set of its own, so that
# find_package(SpecRouter COMPONENTS plugin_kit) loads no target that needs Torch.
install(TARGETS specrouter_plugin_kit EXPORT SpecRouterPluginKitTargets)
install(EXPORT SpecRouterPluginKitTargets NAMESPACE specrouter::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/SpecRouter)
# The conformance kit links GoogleTest, so it has an export set of its own: the package
# config loads it only where GoogleTest is found, and plugins without tests never need it.
if(TARGET specrouter_conformance)
  install(TARGETS specrouter_conformance EXPORT SpecRouterConformanceTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/testing/include/specrouter/conformance
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/specrouter)
  install(EXPORT SpecRouterConformanceTargets NAMESPACE specrouter::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/SpecRouter)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SpecRouterConfig.cmake.in
  ${PROJECT_BINARY_DIR}/SpecRouterConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/SpecRouter)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/SpecRouterConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/SpecRouterConfig.cmake
  ${PROJECT_BINARY_DIR}/SpecRouterConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/SpecRouterPlugin.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/SpecRouter)
