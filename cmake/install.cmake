# Headers, both libraries, a CMake package (find_package(dal)) and dal.pc.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS dal dal_static EXPORT dalTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT dalTargets NAMESPACE dal:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)

configure_package_config_file(cmake/dalConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dalConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dalConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dalConfig.cmake ${PROJECT_BINARY_DIR}/dalConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)

configure_file(cmake/dal.pc.in ${PROJECT_BINARY_DIR}/dal.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dal.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
