#!/bin/sh
# A parent project (tests/install/parent) with this repository as its subdirectory
# `workflow_state` (a link to SOURCE, as a submodule would be): it configures without
# any of this project's test tools, gets none of its tests, and builds one program
# against workflow_state::workflow_state, which must load the library cargo built, and
# one against workflow_state::workflow_state_static. CARGO_TARGET_DIR is the suite's, so
# that cargo finds the library already built.
# Usage: add_subdirectory.sh CMAKE CTEST GENERATOR CC SOURCE CARGO_TARGET_DIR WORKDIR VERSION
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cmake=$1 ctest=$2 generator=$3 cc=$4 source=$5 target=$6 work=$7 version=$8
fail() { echo "$*"; exit 1; }

rm -rf "$work"
mkdir -p "$work/parent"
cp "$here/parent/CMakeLists.txt" "$here/consumer/consumer.c" "$work/parent/"
ln -s "$source" "$work/parent/workflow_state"
"$cmake" -S "$work/parent" -B "$work/build" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
  -DWS_CARGO_TARGET_DIR="$target"
"$cmake" --build "$work/build"

tests=$("$ctest" --test-dir "$work/build" -N)
printf '%s\n' "$tests" | grep -q '^Total Tests: 0$' ||
  fail "the parent project got workflow_state's tests: $tests"

sh "$here/run_installed.sh" "$work/build/consumer" "$target/release" "$version" "$work/shared.db"
sh "$here/run_installed.sh" "$work/build/consumer_static" static "$version" "$work/static.db"
