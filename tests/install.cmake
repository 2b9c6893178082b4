# Installing and consuming (tests/install): `cmake --install` into a prefix under the build
# directory, the installed tree's layout, soname and lack of debug information, an
# out-of-tree program built with find_package (shared and static) and with pkg-config,
# and the Swift module map through clang -fmodules. Every consumer must load the
# installed copy, never the build tree's. Without an install: the README's plain-compiler
# lines after `cargo build --release` alone, and add_subdirectory from a parent project.
# Then the system-SQLite build: this project configured again with WS_SYSTEM_SQLITE=ON,
# whose library must link libsqlite3 and pass the C tests.

find_program(WS_CLANG clang)
if(NOT WS_CLANG)
  message(FATAL_ERROR "clang not found: the module-map test compiles `@import CWorkflowState;` "
                      "with it (apt-get install clang)")
endif()
find_program(WS_PKG_CONFIG pkg-config)
if(NOT WS_PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found: the install test builds a program with "
                      "`pkg-config --cflags --libs workflow_state` (apt-get install pkg-config)")
endif()

set(ws_install_dir "${CMAKE_CURRENT_BINARY_DIR}/install")
set(ws_prefix "${ws_install_dir}/prefix")
set(ws_install_scripts "${CMAKE_CURRENT_SOURCE_DIR}/install")

add_test(NAME install/prefix
         COMMAND sh -c "rm -rf \"$1\" && exec \"$2\" --install \"$3\" --prefix \"$1\""
                 sh "${ws_prefix}" "${CMAKE_COMMAND}" "${CMAKE_BINARY_DIR}")
set_tests_properties(install/prefix PROPERTIES FIXTURES_SETUP ws_installed TIMEOUT 120)

add_test(NAME install/layout
         COMMAND sh "${ws_install_scripts}/check_layout.sh" "${ws_prefix}" "${CMAKE_INSTALL_LIBDIR}"
                 "${WS_INSTALL_INCLUDEDIR}" "${PROJECT_VERSION}" "$<IF:$<BOOL:${WS_SYSTEM_SQLITE}>,ON,OFF>")
add_test(NAME install/find_package
         COMMAND sh "${ws_install_scripts}/find_package.sh" "${CMAKE_COMMAND}" "${CMAKE_GENERATOR}"
                 "${CMAKE_C_COMPILER}" "${ws_install_dir}/find_package" "${ws_prefix}"
                 "${CMAKE_INSTALL_LIBDIR}" "${PROJECT_VERSION}")
add_test(NAME install/pkg_config
         COMMAND sh "${ws_install_scripts}/pkg_config.sh" "${WS_PKG_CONFIG}" "${CMAKE_C_COMPILER}"
                 "${ws_install_dir}/pkg_config" "${ws_prefix}" "${CMAKE_INSTALL_LIBDIR}" "${PROJECT_VERSION}")
add_test(NAME install/module_map
         COMMAND sh "${ws_install_scripts}/module_map.sh" "${WS_CLANG}" "${WS_PKG_CONFIG}"
                 "${ws_install_dir}/module_map" "${ws_prefix}" "${CMAKE_INSTALL_LIBDIR}" "${PROJECT_VERSION}")
set_tests_properties(install/layout install/find_package install/pkg_config install/module_map
                     PROPERTIES FIXTURES_REQUIRED ws_installed TIMEOUT 300)

# The ways to build against the library without installing it, as the README gives them:
# its plain-compiler lines (tests/install/plain_compiler.txt, which the README quotes) on
# a clone's tree after `cargo build --release` alone, and a parent project that does
# add_subdirectory(workflow_state). Both reuse this build's cargo target directory, so
# cargo has nothing to do; from the default build only, whose library is the one
# `cargo build --release` makes.
if(NOT WS_SYSTEM_SQLITE)
  get_filename_component(ws_cargo_bindir "${CARGO}" DIRECTORY)
  add_test(NAME install/plain_compiler
           COMMAND sh "${ws_install_scripts}/plain_compiler.sh" "${ws_install_scripts}/plain_compiler.txt"
                   "${PROJECT_SOURCE_DIR}" "${WS_CARGO_TARGET_DIR}" "${ws_install_dir}/plain_compiler"
                   "${PROJECT_VERSION}")
  add_test(NAME install/add_subdirectory
           COMMAND sh "${ws_install_scripts}/add_subdirectory.sh" "${CMAKE_COMMAND}" "${CMAKE_CTEST_COMMAND}"
                   "${CMAKE_GENERATOR}" "${CMAKE_C_COMPILER}" "${PROJECT_SOURCE_DIR}" "${WS_CARGO_TARGET_DIR}"
                   "${ws_install_dir}/add_subdirectory" "${PROJECT_VERSION}")
  # The README's `cargo` is the one this build uses.
  set_tests_properties(install/plain_compiler install/add_subdirectory PROPERTIES
                       ENVIRONMENT_MODIFICATION "PATH=path_list_prepend:${ws_cargo_bindir}" TIMEOUT 300)
endif()

