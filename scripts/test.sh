#!/bin/bash
# test.sh - the whole test suite, from a fresh Debian 12 / Ubuntu machine:
# installs the packages it needs, builds with warnings as errors, runs the unit
# tests (plain, under ASan+UBSan, and under valgrind), the integration suite
# (real web servers and real S3 clients on loopback), the hardening suites (also
# against the ASan build), a fuzz smoke run of every libFuzzer target, and make
# distcheck.
# Ends with one line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logdir=${S3CGI_TEST_LOGS:-$top/test-logs}
rm -rf "$logdir"; mkdir -p "$logdir"
passed=0; failed=0

stage() {   # stage NAME COMMAND... : runs a stage, output to its log
    local name=$1; shift
    echo "== $name"
    if "$@" >"$logdir/$name.log" 2>&1; then
        echo "   ok"
    else
        echo "   FAILED (log: $logdir/$name.log)"; tail -n 40 "$logdir/$name.log" | sed 's/^/   | /'
        failed=$((failed + 1)); stage_failed=1
    fi
}

# Check's summaries: "100%: Checks: 8, Failures: 0, Errors: 0"
count_check() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        read -r c fl er < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$f" | tail -n 1)
        [ -n "${c:-}" ] || continue
        passed=$((passed + c - fl - er)); failed=$((failed + fl + er))
    done
}

stage_failed=0
stage deps scripts/install-deps.sh test
stage build scripts/build.sh --enable-werror
if [ "$stage_failed" -ne 0 ]; then echo "0 passed, $failed failed"; exit 1; fi

stage unit make check -j2
count_check tests/unit/*.log

# ASan + UBSan, in a clean copy of the distributed tree (the source tree is configured)
stage asan-unit sh -c 'rm -rf build-asan && make distdir distdir=build-asan >/dev/null && cd build-asan &&
    ./configure --quiet --enable-werror --enable-sanitizers && make -j2 >/dev/null && make check -j2'

# valgrind over the core suite (the whole request path, many requests)
stage valgrind-unit sh -c 'CK_FORK=no valgrind --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --track-fds=no tests/unit/test_core'

# suite NAME COMMAND...: a suite that ends with "N passed, N failed"; adds its counts
suite() {
    local name=$1 line; shift
    echo "== $name"
    "$@" 2>&1 | tee "$logdir/$name.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logdir/$name.log" | tail -n 1)
    if [ -n "$line" ]; then
        passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
        failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    else
        echo "   $name did not report"; failed=$((failed + 1))
    fi
}

# integration: real web servers, real clients
suite integration env S3CGI_BUILD="$top" tests/integration/run.sh
# sendfile offload (lighttpd, nginx, Apache): same bytes and headers as streaming
suite sendfile env S3CGI_BUILD="$top" tests/integration/sendfile_check.sh
# hardening: SIGKILLs during writes, full disk, races, hostile input; then hostile input
# and races again against the ASan+UBSan build (any sanitizer report fails)
suite hardening env S3CGI_BUILD="$top" tests/integration/run_hardening.sh
suite hardening-asan env S3CGI_BUILD="$top" tests/integration/run_hardening.sh --asan "$top/build-asan"
# the whole integration suite against the ASan+UBSan build
suite integration-asan tests/integration/run_asan.sh "$top/build-asan"

# libFuzzer smoke: every target for 10 s on its seed corpus
stage fuzz-smoke scripts/fuzz.sh 10

stage distcheck make distcheck -j2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
