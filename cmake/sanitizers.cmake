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
