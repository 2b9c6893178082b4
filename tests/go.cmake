# The Go package (bindings/go): `go vet`, then `go test -race` against the library built
# here. Go's caches live under the build directory and the module needs no downloads,
# so the test works on a clean machine without network access or a home directory.

option(WS_GO_TESTS "Run the Go package's tests (needs Go >= 1.19 with cgo)" ON)
if(NOT WS_GO_TESTS)
  return()
endif()

find_program(WS_GO go)
if(NOT WS_GO)
  message(FATAL_ERROR "go not found: the Go package's tests need Go >= 1.19 "
                      "(apt-get install golang-go), or configure with -DWS_GO_TESTS=OFF")
endif()
execute_process(COMMAND "${WS_GO}" version OUTPUT_VARIABLE ws_go_version
                RESULT_VARIABLE ws_go_result OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT ws_go_result EQUAL 0 OR NOT ws_go_version MATCHES "go([0-9]+)\\.([0-9]+)")
  message(FATAL_ERROR "`${WS_GO} version` failed or printed no version: ${ws_go_version}")
endif()
if(CMAKE_MATCH_1 LESS 1 OR (CMAKE_MATCH_1 EQUAL 1 AND CMAKE_MATCH_2 LESS 19))
  message(FATAL_ERROR "${WS_GO} is ${ws_go_version}; the Go package needs Go >= 1.19, "
                      "or configure with -DWS_GO_TESTS=OFF")
endif()

# The cargo target directory is configurable, so the library's directory comes from
# here rather than from the package's in-tree default: the linker and loader search
# the CGO_LDFLAGS and LD_LIBRARY_PATH entries first.
get_filename_component(ws_go_libdir "${WS_SHARED_LIB}" DIRECTORY)
set(ws_go_home "${CMAKE_CURRENT_BINARY_DIR}/go")
add_test(NAME go/test_race
         COMMAND sh -c "\"$0\" vet ./... && exec \"$0\" test -race -count=1 ./..." "${WS_GO}"
         WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}/bindings/go")
set_tests_properties(go/test_race PROPERTIES
  TIMEOUT 600
  ENVIRONMENT_MODIFICATION
    "GOCACHE=set:${ws_go_home}/cache;GOPATH=set:${ws_go_home}/path;GOMODCACHE=set:${ws_go_home}/path/pkg/mod;GOENV=set:off;GOFLAGS=unset:;GOPROXY=set:off;GOTOOLCHAIN=set:local;GOWORK=set:off;GO111MODULE=set:on;CGO_ENABLED=set:1;CGO_LDFLAGS=set:-L${ws_go_libdir} -Wl,-rpath,${ws_go_libdir};LD_LIBRARY_PATH=path_list_prepend:${ws_go_libdir}")
