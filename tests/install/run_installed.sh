#!/bin/sh
# Runs a consumer program on a fresh database after checking which workflow_state it
# loads: with LIBDIR, the installed <LIBDIR>/libworkflow_state.so.MAJOR and never a copy
# in the build tree; with `static`, none at all.
# Usage: run_installed.sh PROGRAM LIBDIR|static VERSION DATABASE
set -eu
program=$1 libdir=$2 version=$3 db=$4
soname=libworkflow_state.so.${version%%.*}

loaded=$(ldd "$program" | awk -v so="$soname" '$1 == so { print $3 }')
if [ "$libdir" = static ]; then
  if ldd "$program" | grep -q libworkflow_state; then
    echo "$program should contain the static library but loads:"; ldd "$program"; exit 1
  fi
else
  if [ -z "$loaded" ] || [ "$(readlink -f "$loaded")" != "$(readlink -f "$libdir/$soname")" ]; then
    echo "$program loads '${loaded:-no $soname}', expected $libdir/$soname:"; ldd "$program"; exit 1
  fi
  echo "$program loads $loaded"
fi

rm -f "$db" "$db-wal" "$db-shm"
"$program" "$db" "$version"
