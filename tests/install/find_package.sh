#!/bin/sh
# Builds tests/install/consumer with find_package(workflow_state CONFIG) against a copy of
# the installed tree moved elsewhere (the package must find itself from its own
# location), then runs the program linked to the shared library and the one linked to
# the static library.
# Usage: find_package.sh CMAKE GENERATOR CC WORKDIR PREFIX LIBDIR VERSION
set -eu
here=$(dirname "$0")
cmake=$1 generator=$2 cc=$3 work=$4 prefix=$5 libdir=$6 version=$7

rm -rf "$work"
mkdir -p "$work"
cp -a "$prefix" "$work/moved"
"$cmake" -S "$here/consumer" -B "$work/build" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$work/moved" -DWS_EXPECTED_VERSION="$version"
"$cmake" --build "$work/build"
sh "$here/run_installed.sh" "$work/build/consumer" "$work/moved/$libdir" "$version" "$work/shared.db"
sh "$here/run_installed.sh" "$work/build/consumer_static" static "$version" "$work/static.db"
