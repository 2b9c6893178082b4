# The C tests and the C examples again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (plus LeakSanitizer, which ASan runs at exit) and run
# natively. Valgrind (tests/CMakeLists.txt) sees the library's own code; the sanitizers
# see the C side precisely: an overflow of a buffer the library returned, a use after
# ws_string_free, undefined arithmetic in a test or example. The library is the release
# build every other test uses; its allocations go through malloc, so LeakSanitizer sees
# a string the caller never freed, and one the library leaked, alike.
option(WS_SANITIZERS "Also run the C tests and examples built with ASan and UBSan" ON)
if(NOT WS_SANITIZERS)
  return()
endif()

set(WS_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
# Any report fails the test: ASan and UBSan stop the program with a non-zero status.
set(WS_SANITIZER_ENV
    "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=98:strict_string_checks=1:detect_stack_use_after_return=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
    "LSAN_OPTIONS=exitcode=97"
    "${WS_TEST_ENV}")

# A directory of their own: the tests name their files relative to it, and the valgrind
# runs of the same programs may run at the same time.
set(ws_asan_dir "${CMAKE_CURRENT_BINARY_DIR}/asan")
file(MAKE_DIRECTORY "${ws_asan_dir}/examples")
foreach(source ${WS_C_TESTS})
  get_filename_component(name "${source}" NAME_WE)
  ws_c_program(asan_${name} "${source}" ${WS_SANITIZE})
  add_test(NAME asan/${name} COMMAND $<TARGET_FILE:asan_${name}> WORKING_DIRECTORY "${ws_asan_dir}")
  set_tests_properties(asan/${name} PROPERTIES ENVIRONMENT "${WS_SANITIZER_ENV}" TIMEOUT 600)
endforeach()

foreach(example ${WS_C_EXAMPLES})
  ws_c_program(asan_${example} "${CMAKE_SOURCE_DIR}/examples/c/${example}.c" ${WS_SANITIZE})
  ws_example_test(asan/examples/${example} "${ws_asan_dir}/examples/${example}.db" $<TARGET_FILE:asan_${example}>)
  set_tests_properties(asan/examples/${example} PROPERTIES ENVIRONMENT "${WS_SANITIZER_ENV}")
endforeach()
