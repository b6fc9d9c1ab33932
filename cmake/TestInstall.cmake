# ctest script: `cmake --install` into a scratch prefix works, and the installed muta finds its
# assets in PREFIX/share/muta (relative to the executable, from another working directory).
# Inputs: -DBUILD_DIR=... -DPREFIX=...
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
execute_process(COMMAND "${PREFIX}/bin/muta" info --json
  WORKING_DIRECTORY "/"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed muta info failed (${rc}): ${out}")
endif()
string(JSON asset_dir ERROR_VARIABLE err GET "${out}" asset_dir)
if(err OR NOT asset_dir STREQUAL "${PREFIX}/share/muta")
  message(FATAL_ERROR "installed muta looks for assets in '${asset_dir}' (${err}), expected ${PREFIX}/share/muta")
endif()
file(REMOVE_RECURSE "${PREFIX}")
