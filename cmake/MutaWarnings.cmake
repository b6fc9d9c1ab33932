# Warnings for Muta's own targets (never applied to dependencies).
function(muta_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(MUTA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
