# lib.sh - check helpers for tests/integration/run.sh (sourced; bash).
#
# Every check prints one line, "ok   CONTEXT NAME" or "FAIL CONTEXT NAME: detail", and
# counts in PASS/FAIL. They run in the calling shell (never in a subshell), so the
# counters add up. Each command runs under timeout(1): nothing can hang the suite.

PASS=0
FAIL=0
SKIP=0
FAILED=()
CTX=""
TMO=${S3CGI_TEST_TIMEOUT:-300}   # seconds for one client command

ok()   { PASS=$((PASS + 1)); echo "ok   $CTX $1"; }
bad()  { FAIL=$((FAIL + 1)); FAILED+=("$CTX $1"); echo "FAIL $CTX $1: $2"; }
skip() { SKIP=$((SKIP + 1)); echo "skip $CTX $1: $2"; }

# missing_tools CMD...: " CMD" for each command found neither on PATH nor in /usr/sbin.
missing_tools() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || printf ' %s' "$p"
    done
}

# require_prerequisites HINT: when $missing lists anything, one FAIL line naming it
# (and HINT), the totals, and exit 1.
require_prerequisites() {
    [ -z "$missing" ] && return 0
    bad "prerequisites" "missing:$missing${1:+ ($1)}"
    echo "$PASS passed, $FAIL failed"
    exit 1
}

# isolate_clients: clients talk to 127.0.0.1 directly and see no user configuration.
isolate_clients() {
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy AWS_PROFILE \
          AWS_ENDPOINT_URL AWS_SESSION_TOKEN AWS_CA_BUNDLE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    export PYTHONDONTWRITEBYTECODE=1 AWS_EC2_METADATA_DISABLED=true
}

# Squeezes command output into one line for a FAIL message.
brief() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-400; }

# run CMD...: runs CMD (bounded), output (stdout+stderr) in OUT, exit status in RC.
# A shell function (the clients' wrappers) runs in a child bash under the timeout, with
# its definition passed along: it may only use exported variables.
run() {
    if [ "$(type -t "$1")" = function ]; then
        OUT=$(timeout -k 5 "$TMO" bash -c "$(declare -f "$1")"'; "$@"' run "$@" 2>&1)
    else
        OUT=$(timeout -k 5 "$TMO" "$@" 2>&1)
    fi
    RC=$?
}

# t NAME CMD...: passes when CMD exits 0.
t() {
    local name=$1; shift
    run "$@"
    if [ $RC -eq 0 ]; then ok "$name"; else bad "$name" "exit $RC: $(brief "$OUT")"; fi
    return $RC
}

# t_fail NAME PATTERN CMD...: passes when CMD fails and its output matches PATTERN
# (an extended regular expression).
t_fail() {
    local name=$1 pat=$2; shift 2
    run "$@"
    if [ $RC -eq 0 ]; then
        bad "$name" "succeeded, expected failure matching /$pat/: $(brief "$OUT")"
    elif printf '%s' "$OUT" | grep -Eq -- "$pat"; then
        ok "$name"
    else
        bad "$name" "exit $RC without /$pat/: $(brief "$OUT")"
    fi
}

# t_eq NAME WANT GOT
t_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$(brief "$2")] got [$(brief "$3")]"; fi
}

# t_same NAME FILE1 FILE2: byte-identical files (sha256 in the message otherwise).
t_same() {
    if [ -f "$2" ] && [ -f "$3" ] && cmp -s "$2" "$3"; then ok "$1"
    else bad "$1" "$(sha256sum "$2" "$3" 2>&1 | awk '{print $1}' | tr '\n' ' ')(sizes $(stat -c %s "$2" "$3" 2>&1 | tr '\n' ' '))"; fi
}

# t_py NAME PYTHON-EXPR-ON-j [INPUT]: parses INPUT (default $OUT) as JSON into j and
# passes when the expression is true; on failure prints the JSON.
t_py() {
    local name=$1 expr=$2 input=${3-$OUT} r
    r=$(printf '%s' "$input" | "$PY" -c '
import json, os, sys
try:
    j = json.load(sys.stdin)
except Exception as e:
    print("not JSON: %s" % e); sys.exit(1)
ok = eval(sys.argv[1])
if not ok:
    print(json.dumps(j)[:400]); sys.exit(1)
' "$expr" 2>&1) && ok "$name" || bad "$name" "$(brief "$r")"
}

# count_results FILE: adds a client script's "ok"/"FAIL"/"skip" lines to the counts.
count_results() {
    local line
    while IFS= read -r line; do
        case "$line" in
            "ok "*)   ok "${line#ok }" ;;
            "FAIL "*) line=${line#FAIL }; bad "${line%%: *}" "${line#*: }" ;;
            "skip "*) line=${line#skip }; skip "${line%%: *}" "${line#*: }" ;;
            *) echo "     $line" ;;
        esac
    done < "$1"
}
