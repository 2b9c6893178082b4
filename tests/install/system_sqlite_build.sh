#!/bin/sh
# Configures this project again with WS_SYSTEM_SQLITE=ON (no valgrind) in BINARY and
# builds the given targets there: the library against an external libsqlite3, in its own
# cargo target directory, and the C test programs. SQLITE_INCLUDE_DIR and SQLITE_LIBRARY
# choose that SQLite; empty, the system's.
# Usage: system_sqlite_build.sh CMAKE GENERATOR CC CXX BUILD_TYPE SOURCE BINARY
#        CARGO_TARGET_DIR SQLITE_INCLUDE_DIR SQLITE_LIBRARY TARGET...
set -eu
cmake=$1 generator=$2 cc=$3 cxx=$4 build_type=$5 source=$6 binary=$7 cargo_target_dir=$8
sqlite_include=$9 sqlite_library=${10}
shift 10
targets=$* # target names have no spaces

set -- -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$build_type" \
  -DBUILD_TESTING=ON -DWS_SYSTEM_SQLITE=ON -DWS_VALGRIND=OFF -DWS_CARGO_TARGET_DIR="$cargo_target_dir"
if [ -n "$sqlite_library" ]; then
  set -- "$@" -DSQLite3_INCLUDE_DIR="$sqlite_include" -DSQLite3_LIBRARY="$sqlite_library"
fi
"$cmake" -S "$source" -B "$binary" -G "$generator" "$@"
# shellcheck disable=SC2086 # one word per target
"$cmake" --build "$binary" --target $targets
