#!/usr/bin/env bash
# Builds the fuzz target of the C API (fuzz_targets/api.rs) with libFuzzer's coverage
# instrumentation, on stable Rust, and runs it.
#
#   fuzz/run.sh [SECONDS]   fuzz for SECONDS (default 600); the inputs that reach new
#                           code are kept in $FUZZ_TARGET_DIR/corpus/api for the next run
#   fuzz/run.sh --runs N    the test suite's bounded session: N inputs from the committed
#                           seeds only, with a fixed random seed
#   fuzz/run.sh FILE...     run these inputs once each (a crash reproducer, say)
#   fuzz/run.sh --build     build only
#
# A failing input is written to $FUZZ_TARGET_DIR/artifacts/ and makes the script fail.
# Environment: CARGO (default: cargo), FUZZ_TARGET_DIR (default: target/fuzz of the
# repository, beside the main build so that neither rebuilds the other).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cargo="${CARGO:-cargo}"
target_dir="${FUZZ_TARGET_DIR:-$here/../target/fuzz}"
host="$("$cargo" -vV | sed -n 's/^host: //p')"

# Coverage instrumentation for libFuzzer through stable flags (cargo-fuzz's, minus the
# nightly-only sanitizers). With an explicit --target, RUSTFLAGS reach only the fuzzer
# and its dependencies, not build scripts, which could not link the instrumentation.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth"
"$cargo" build --release --locked --manifest-path "$here/Cargo.toml" \
  --target "$host" --target-dir "$target_dir" --bin api
fuzzer="$target_dir/$host/release/api"

mkdir -p "$target_dir/artifacts"
# The database file each input runs on (src/script.rs, db_path): on a tmpfs where there
# is one, removed at the end.
db_base=/dev/shm
[ -d "$db_base" ] && [ -w "$db_base" ] || db_base="${TMPDIR:-/tmp}"
WS_FUZZ_DB_DIR="$(mktemp -d "$db_base/ws-fuzz.XXXXXX")"
export WS_FUZZ_DB_DIR
trap 'rm -rf "$WS_FUZZ_DB_DIR"' EXIT
flags=(-artifact_prefix="$target_dir/artifacts/" -dict="$here/api.dict" -max_len=4096 -timeout=10
       -print_final_stats=1)

case "${1:-600}" in
  --build)
    echo "$fuzzer"
    ;;
  --runs)
    # An empty scratch corpus first: libFuzzer adds new inputs to its first directory,
    # and the committed seeds must stay as they are.
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch" "$WS_FUZZ_DB_DIR"' EXIT
    "$fuzzer" "${flags[@]}" -runs="${2:?--runs needs a count}" -seed=1 "$scratch" "$here/corpus/api"
    ;;
  *[!0-9]*)
    "$fuzzer" "${flags[@]}" "$@"
    ;;
  *)
    mkdir -p "$target_dir/corpus/api"
    "$fuzzer" "${flags[@]}" -max_total_time="${1:-600}" "$target_dir/corpus/api" "$here/corpus/api"
    ;;
esac
