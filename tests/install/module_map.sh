#!/bin/sh
# The installed module map is a module Clang accepts: consumer.c, compiled as
# Objective-C with -fmodules, does `@import CWorkflowState;` (1) found through the
# include directory pkg-config gives, and (2) through the README's Swift package layout
# alone: Sources/CWorkflowState/module.modulemap naming the installed map with
# `extern module`, passed as SwiftPM passes it (-fmodule-map-file). Each program is
# linked and run.
# Usage: module_map.sh CLANG PKG_CONFIG WORKDIR PREFIX LIBDIR VERSION
set -eu
here=$(dirname "$0")
clang=$1 pkg_config=$2 work=$3 prefix=$4 libdir=$5 version=$6
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"

rm -rf "$work"
mkdir -p "$work/Sources/CWorkflowState"
includedir=$("$pkg_config" --variable=includedir workflow_state)
libs=$("$pkg_config" --libs workflow_state)
compile() {
  output=$1; shift
  # shellcheck disable=SC2086 # the flags are words
  "$clang" -x objective-c -fmodules -fmodules-cache-path="$work/module-cache" \
    -DWS_CONSUMER_IMPORT_MODULE -Wall -Wextra -Werror "$@" \
    "$here/consumer/consumer.c" -x none $libs -o "$work/$output"
  LD_LIBRARY_PATH="$prefix/$libdir" sh "$here/run_installed.sh" "$work/$output" "$prefix/$libdir" "$version" "$work/$output.db"
}

compile include_path -I"$includedir"

printf 'extern module CWorkflowState "%s/module.modulemap"\n' "$includedir" \
  > "$work/Sources/CWorkflowState/module.modulemap"
compile swift_package_map -fmodule-map-file="$work/Sources/CWorkflowState/module.modulemap"
