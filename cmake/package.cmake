# Debian packages (scripts/package runs cpack -G DEB):
#   libdal<soname>  the shared library (libdal0.1 for libdal.so.0.1: Debian
#                   names a library package after its soname, so two
#                   ABI-incompatible 0.x releases can be installed side by side)
#   libdal-dev      headers, static library, pkg-config, CMake package, man(3)
#   dal-tools       the dal command and dal(1)
set(CPACK_PACKAGE_NAME dal)
set(CPACK_PACKAGE_VENDOR "the dal authors")
set(CPACK_PACKAGE_CONTACT "dal maintainers <dal@dal-project.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENTS_ALL runtime dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The command links the library of this build, not an installed one; its
# dependency on libdal is the component dependency below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://dal-project.org/")
set(_dal_runtime_package libdal${DAL_SOVERSION})

# Each description: the synopsis line, then the text (CPack indents it).
set(_dal_long_description
  "dal maps a database URL (sqlite://, postgresql://, mariadb://, odbc://) to\nan ODBC connection, keeps a bounded, health-checked pool, hands sessions to\nper-request scopes, reads and writes JSON through jansson and reports every\nfailure as a structured error.")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${_dal_runtime_package})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# A patch release keeps the ABI: programs built against 0.1.0 run on 0.1.x.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# Debian runs ldconfig through a trigger, not a maintainer script; naming
# postinst and postrm (files that do not exist) stops CPack writing its own.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/debian/triggers
  ${CMAKE_CURRENT_LIST_DIR}/debian/no-such/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/no-such/postrm)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "data access layer over ODBC for C programs - shared library\n${_dal_long_description}\n\nThis package holds the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdal-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
# The headers include jansson.h; the static library and the CMake package
# need unixODBC's development files.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libjansson-dev, unixodbc-dev, pkg-config")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "data access layer over ODBC for C programs - development files\n${_dal_long_description}\n\nThis package holds the headers, the static library, the pkg-config and\nCMake files, and the reference manual as man(3) pages.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME dal-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION database)
set(CPACK_COMPONENT_TOOLS_DEPENDS runtime)
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
  "data access layer over ODBC for C programs - command-line tool\n${_dal_long_description}\n\nThis package holds the dal command: ping, query, explain and migrate.")

# Debian's per-package copyright and changelog; only the packaging build
# (DAL_DEBIAN=ON) installs them.
if(DAL_DEBIAN)
  find_program(DAL_GZIP gzip REQUIRED)
  if(DEFINED ENV{SOURCE_DATE_EPOCH})
    set(_dal_epoch $ENV{SOURCE_DATE_EPOCH})
  else()
    string(TIMESTAMP _dal_epoch "%s" UTC)
  endif()
  foreach(component runtime dev tools)
    string(TOUPPER ${component} _up)
    set(_pkg ${CPACK_DEBIAN_${_up}_PACKAGE_NAME})
    set(_dir ${PROJECT_BINARY_DIR}/debian/${_pkg})
    execute_process(COMMAND date -u -R -d @${_dal_epoch} OUTPUT_VARIABLE _date OUTPUT_STRIP_TRAILING_WHITESPACE)
    file(WRITE ${_dir}/changelog
      "${_pkg} (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
      "  * Built from dal's source tree by scripts/package.\n\n"
      " -- ${CPACK_PACKAGE_CONTACT}  ${_date}\n")
    execute_process(COMMAND ${DAL_GZIP} -n -9 -f ${_dir}/changelog)
    install(FILES ${_dir}/changelog.gz ${PROJECT_SOURCE_DIR}/cmake/debian/copyright
      DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_pkg} COMPONENT ${component})
  endforeach()
endif()

include(CPack)
