# pando_add_mpi_test(<target> SOURCES ... [LIBS ...] [RANKS 1 2 3 4] [TIMEOUT seconds]
#                    [LABELS label...])
#
# Builds a GoogleTest binary with Pando's MPI test main (tests/support) and registers one CTest
# entry per rank count, `<target>.np<N>`, run through jobscripts/pando-run (mpirun here, srun
# inside a Slurm allocation). A failure on any rank fails the entry and says which rank failed
# and why; a hang is stopped by the test main's watchdog shortly before CTest's TIMEOUT, with a
# message naming the test that hung. LABELS adds CTest labels to the entries: `heavy` marks tests
# too slow for the regular suite on a small machine; the test presets leave them out, and
# `ctest --preset heavy` runs them.
set(PANDO_RUN ${PROJECT_SOURCE_DIR}/jobscripts/pando-run)

function(pando_add_mpi_test target)
  cmake_parse_arguments(arg "" "TIMEOUT" "SOURCES;LIBS;RANKS;LABELS" ${ARGN})
  if(NOT arg_RANKS)
    set(arg_RANKS 1 2 3 4)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 240)
  endif()
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE pando_test_main ${arg_LIBS} pando_warnings)
  # `library_tests` builds every library test binary (what the asan run needs, without the apps).
  if(NOT TARGET library_tests)
    add_custom_target(library_tests)
  endif()
  add_dependencies(library_tests ${target})
  math(EXPR watchdog "${arg_TIMEOUT} - 10")
  foreach(n IN LISTS arg_RANKS)
    add_test(NAME ${target}.np${n} COMMAND ${PANDO_RUN} -n ${n} $<TARGET_FILE:${target}>)
    set(labels mpi np${n} ${arg_LABELS})
    set(cpus ${n})
    if(cpus GREATER 2)
      set(cpus 2)
    endif()
    set_tests_properties(${target}.np${n} PROPERTIES
      TIMEOUT ${arg_TIMEOUT}
      PROCESSORS ${cpus}
      LABELS "${labels}"
      ENVIRONMENT "PANDO_TEST_TIMEOUT=${watchdog};GTEST_COLOR=no")
  endforeach()
endfunction()
