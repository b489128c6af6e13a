# `cmake --build build --target docs`: Doxygen over the public headers; a warning fails it.
find_package(Doxygen)
if(DOXYGEN_FOUND)
  set(SPECROUTER_DOXYFILE ${CMAKE_BINARY_DIR}/Doxyfile)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${SPECROUTER_DOXYFILE} @ONLY)
  add_custom_target(docs
    COMMAND ${DOXYGEN_EXECUTABLE} ${SPECROUTER_DOXYFILE}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    COMMENT "Doxygen: public headers (warnings are errors)"
    VERBATIM)
endif()
