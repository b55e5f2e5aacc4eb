#!/bin/sh
# scripts/fuzz.sh [SECONDS] - builds every libFuzzer target (fuzz/fuzz_*.c) against
# lib/ with clang (ASan + UBSan) and runs each for SECONDS (default 10) on a private
# copy of its seed corpus, two at a time (all cores: FUZZ_JOBS). Prints executions
# and coverage per target; exits non-zero when any target crashed, leaked, timed
# out or broke one of its properties. Works from the source tree, no configure needed.
#
# Needs clang with its libFuzzer runtime (Debian 12: clang and libclang-rt-14-dev,
# which clang only recommends), pkg-config, and the Expat and OpenSSL headers.
#
# Environment: FUZZ_BUILD  build directory to use and keep (default: a temporary
#                          one, removed on success, kept on failure for the crash
#                          inputs in FUZZ_BUILD/artifacts/)
#              FUZZ_JOBS   targets built and run at once (default: number of CPUs)
#              FUZZ_RUN_ARGS extra libFuzzer options for every run
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
for tool in clang pkg-config make; do
    command -v "$tool" >/dev/null 2>&1 || { echo "fuzz.sh: $tool not found" >&2; exit 1; }
done

keep=1
build=${FUZZ_BUILD:-}
if [ -z "$build" ]; then
    build=$(mktemp -d "${TMPDIR:-/tmp}/s3cgi-fuzz-build.XXXXXX")
    keep=0
fi
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

status=0
make -k -j"$jobs" -f "$src/fuzz/Makefile.fuzz" SRCDIR="$src" FUZZ_BUILD="$build" \
    FUZZ_SECONDS="$secs" FUZZ_RUN_ARGS="${FUZZ_RUN_ARGS:-}" run || status=$?

if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: FAILED; logs and crash inputs are in $build" >&2
    ls "$build"/artifacts 2>/dev/null | sed 's/^/  /' >&2 || true
    exit 1
fi
[ "$keep" -eq 1 ] || rm -rf "$build"
echo "fuzz.sh: all targets passed (${secs}s each)"
