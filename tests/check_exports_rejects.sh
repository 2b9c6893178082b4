#!/bin/sh
# check_exports.sh must fail, naming the function, when the header and the library
# disagree: a header copy with ws_version's declaration removed (exported, not
# declared), and one with a declaration of a function the library lacks (declared, not
# exported).
# Usage: check_exports_rejects.sh LIBRARY HEADER CC WORKDIR
set -eu
here=$(dirname "$0")
lib=$1 header=$2 cc=$3 work=$4
fail() { echo "$*"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
# Fails unless check_exports.sh rejects HEADER_COPY with a message naming NAME.
rejects() {
  if output=$(sh "$here/check_exports.sh" "$lib" "$1" "$cc" 2>&1); then
    fail "check_exports.sh accepted $1: $output"
  fi
  printf '%s\n' "$output" | grep -qx "$2" || fail "check_exports.sh rejected $1 without naming $2: $output"
  echo "rejected $1, naming $2"
}

# A declaration starts at the beginning of a line and ends with `);`.
sed '/^[^ /*].*[ *]ws_version(/,/);$/d' "$header" > "$work/without_ws_version.h"
! grep -q 'ws_version(void);' "$work/without_ws_version.h" || fail "could not remove ws_version from $header"
rejects "$work/without_ws_version.h" ws_version

{ cat "$header"; echo 'void ws_declared_only(void);'; } > "$work/with_ws_declared_only.h"
rejects "$work/with_ws_declared_only.h" ws_declared_only
