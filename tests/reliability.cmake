# Reliability: the crash test (SIGKILL a writer at random moments, in both durability
# modes) and the stress test (8 processes x 4 threads on overlapping sessions). Both run
# natively, not under valgrind: they fork and time many processes, which valgrind would
# slow past any sensible bound (the C tests run under valgrind and AddressSanitizer).
# Each prints its seed; WS_CRASH_SEED / WS_STRESS_SEED repeat a run, WS_CRASH_ROUNDS /
# WS_STRESS_OPS make it longer.
foreach(name crash stress)
  add_executable(reliability_${name} "${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_${name}.c")
  set_target_properties(reliability_${name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(reliability_${name} PRIVATE ${WS_WARNINGS})
  target_compile_definitions(reliability_${name} PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(reliability_${name} PRIVATE workflow_state::workflow_state Threads::Threads)
  add_test(NAME reliability/${name} COMMAND $<TARGET_FILE:reliability_${name}>
           WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  set_tests_properties(reliability/${name} PROPERTIES ENVIRONMENT "${WS_TEST_ENV}" TIMEOUT 300)
endforeach()
