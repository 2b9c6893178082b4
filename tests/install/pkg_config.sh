#!/bin/sh
# Builds tests/install/consumer/consumer.c with a plain compiler and nothing but
# `pkg-config --cflags --libs workflow_state`, then runs it with the installed library
# on the loader's path (as after `ldconfig` for a system prefix). Then the README's line
# for a prefix the loader does not search (pkg_config_rpath.txt, which the README
# quotes), run as written with `cc` and `pkg-config` from PATH: its program must find
# the library through the rpath alone.
# Usage: pkg_config.sh PKG_CONFIG CC WORKDIR PREFIX LIBDIR VERSION
set -eu
here=$(dirname "$0")
pkg_config=$1 cc=$2 work=$3 prefix=$4 libdir=$5 version=$6
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"

rm -rf "$work"
mkdir -p "$work"
"$pkg_config" --validate workflow_state
found=$("$pkg_config" --modversion workflow_state)
[ "$found" = "$version" ] || { echo "pkg-config found workflow_state $found, expected $version"; exit 1; }
flags=$("$pkg_config" --cflags --libs workflow_state)
echo "pkg-config --cflags --libs workflow_state: $flags"
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$work/consumer" "$here/consumer/consumer.c" $flags
LD_LIBRARY_PATH="$prefix/$libdir" sh "$here/run_installed.sh" "$work/consumer" "$prefix/$libdir" "$version" "$work/consumer.db"

cp "$here/consumer/consumer.c" "$work/my_app.c"
line=$(cat "$here/pkg_config_rpath.txt")
echo "in $work: $line"
(unset LD_LIBRARY_PATH; cd "$work" && sh -c "$line")
(unset LD_LIBRARY_PATH; sh "$here/run_installed.sh" "$work/my_app" "$prefix/$libdir" "$version" "$work/my_app.db")
