# specrouter_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>] [TIMEOUT <s>])
#
# One GoogleTest executable, linked to the engine, the core and gtest_main, registered as one CTest
# test (every process pays libtorch's load time, so one process per executable rather
# than per test case; gtest's own output still lists every case). Tests find the source tree, the build tree, the plugin folder
# and the project's Python through compile definitions, never through the working
# directory.
find_package(GTest REQUIRED)

function(specrouter_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE specrouter::engine specrouter::core GTest::gtest GTest::gmock GTest::gtest_main ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE
    SPECROUTER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SPECROUTER_BINARY_DIR="${PROJECT_BINARY_DIR}"
    SPECROUTER_TEST_PLUGIN_DIR="${SPECROUTER_PLUGIN_OUTPUT_DIR}"
    SPECROUTER_PYTHON="${SPECROUTER_PYTHON}")
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
