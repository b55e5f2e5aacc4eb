#!/bin/bash
# tests/integration/run_hardening.sh [--only SUITES] [--asan BUILDDIR] [--kills N] [--keep]
#
# The hardening suites (hardening.sh) on their own: starts s3cgi-serve (lighttpd,
# FastCGI, fsync on, 4 processes) on a free 127.0.0.1 port over a fresh data root,
# runs the suites against it, stops it by PID, and ends with "N passed, N failed"
# (exit 1 if anything failed).
#
#   --only SUITES   comma-separated subset of hostile,conc,crash,fullfs (default: all;
#                   with --asan: hostile,conc)
#   --asan DIR      use the binaries of an ASan+UBSan build tree DIR (configure
#                   --enable-sanitizers): s3cgi-fcgi, s3cgi-cgi, s3cgi-admin. Sanitizer
#                   reports go to files (ASAN_OPTIONS/UBSAN_OPTIONS log_path); any
#                   report fails the run
#   --kills N       SIGKILLs of the crash suite (default 200)
#   --server NAME   lighttpd (default), nginx or apache (FastCGI through spawn-fcgi, which
#                   does not respawn killed processes: the crash suite then restarts
#                   s3cgi-serve after every round that loses them)
#   --keep          keep the scratch directory (kept anyway when something failed)
#
# Environment: S3CGI_BUILD (top build dir, default the repository root), S3CGI_PYTHON
# (default /usr/bin/python3, which has boto3). Needs lighttpd, curl, unshare (util-linux)
# and root (or CAP_SYS_ADMIN) for the full-filesystem suite, which is skipped otherwise.
# Runtime: about 5 minutes for all suites (the crash suite is ~3.5 of them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${S3CGI_BUILD:-$(cd "$here/../.." && pwd)}
. "$here/lib.sh"
. "$here/hardening.sh"

only="" asan="" keep=no
HARD_KILLS=${HARD_KILLS:-200}
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only=${2:?--only needs a value}; shift ;;
        --asan) asan=${2:?--asan needs a build directory}; shift ;;
        --kills) HARD_KILLS=${2:?--kills needs a number}; shift ;;
        --server) HARD_SERVER=${2:?--server needs lighttpd, nginx or apache}; shift ;;
        --keep) keep=yes ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--only SUITES] [--asan BUILDDIR] [--kills N] [--server NAME] [--keep]" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$asan" ] || asan=$(cd "$asan" && pwd) || { echo "--asan: no directory $asan" >&2; exit 2; }
[ -n "$only" ] || { if [ -n "$asan" ]; then only=hostile,conc; else only=hostile,conc,crash,fullfs; fi; }

PY=${S3CGI_PYTHON:-/usr/bin/python3}
BINSRC=${asan:-$BUILD}
SERVE=$BINSRC/s3cgi-serve      # the script of the same tree as the binaries (same settings)
CTX="setup"
missing=""
[ -x "$SERVE" ] || missing="$missing $SERVE (run make)"
for b in fcgi/s3cgi-fcgi cgi/s3cgi-cgi admin/s3cgi-admin; do
    [ -x "$BINSRC/$b" ] || missing="$missing $BINSRC/$b"
done
"$PY" -c 'import boto3' 2>/dev/null || missing="$missing boto3-for-$PY"
missing="$missing$(missing_tools curl lighttpd timeout setsid)"
require_prerequisites
isolate_clients

WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3cgi-hard.XXXXXX") || exit 1
chmod 0755 "$WORK"
W=$WORK/scratch L=$WORK/logs ROOT=$WORK/root
mkdir -p "$W" "$L" "$ROOT" "$WORK/bin"
SERVE_PID=""
finish() {
    hard_stop "$SERVE_PID"
    [ -n "${HS_PID:-}" ] && hard_stop "$HS_PID"
    if [ $keep = yes ] || [ $FAIL -gt 0 ]; then
        find "$WORK" -path '*/root/*' -delete 2>/dev/null
        echo "scratch directory with the logs kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    echo "$PASS passed, $FAIL failed"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The binaries under test, copied once (the crash suite finds its victims by this path).
cp "$BINSRC/fcgi/s3cgi-fcgi" "$BINSRC/cgi/s3cgi-cgi" "$BINSRC/admin/s3cgi-admin" "$WORK/bin/" ||
    { bad "copy binaries" "cp failed"; exit 1; }
chmod 0755 "$WORK/bin" "$WORK/bin/"*
HARD_FCGI_BIN=$WORK/bin/s3cgi-fcgi HARD_CGI_BIN=$WORK/bin/s3cgi-cgi HARD_ADMIN=$WORK/bin/s3cgi-admin
if [ -n "$asan" ]; then
    mkdir -p "$WORK/asan"
    # lighttpd passes its whole environment to the processes it spawns (bin-path)
    export ASAN_OPTIONS="abort_on_error=1:log_path=$WORK/asan/asan:detect_leaks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORK/asan/ubsan"
fi

REGION=us-east-1
AK=AKHD$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' | cut -c1-16)
SK=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-40)
export AK SK REGION PY

start_server() {
    CTX="hardening"
    if hard_serve "$ROOT" "$L"; then
        SERVE_PID=$HS_PID HS_PID=""
        EP=$HS_EP
        export EP
        ok "start s3cgi-serve (${HARD_SERVER:-lighttpd} fastcgi, fsync on, ${HARD_WORKERS:-4} processes, port $HS_PORT)"
        return 0
    fi
    bad "start s3cgi-serve" "$(brief "$HS_ERR")"
    return 1
}
# Used by the crash suite when lighttpd does not bring a killed process back.
hard_restart_server() {
    local ctx=$CTX rc
    hard_stop "$SERVE_PID"
    SERVE_PID=""
    start_server
    rc=$?
    CTX=$ctx
    return $rc
}

start=$(date +%s)
start_server || exit 1
if [ -n "$asan" ]; then
    p=$("$PY" -c 'import os,sys
for d in os.listdir("/proc"):
    try:
        if d.isdigit() and os.readlink("/proc/%s/exe" % d) == sys.argv[1]:
            print(d); break
    except OSError: pass' "$HARD_FCGI_BIN")
    if [ -n "$p" ] && tr '\0' '\n' < "/proc/$p/environ" | grep -q '^ASAN_OPTIONS=.*log_path'; then
        ok "asan: the FastCGI processes run with ASAN_OPTIONS (log_path $WORK/asan)"
    else
        bad "asan: the FastCGI processes run with ASAN_OPTIONS" "not in /proc/${p:-?}/environ"
    fi
fi
for s in ${only//,/ }; do
    t0=$(date +%s)
    CTX="hardening $s"
    echo "== $s"
    case "$s" in
        hostile) suite_hardening_hostile ;;
        conc) suite_hardening_conc ;;
        crash) suite_hardening_crash ;;
        fullfs) suite_hardening_fullfs ;;
        *) bad "suite $s" "unknown (hostile, conc, crash, fullfs)" ;;
    esac
    echo "     $s: $(( $(date +%s) - t0 )) s"
done
CTX="hardening"
port=${EP##*:}
hard_stop "$SERVE_PID"
SERVE_PID=""
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    bad "port closed after stop" "127.0.0.1:$port still accepts connections"
else
    ok "port closed after stop"
fi
# Sanitizer reports: files from log_path (the processes stopped at SIGTERM have run
# their leak check by now), and lines in any log.
if [ -n "$asan" ]; then
    reports=$(ls "$WORK/asan" 2>/dev/null)
    if [ -n "$reports" ]; then
        bad "asan: no sanitizer report" "$(brief "$(ls "$WORK/asan"; head -n 12 "$WORK"/asan/* 2>/dev/null)")"
    else
        ok "asan: no sanitizer report (ASan+UBSan, leak check at exit)"
    fi
fi
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$L"/* "$W"/hard-fullfs/logs/* >/dev/null 2>&1; then
    bad "no sanitizer reports in the logs" "$(grep -h -m3 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$L"/* | head -3)"
else
    ok "no sanitizer reports in the logs"
fi
echo "== $(( $(date +%s) - start )) s"
if [ $FAIL -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${FAILED[@]}"
    exit 1
fi
exit 0
