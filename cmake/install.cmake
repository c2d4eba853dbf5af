# Headers, both libraries, a CMake package (find_package(dal)) and dal.pc.
# Components are the Debian packages of cmake/package.cmake: runtime (the
# shared library), dev (everything to build against it), tools (the command).
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(TARGETS dal dal_static EXPORT dalTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(EXPORT dalTargets NAMESPACE dal:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal COMPONENT dev)

configure_package_config_file(cmake/dalConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dalConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dalConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dalConfig.cmake ${PROJECT_BINARY_DIR}/dalConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal COMPONENT dev)

configure_file(cmake/dal.pc.in ${PROJECT_BINARY_DIR}/dal.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dal.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The man(3) pages of the reference manual need Doxygen: built when asked for.
option(DAL_BUILD_DOCS "Build and install the man(3) pages (Doxygen)" OFF)
if(DAL_BUILD_DOCS)
  find_program(DAL_DOXYGEN doxygen REQUIRED)
  file(GLOB_RECURSE _dal_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/*.h)
  if(DAL_DEBIAN)
    set(_dal_man_gzip 1)
  else()
    set(_dal_man_gzip 0)
  endif()
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/docs.stamp
    COMMAND ${CMAKE_COMMAND} -E env DAL_MAN_GZIP=${_dal_man_gzip}
            ${PROJECT_SOURCE_DIR}/docs/build.sh ${PROJECT_BINARY_DIR}/docs
    COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/docs.stamp
    DEPENDS ${_dal_headers} ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/Doxyfile
    COMMENT "Reference manual (Doxygen)")
  add_custom_target(dal_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/docs.stamp)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/docs/man/man3 DESTINATION ${CMAKE_INSTALL_MANDIR} COMPONENT dev)
endif()
