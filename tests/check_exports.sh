#!/bin/sh
# The shared library exports exactly the functions the header declares: every declared
# function is exported (a C program can link every call it was promised), and nothing
# else is (no internal Rust symbol, and not the bundled SQLite's, which would clash with
# an application's own SQLite).
# The header's functions are read from its preprocessed text (the compiler's
# preprocessor drops comments and macros, so a `ws_foo()` in a comment or a
# function-like macro is no declaration): every `ws_name (` left is a declaration.
# Usage: check_exports.sh LIBRARY HEADER [CC]   (CC: the C compiler, default cc)
set -eu
lib=$1 header=$2 cc=${3:-cc}
fail() { echo "$*"; exit 1; }

[ -f "$header" ] || fail "no header $header"
declared=$("$cc" -E -P -x c "$header" | grep -o 'ws_[A-Za-z0-9_]*[[:space:]]*(' |
           sed 's/[[:space:]]*($//' | sort -u)
[ -n "$declared" ] || fail "$header declares no ws_* function"
exported=$(nm -D --defined-only "$lib" | awk '{ print $3 }' | grep -v '^$' | sort -u)

# comm needs files, and POSIX sh has no process substitution.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$declared" > "$tmp/declared"
printf '%s\n' "$exported" > "$tmp/exported"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -n "$missing" ] || [ -n "$extra" ]; then
  [ -z "$missing" ] || printf '%s declares functions that %s does not export:\n%s\n' \
    "$header" "$lib" "$missing"
  [ -z "$extra" ] || printf '%s exports symbols that %s does not declare:\n%s\n' \
    "$lib" "$header" "$extra"
  exit 1
fi
echo "$lib exports exactly the $(wc -l < "$tmp/declared") functions $header declares"
