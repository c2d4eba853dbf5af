# The plain commands of the README, with no option: configure, build and
# install to a fresh prefix. They must not look for Criterion (a packager's
# machine has only unixODBC and jansson), and must give the library, the
# dal command and its man page.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}")
endif()
file(READ ${WORK_DIR}/build/CMakeCache.txt cache)
if(cache MATCHES "CRITERION_FOUND" OR cache MATCHES "pkgcfg_lib_CRITERION_")
  message(FATAL_ERROR "the plain configure looked for Criterion")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed:\n${out}")
endif()
foreach(want lib/libdal.so bin/dal share/man/man1/dal.1 include/dal.h)
  file(GLOB found ${WORK_DIR}/prefix/${want}* ${WORK_DIR}/prefix/lib/*/libdal.so*)
  if(NOT EXISTS ${WORK_DIR}/prefix/${want} AND NOT (want STREQUAL "lib/libdal.so" AND found))
    message(FATAL_ERROR "the install has no ${want}")
  endif()
endforeach()
file(GLOB_RECURSE tests ${WORK_DIR}/build/tests/test_*)
if(tests)
  message(FATAL_ERROR "the plain build built the tests: ${tests}")
endif()
message(STATUS "plain build and install: ${WORK_DIR}/prefix")
