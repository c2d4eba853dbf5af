# -Wall -Wextra always; warnings are errors when CI is set (or DAL_WERROR=ON).
if(DEFINED ENV{CI})
  set(_dal_werror_default ON)
else()
  set(_dal_werror_default OFF)
endif()
option(DAL_WERROR "Treat warnings as errors" ${_dal_werror_default})

function(dal_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
                         -Wno-unused-parameter)
  if(DAL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
