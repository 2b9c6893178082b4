# The C++ API (include/workflow_state.hpp): its tests and its example, C++17 with
# warnings as errors, run under valgrind like the C tests. Included by tests/CMakeLists.txt.

# Every tests/cpp/test_*.cpp but test_header.cpp (the C header from C++, registered in
# tests/CMakeLists.txt) is one test program.
file(GLOB WS_CPP_TESTS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_*.cpp")
list(FILTER WS_CPP_TESTS EXCLUDE REGEX "/test_header\\.cpp$")

function(ws_cpp_target name source)
  add_executable(${name} "${source}")
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE ${WS_WARNINGS})
  target_link_libraries(${name} PRIVATE workflow_state::workflow_state Threads::Threads)
endfunction()

foreach(source ${WS_CPP_TESTS})
  get_filename_component(name "${source}" NAME_WE)
  ws_cpp_target(${name}_cpp "${source}")
  set(memcheck ${WS_MEMCHECK})
  if(WS_MEMCHECK AND name STREQUAL "test_alloc_failure")
    # It replaces operator new to make it fail on demand: valgrind must not replace it.
    list(APPEND memcheck --soname-synonyms=somalloc=nouserintercepts)
  endif()
  add_test(NAME cpp/${name} COMMAND ${memcheck} $<TARGET_FILE:${name}_cpp>
           WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  set_tests_properties(cpp/${name} PROPERTIES ENVIRONMENT "${WS_TEST_ENV}" TIMEOUT 600)
endforeach()

# The example, on a fresh database under the build directory, as the C examples (built
# here unless the top-level CMakeLists.txt already builds it for the demo).
if(NOT TARGET cpp_quickstart)
  ws_cpp_target(cpp_quickstart "${CMAKE_SOURCE_DIR}/examples/cpp/quickstart.cpp")
endif()
ws_example_test(examples/cpp_quickstart "${CMAKE_CURRENT_BINARY_DIR}/examples/cpp_quickstart.db"
                ${WS_MEMCHECK} $<TARGET_FILE:cpp_quickstart>)

# The build above uses CMake's C++ compiler (g++ on Debian); the header and its users
# must compile clean with clang++ too, which only checks their syntax (no second build).
find_program(WS_CLANGXX NAMES clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14)
if(NOT WS_CLANGXX)
  message(FATAL_ERROR "clang++ not found: install clang (apt-get install clang); the C++ "
                      "header is checked with both g++ and clang++")
endif()
file(GLOB WS_CPP_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/cpp/*.cpp"
     "${CMAKE_SOURCE_DIR}/examples/cpp/*.cpp")
list(JOIN WS_WARNINGS " " ws_warning_flags)
add_test(NAME cpp/clang_syntax
         COMMAND sh -c "for f; do \"${WS_CLANGXX}\" -std=c++17 -fsyntax-only ${ws_warning_flags} -I \"${CMAKE_SOURCE_DIR}/include\" \"$f\" || exit 1; done" sh ${WS_CPP_SOURCES})
