#!/bin/sh
# The README's plain-compiler instruction, run as written on what a fresh clone holds
# after cargo alone, without CMake or an install. LINES holds the README's lines, one
# command a line: the first, `cargo build ...`, runs in SOURCE (with the suite's target
# directory, so that it finds the library already built); every further line runs in a
# "clone": the committed include/, my_app.c (tests/install/consumer/consumer.c) and a
# target/release holding only cargo's own outputs (its regular files: no link that a
# CMake build adds, such as libworkflow_state.so.0). The program it builds must start
# with no LD_LIBRARY_PATH, from another directory, and work.
# Usage: plain_compiler.sh LINES SOURCE CARGO_TARGET_DIR WORKDIR VERSION
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lines=$1 source=$2 target=$3 work=$4 version=$5
fail() { echo "$*"; exit 1; }
unset LD_LIBRARY_PATH

cargo_line=$(sed -n 1p "$lines")
case $cargo_line in
  "cargo build "*) ;;
  *) fail "$lines: the first line must be the cargo build, not: $cargo_line" ;;
esac
echo "in $source: $cargo_line"
(cd "$source" && CARGO_TARGET_DIR=$target sh -c "$cargo_line")

rm -rf "$work"
clone=$work/clone
mkdir -p "$clone/target/release"
cp -R "$source/include" "$clone/include"
for file in "$target"/release/*; do
  if [ -f "$file" ] && [ ! -L "$file" ]; then cp "$file" "$clone/target/release/"; fi
done
[ -f "$clone/target/release/libworkflow_state.a" ] ||
  fail "cargo left no libworkflow_state.a in $target/release"
cp "$here/consumer/consumer.c" "$clone/my_app.c"

sed 1d "$lines" | while IFS= read -r line; do
  echo "in $clone: $line"
  (cd "$clone" && sh -c "$line") || fail "failed: $line"
done
[ -x "$clone/my_app" ] || fail "the lines in $lines built no $clone/my_app"
sh "$here/run_installed.sh" "$clone/my_app" static "$version" "$work/my_app.db"