# The system-SQLite build, from the default build only. It builds just the library and
# the C test programs, and runs those without valgrind, to keep its time bounded; the
# compatibility test stays with the default build.
if(NOT WS_SYSTEM_SQLITE)
  set(ws_system_bin "${CMAKE_BINARY_DIR}/system-sqlite")
  set(ws_system_targets "")
  foreach(source ${WS_C_TESTS})
    get_filename_component(name "${source}" NAME_WE)
    list(APPEND ws_system_targets ${name})
  endforeach()

  # The system's SQLite when it is new enough for rusqlite; otherwise (Debian 12 has
  # 3.40) a shared libsqlite3.so.0 of our own, from the SQLite source that cargo fetched
  # with libsqlite3-sys: either way the library links a separate libsqlite3.so.0.
  find_package(SQLite3 ${WS_SQLITE_MIN_VERSION} QUIET)
  if(SQLite3_FOUND)
    set(ws_sqlite_include "")
    set(ws_sqlite_library "")
    get_filename_component(ws_sqlite_libdir "${SQLite3_LIBRARY}" DIRECTORY)
    set(ws_sqlite_env "")
  else()
    execute_process(COMMAND "${CARGO}" metadata --format-version 1 --locked
                            --manifest-path "${CMAKE_SOURCE_DIR}/Cargo.toml"
                    OUTPUT_VARIABLE ws_metadata RESULT_VARIABLE ws_metadata_result)
    if(NOT ws_metadata_result EQUAL 0
       OR NOT ws_metadata MATCHES "\"manifest_path\":\"([^\"]*/libsqlite3-sys-[^\"/]*)/Cargo.toml\"")
      message(FATAL_ERROR "cargo metadata did not give the libsqlite3-sys source, whose SQLite "
                          "the system-SQLite test builds (the system's is older than "
                          "${WS_SQLITE_MIN_VERSION})")
    endif()
    set(ws_amalgamation "${CMAKE_MATCH_1}/sqlite3")
    file(STRINGS "${ws_amalgamation}/sqlite3.h" ws_sqlite_version
         REGEX "^#define SQLITE_VERSION +\"[0-9.]+\"")
    string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" ws_sqlite_version "${ws_sqlite_version}")
    set(ws_sqlite_libdir "${CMAKE_CURRENT_BINARY_DIR}/sqlite")
    add_library(ws_test_sqlite3 SHARED "${ws_amalgamation}/sqlite3.c")
    set_target_properties(ws_test_sqlite3 PROPERTIES OUTPUT_NAME sqlite3 SOVERSION 0
      VERSION "${ws_sqlite_version}" LIBRARY_OUTPUT_DIRECTORY "${ws_sqlite_libdir}")
    # No debug information: it would only slow down compiling 9 MB of C.
    target_compile_options(ws_test_sqlite3 PRIVATE -g0)
    target_link_libraries(ws_test_sqlite3 PRIVATE Threads::Threads ${CMAKE_DL_LIBS} m)
    set(ws_sqlite_include "${ws_amalgamation}")
    set(ws_sqlite_library "${ws_sqlite_libdir}/libsqlite3.so")
    # The linker and the loader would otherwise take the system's older libsqlite3.so.0.
    set(ws_sqlite_env "LD_LIBRARY_PATH=path_list_prepend:${ws_sqlite_libdir}")
  endif()

  add_test(NAME system_sqlite/build
           COMMAND sh "${ws_install_scripts}/system_sqlite_build.sh" "${CMAKE_COMMAND}" "${CMAKE_GENERATOR}"
                   "${CMAKE_C_COMPILER}" "${CMAKE_CXX_COMPILER}" "${CMAKE_BUILD_TYPE}" "${CMAKE_SOURCE_DIR}"
                   "${ws_system_bin}" "${WS_CARGO_TARGET_DIR}" "${ws_sqlite_include}" "${ws_sqlite_library}"
                   ${ws_system_targets})
  set_tests_properties(system_sqlite/build PROPERTIES FIXTURES_SETUP ws_system_sqlite TIMEOUT 1200)

  list(GET ws_system_targets 0 ws_system_program)
  add_test(NAME system_sqlite/linkage
           COMMAND sh "${ws_install_scripts}/check_sqlite_linkage.sh" "${WS_SHARED_LIB}"
                   "${WS_CARGO_TARGET_DIR}/system-sqlite/release/libworkflow_state.so"
                   "${ws_sqlite_libdir}/libsqlite3.so.0" "${ws_system_bin}/tests/${ws_system_program}"
                   "${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh" "${WS_HEADER}" "${CMAKE_C_COMPILER}")
  add_test(NAME system_sqlite/c_tests
           COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${ws_system_bin}" -R "^c/"
                   --output-on-failure --no-tests=error)
  set_tests_properties(system_sqlite/linkage system_sqlite/c_tests
                       PROPERTIES FIXTURES_REQUIRED ws_system_sqlite TIMEOUT 600)
  set_tests_properties(system_sqlite/build system_sqlite/linkage system_sqlite/c_tests
                       PROPERTIES ENVIRONMENT_MODIFICATION "${ws_sqlite_env}")
endif()
