# Configures and builds dal with every optional part off, in a fresh
# directory, and fails when the configure looked for anything but the
# library's own dependencies (Criterion, libmicrohttpd, libzdb).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -DDAL_BUILD_TOOLS=OFF
          -DDAL_BUILD_EXAMPLES=OFF -DDAL_BUILD_BENCH=OFF -DDAL_BUILD_TESTS=OFF -DDAL_BUILD_FUZZ=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}")
endif()
file(READ ${WORK_DIR}/CMakeCache.txt cache)
foreach(other CRITERION MHD ZDB)
  if(cache MATCHES "${other}_FOUND" OR cache MATCHES "pkgcfg_lib_${other}_")
    message(FATAL_ERROR "the library-only configure looked for ${other}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} -j2 RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build failed:\n${out}")
endif()
file(GLOB built ${WORK_DIR}/libdal.so* ${WORK_DIR}/libdal.a)
if(NOT built)
  message(FATAL_ERROR "no library was built")
endif()
file(GLOB_RECURSE programs ${WORK_DIR}/tests/test_* ${WORK_DIR}/tools/dal ${WORK_DIR}/examples/dal_demo)
if(programs)
  message(FATAL_ERROR "built more than the library: ${programs}")
endif()
message(STATUS "library-only build: ${built}")
