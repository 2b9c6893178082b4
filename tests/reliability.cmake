# Reliability: the crash test (SIGKILL a writer at random moments, in both durability
# modes) and the stress test (8 processes x 4 threads on overlapping sessions). Both run
# natively, not under valgrind: they fork and time many processes, which valgrind would
# slow past any sensible bound (the C tests run under valgrind and AddressSanitizer).
# Each prints its seed; WS_CRASH_SEED / WS_STRESS_SEED repeat a run, WS_CRASH_ROUNDS /
# WS_STRESS_OPS make it longer.
foreach(name crash stress)
  ws_c_program(reliability_${name} "${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_${name}.c")
  add_test(NAME reliability/${name} COMMAND $<TARGET_FILE:reliability_${name}>
           WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  set_tests_properties(reliability/${name} PROPERTIES ENVIRONMENT "${WS_TEST_ENV}" TIMEOUT 300)
endforeach()
