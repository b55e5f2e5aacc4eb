#!/bin/bash
# tests/integration/run_asan.sh BUILDDIR [run.sh options] - the integration suite against
# an ASan+UBSan build tree (configure --enable-sanitizers): BUILDDIR's binaries and
# s3cgi-serve. Sanitizer reports are written to files rather than the web servers' logs;
# any report counts as one more failure. Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_asan.sh BUILDDIR [run.sh options]}; shift
build=$(cd "$build" && pwd)
reports=$(mktemp -d "${TMPDIR:-/tmp}/s3cgi-asan-reports.XXXXXX")
chmod 0777 "$reports"       # Apache's CGI runs as www-data
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
out=$(mktemp "${TMPDIR:-/tmp}/s3cgi-asan-run.XXXXXX")
S3CGI_BUILD=$build "$here/run.sh" "$@" 2>&1 | tee "$out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
rm -f "$out"
passed=${line%% passed*}; failed=${line#*, }; failed=${failed%% failed*}
[ -n "$line" ] || { passed=0; failed=1; echo "run.sh did not report"; }
if [ -n "$(ls -A "$reports")" ]; then
    echo "FAIL sanitizer reports:"
    for f in "$reports"/*; do echo "--- $f"; head -n 40 "$f"; done
    failed=$((failed + 1))
else
    echo "ok   no sanitizer report"
    passed=$((passed + 1))
    rm -rf "$reports"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
