#!/bin/sh
# The installed tree: the shared library under its full version with the soname and
# development links, its SONAME and SQLite dependency, no debug information in it, the
# static library, both headers beside the module map, the pkg-config file and the CMake
# package.
# Usage: check_layout.sh PREFIX LIBDIR INCLUDEDIR VERSION SYSTEM_SQLITE(ON|OFF)
set -eu
prefix=$1 lib=$1/$2 include=$1/$3 version=$4 system_sqlite=$5
major=${version%%.*}
fail() { echo "$*"; exit 1; }

real=$lib/libworkflow_state.so.$version
[ -f "$real" ] && [ ! -L "$real" ] || fail "missing the library file $real"
[ "$(readlink "$lib/libworkflow_state.so.$major")" = "libworkflow_state.so.$version" ] ||
  fail "$lib/libworkflow_state.so.$major is not a link to libworkflow_state.so.$version"
[ "$(readlink "$lib/libworkflow_state.so")" = "libworkflow_state.so.$major" ] ||
  fail "$lib/libworkflow_state.so is not a link to libworkflow_state.so.$major"

dynamic=$(readelf -d "$real")
printf '%s\n' "$dynamic" | grep -q "(SONAME).*\[libworkflow_state.so.$major\]" ||
  fail "$real has no SONAME libworkflow_state.so.$major: $(printf '%s\n' "$dynamic" | grep SONAME)"
if printf '%s\n' "$dynamic" | grep -q '(NEEDED).*\[libsqlite3\.so'; then needs_sqlite=ON; else needs_sqlite=OFF; fi
[ "$needs_sqlite" = "$system_sqlite" ] ||
  fail "$real: links libsqlite3 = $needs_sqlite, but WS_SYSTEM_SQLITE = $system_sqlite"

# Debug information is for a profiling build (Cargo.toml's profile `profiling`), not for
# what gets installed: it made the library 21 MB instead of 3.
debug_sections=$(readelf -S --wide "$real" | sed -n 's/^ *\[ *[0-9]*\] *\(\.z\{0,1\}debug_[^ ]*\).*/\1/p')
[ -z "$debug_sections" ] ||
  fail "$real ($(wc -c < "$real") bytes) carries debug information:" $debug_sections

for file in "$lib/libworkflow_state.a" "$include/workflow_state.h" "$include/workflow_state.hpp" \
            "$include/module.modulemap" "$lib/pkgconfig/workflow_state.pc" \
            "$lib/cmake/workflow_state/workflow_stateConfig.cmake" \
            "$lib/cmake/workflow_state/workflow_stateConfigVersion.cmake"; do
  [ -f "$file" ] || fail "missing $file"
done
grep -q "^prefix=$prefix\$" "$lib/pkgconfig/workflow_state.pc" ||
  fail "workflow_state.pc does not name the prefix $prefix: $(grep '^prefix=' "$lib/pkgconfig/workflow_state.pc")"
echo "$prefix: libworkflow_state.so.$version ($(wc -c < "$real") bytes, SONAME libworkflow_state.so.$major, no debug sections, system SQLite $system_sqlite), links, static library, headers, module map, pkg-config file, CMake package"
