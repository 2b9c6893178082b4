# Fuzzing the C API (fuzz/): a libFuzzer target built on stable Rust with coverage
# instrumentation, in its own cargo workspace and target directory
# (${WS_CARGO_TARGET_DIR}/fuzz), so that neither build rebuilds the other. The suite runs
# a bounded session from the committed seeds, a fixed number of inputs with a fixed
# random seed; `fuzz/run.sh SECONDS` fuzzes for longer.
set(WS_FUZZ_RUNS 17000 CACHE STRING "How many inputs the fuzz/api test runs")
set(WS_FUZZ "${CMAKE_COMMAND}" -E env "CARGO=${CARGO}" "FUZZ_TARGET_DIR=${WS_CARGO_TARGET_DIR}/fuzz"
    bash "${CMAKE_SOURCE_DIR}/fuzz/run.sh")

add_custom_target(fuzz_build ALL
  COMMAND ${WS_FUZZ} --build
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
  COMMENT "Building the fuzz target (fuzz/)"
  USES_TERMINAL)

# run.sh builds first (a no-op after fuzz_build), then fails on any crash, panic, broken
# contract or leak, leaving the input in ${WS_CARGO_TARGET_DIR}/fuzz/artifacts.
add_test(NAME fuzz/api COMMAND ${WS_FUZZ} --runs ${WS_FUZZ_RUNS} WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
set_tests_properties(fuzz/api PROPERTIES TIMEOUT 600)
