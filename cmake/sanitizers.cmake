# DAL_SANITIZE=address (ASan + UBSan) or thread (TSan): applies to everything
# built in this tree, library and tests alike.
set(DAL_SANITIZE "" CACHE STRING "Sanitizer build: '', 'address' (ASan+UBSan) or 'thread'")
if(DAL_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(DAL_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT DAL_SANITIZE STREQUAL "")
  message(FATAL_ERROR "DAL_SANITIZE must be '', 'address' or 'thread'")
endif()

# DAL_FUZZ=ON (clang): coverage for libFuzzer plus ASan+UBSan everywhere.
option(DAL_FUZZ "Build the fuzz targets as libFuzzer programs (needs clang)" OFF)
if(DAL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# DAL_CHECKED_ARRAYS: every bound row array in a heap block of its own and
# of its exact size (src/block.c), so that ASan and valgrind see a write
# past one; the production build keeps one arena per result. On in the
# sanitizer builds; scripts/test's valgrind stage builds with it too.
if(DAL_SANITIZE STREQUAL "" AND NOT DAL_FUZZ)
  set(_dal_checked OFF)
else()
  set(_dal_checked ON)
endif()
option(DAL_CHECKED_ARRAYS "Row arrays apart, exact size (for ASan and valgrind)" ${_dal_checked})
if(DAL_CHECKED_ARRAYS)
  add_compile_definitions(DAL_CHECKED_ARRAYS)
endif()
