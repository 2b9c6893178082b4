# Reliability: the crash test (SIGKILL a writer at random moments, in both durability
# modes), the stress test (8 processes x 4 threads on overlapping sessions) and the
# lost-update test (4 processes x 2 threads doing optimistic read-modify-write cycles with
# ws_get_session + ws_apply's expect_revision, in both durability modes). All run
# natively, not under valgrind: they fork and time many processes, which valgrind would
# slow past any sensible bound (the C tests run under valgrind and AddressSanitizer).
# The crash and stress tests print their seed; WS_CRASH_SEED / WS_STRESS_SEED repeat a
# run; WS_CRASH_ROUNDS / WS_STRESS_OPS / WS_LOST_UPDATE_CYCLES make a run longer.
foreach(name crash stress lost_update)
  ws_c_program(reliability_${name} "${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_${name}.c")
  add_test(NAME reliability/${name} COMMAND $<TARGET_FILE:reliability_${name}>
           WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  set_tests_properties(reliability/${name} PROPERTIES ENVIRONMENT "${WS_TEST_ENV}" TIMEOUT 300)
endforeach()
