#!/bin/sh
# The system-SQLite library links libsqlite3.so.0, which the loader finds at SQLITE (the
# SQLite it was built against), yet still exports exactly the functions HEADER declares
# (checked by CHECK_EXPORTS with the compiler CC); the default library links no
# libsqlite3; and the system-SQLite build's test program loads both of the first two.
# Usage: check_sqlite_linkage.sh BUNDLED_LIB SYSTEM_LIB SQLITE SYSTEM_TEST_PROGRAM
#        CHECK_EXPORTS HEADER CC
set -eu
bundled=$1 system=$2 sqlite=$3 program=$4 check_exports=$5 header=$6 cc=$7
fail() { echo "$*"; exit 1; }
# The file the loader maps for the library whose soname starts with NAME when it starts
# PROGRAM, links resolved.
loaded() { readlink -f "$(ldd "$1" | awk -v name="$2" 'index($1, name) == 1 { print $3 }')"; }

readelf -d "$system" | grep -q '(NEEDED).*\[libsqlite3\.so\.0\]' ||
  fail "$system does not link libsqlite3.so.0: $(readelf -d "$system" | grep NEEDED)"
for file in "$system" "$program"; do
  [ "$(loaded "$file" libsqlite3.so.0)" = "$(readlink -f "$sqlite")" ] ||
    fail "$file does not load $sqlite: $(ldd "$file")"
done
echo "$system links $sqlite ($(readlink -f "$sqlite"))"
sh "$check_exports" "$system" "$header" "$cc"

if readelf -d "$bundled" | grep -q '(NEEDED).*libsqlite3'; then
  fail "$bundled (bundled SQLite) links the system's libsqlite3"
fi
echo "$bundled links no libsqlite3"

[ "$(loaded "$program" libworkflow_state.so.)" = "$(readlink -f "$system")" ] ||
  fail "$program does not load $system: $(ldd "$program")"
echo "$program loads $system and $sqlite"
