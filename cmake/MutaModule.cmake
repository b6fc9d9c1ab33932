# muta_glob(OUT DIR PATTERN [EXCLUDE SUBDIR...]): files under DIR matching PATTERN, less those
# in DIR's SUBDIRs (e.g. xr/sim, a separate library). Globbed with CONFIGURE_DEPENDS so adding a
# file needs no edit here.
function(muta_glob out dir pattern)
  cmake_parse_arguments(ARG "" "" "EXCLUDE" ${ARGN})
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${dir}/${pattern})
  set(kept)
  foreach(file IN LISTS all)
    set(keep TRUE)
    foreach(sub IN LISTS ARG_EXCLUDE)
      string(FIND "${file}" "${dir}/${sub}/" at)
      if(at EQUAL 0)
        set(keep FALSE)
      endif()
    endforeach()
    if(keep)
      list(APPEND kept ${file})
    endif()
  endforeach()
  set(${out} ${kept} PARENT_SCOPE)
endfunction()

# muta_module_sources(OUT DIR [EXCLUDE SUBDIR...]): every .cpp under DIR that is not a test
# (*_test.cpp) or a fuzz target (*_fuzz.cpp).
function(muta_module_sources out dir)
  muta_glob(all ${dir} *.cpp ${ARGN})
  list(FILTER all EXCLUDE REGEX "_(test|fuzz)\\.cpp$")
  set(${out} ${all} PARENT_SCOPE)
endfunction()

# muta_module_tests(MODULE DIR LIBS... [EXCLUDE SUBDIR...]): one Catch2 executable MODULE_tests
# from DIR's *_test.cpp files; each TEST_CASE becomes a CTest test labelled by its Catch tags
# ([unit], [gl], [xr], [e2e], [real], [slow]).
function(muta_module_tests module dir)
  if(NOT MUTA_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "EXCLUDE" ${ARGN})
  muta_glob(tests ${dir} *_test.cpp EXCLUDE ${ARG_EXCLUDE})
  if(NOT tests)
    return()
  endif()
  add_executable(${module}_tests ${tests})
  target_link_libraries(${module}_tests PRIVATE ${ARG_UNPARSED_ARGUMENTS} muta_test_main)
  muta_set_warnings(${module}_tests)
  muta_discover_tests(${module}_tests)
endfunction()

# Registers the test cases of a Catch2 executable with CTest; a test's Catch tags become its
# CTest labels (unit if it has none of the known ones).
# A test whose name CTest cannot pass back to Catch intact (a ';' splits a CMake list, so the
# name arrives cut short) would match no test case and pass without running: --warn NoTests
# makes a run that matches nothing fail.
set(MUTA_CATCH_ARGS --warn NoTests)
function(muta_discover_tests target)
  foreach(label unit e2e gl xr real slow)
    # [slow] wins: a [real][slow] test is registered (and labelled) slow only, so `-LE slow`
    # leaves it out.
    if(label STREQUAL "slow")
      set(spec "[slow]")
    else()
      set(spec "[${label}]~[slow]")
    endif()
    catch_discover_tests(${target}
      TEST_SPEC "${spec}"
      TEST_PREFIX "${target}:"
      PROPERTIES LABELS ${label}
      WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
      DISCOVERY_TIMEOUT 60
      EXTRA_ARGS ${MUTA_CATCH_ARGS})
  endforeach()
  # A test with none of the known tags still runs, labelled "untagged".
  catch_discover_tests(${target}
    TEST_SPEC "~[unit]~[e2e]~[gl]~[xr]~[real]~[slow]"
    TEST_PREFIX "${target}:"
    PROPERTIES LABELS untagged
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    DISCOVERY_TIMEOUT 60
    EXTRA_ARGS ${MUTA_CATCH_ARGS})
endfunction()

# muta_fuzz_target(NAME SOURCE LIBS...): a libFuzzer executable, only with -DMUTA_FUZZ=ON.
function(muta_fuzz_target name source)
  if(NOT MUTA_FUZZ)
    return()
  endif()
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

# muta_add_module(NAME [DEPENDS public deps...] [PRIVATE private deps...] [EXCLUDE SUBDIR...]):
# the library muta_NAME (alias muta::NAME) from the calling folder's sources (less the EXCLUDE
# subfolders), with its *_test.cpp tests.
# A module with no sources yet is an INTERFACE target, so the dependency graph is in place.
function(muta_add_module name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;PRIVATE;EXCLUDE" ${ARGN})
  muta_module_sources(srcs ${CMAKE_CURRENT_SOURCE_DIR} EXCLUDE ${ARG_EXCLUDE})
  if(srcs)
    add_library(muta_${name} STATIC ${srcs})
    target_link_libraries(muta_${name} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE})
    muta_set_warnings(muta_${name})
    muta_module_tests(${name} ${CMAKE_CURRENT_SOURCE_DIR} muta_${name} EXCLUDE ${ARG_EXCLUDE})
  else()
    add_library(muta_${name} INTERFACE)
    target_link_libraries(muta_${name} INTERFACE ${ARG_DEPENDS})
  endif()
  add_library(muta::${name} ALIAS muta_${name})
endfunction()
