#!/bin/sh
# Fails when the shared library exports a symbol outside the ws_* API (for example the
# bundled SQLite's, which would clash with an application's own SQLite).
set -eu
lib=$1
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}')
api=$(printf '%s\n' "$symbols" | grep -c '^ws_' || true)
others=$(printf '%s\n' "$symbols" | grep -v '^ws_' | grep -v '^$' || true)
if [ "$api" -lt 20 ]; then
  echo "expected the ws_* API in $lib, found $api ws_ symbols"; exit 1
fi
if [ -n "$others" ]; then
  echo "$lib exports symbols outside the ws_* API:"; printf '%s\n' "$others"; exit 1
fi
echo "$lib exports $api ws_* symbols and nothing else"
