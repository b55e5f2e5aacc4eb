#!/bin/bash
# tests/integration/run_auth_sdk.sh [--only REGEX] [--keep] [--suites sdk,auth]
#
# Standalone driver for client_sdk.sh (the AWS SDK for JavaScript v3) and
# client_auth.sh (signing modes, users, anonymous access, hand-built broken requests):
# for each combination below it starts `s3cgi-serve` on a free 127.0.0.1 port over a
# fresh data root with a multi-user credentials file (auth_credentials) and
# `--domain s3.test`, runs the suites, and stops it by PID. Ends with "N passed,
# N failed"; exits 1 if anything failed. run.sh runs the same suites in its matrix.
#
#   --only REGEX   only the combinations whose name matches (e.g. 'nginx')
#   --suites LIST  comma-separated subset of sdk,auth (default both)
#   --keep         keep the scratch directory (kept anyway when a check fails)
#
# Environment: S3CGI_BUILD, S3CGI_PYTHON, S3CGI_AWS, S3CGI_TEST_TIMEOUT (as run.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${S3CGI_BUILD:-$(cd "$here/../.." && pwd)}
. "$here/lib.sh"
. "$here/client_sdk.sh"
. "$here/client_auth.sh"

only="" keep=no suites=sdk,auth
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only=${2:?--only needs a value}; shift ;;
        --suites) suites=${2:?--suites needs a value}; shift ;;
        --keep) keep=yes ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--only REGEX] [--suites sdk,auth] [--keep]" >&2; exit 2 ;;
    esac
    shift
done

MATRIX=(
    "lighttpd/fastcgi lighttpd fastcgi -"
    "nginx/fastcgi nginx fastcgi -"
    "apache/fastcgi apache fastcgi -"
    "nginx/fastcgi+prefix nginx fastcgi /s3"
)

PY=${S3CGI_PYTHON:-/usr/bin/python3}
AWS_BIN=${S3CGI_AWS:-/usr/bin/aws}
[ -x "$AWS_BIN" ] || AWS_BIN=$(command -v aws 2>/dev/null || echo /usr/bin/aws)
SERVE=$BUILD/s3cgi-serve
CTX="setup"
missing=""
[ -x "$SERVE" ] || missing="$missing $SERVE (run make)"
[ -x "$BUILD/fcgi/s3cgi-fcgi" ] || missing="$missing $BUILD/fcgi/s3cgi-fcgi"
"$PY" -c 'import boto3' 2>/dev/null || missing="$missing boto3-for-$PY"
for p in curl "$AWS_BIN" s3cmd node npm lighttpd nginx apache2 spawn-fcgi timeout setsid; do
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    bad "prerequisites" "missing:$missing (scripts/install-deps.sh test; make)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy AWS_PROFILE \
      AWS_ENDPOINT_URL AWS_SESSION_TOKEN AWS_CA_BUNDLE
export NO_PROXY=127.0.0.1,localhost,.s3.test no_proxy=127.0.0.1,localhost,.s3.test

WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3cgi-auth.XXXXXX") || exit 1
chmod 0755 "$WORK"
SERVE_PID=""
stop_serve() {
    [ -n "$SERVE_PID" ] || return 0
    local i
    kill -TERM "$SERVE_PID" 2>/dev/null
    for i in $(seq 1 150); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -KILL "$SERVE_PID" 2>/dev/null
        bad "stop" "s3cgi-serve (pid $SERVE_PID) ignored SIGTERM for 15 s"
    fi
    wait "$SERVE_PID" 2>/dev/null
    SERVE_PID=""
}
finish() {
    stop_serve
    if [ $keep = yes ] || [ $FAIL -gt 0 ]; then
        find "$WORK" -type f -size +1M -delete 2>/dev/null
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

mkdir -p "$WORK/bin"
cp "$BUILD/fcgi/s3cgi-fcgi" "$WORK/bin/" || { bad "copy binaries" "cp failed"; exit 1; }
chmod 0755 "$WORK/bin" "$WORK/bin/"*

REGION=us-east-1
AK=AKIT$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' | cut -c1-16)
SK=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-40)
VHOST_DOMAIN=s3.test
export AWS_BIN AK SK REGION PY VHOST_DOMAIN
export PYTHONDONTWRITEBYTECODE=1
auth_credentials "$WORK/credentials"

export AWS_CONFIG_FILE=$WORK/aws.config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws.credentials
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=$REGION
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1
"$AWS_BIN" configure set default.s3.addressing_style path
"$AWS_BIN" configure set default.s3.multipart_threshold 64MB

free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

run_combo() {
    local name=$1 server=$2 mode=$3 prefix=$4 id L ROOT R W port i c args
    id=$(printf '%s' "$name" | tr -c 'A-Za-z0-9\n' '_')
    L=$WORK/$id/logs ROOT=$WORK/$id/root R=$WORK/$id/ready W=$WORK/$id/scratch
    mkdir -p "$L" "$ROOT" "$W"
    chmod 0755 "$WORK/$id"
    [ "$prefix" = - ] && prefix=""
    CTX="$name"
    echo "== $name"
    for i in 1 2 3; do
        port=$(free_port) || { bad "start" "no free port"; return; }
        args=(--root "$ROOT" --listen "127.0.0.1:$port" --server "$server" --mode "$mode"
              --credentials "$WORK/credentials" --domain "$VHOST_DOMAIN" --region "$REGION"
              --workers 2 --log-dir "$L" --ready-file "$R" --fcgi-bin "$WORK/bin/s3cgi-fcgi")
        [ -n "$prefix" ] && args+=(--prefix "$prefix")
        rm -f "$R"
        "$SERVE" "${args[@]}" > "$L/serve.out" 2>&1 &
        SERVE_PID=$!
        for c in $(seq 1 300); do
            [ -e "$R" ] && break
            kill -0 "$SERVE_PID" 2>/dev/null || break
            sleep 0.2
        done
        [ -e "$R" ] && break
        stop_serve
        grep -qi 'address already in use\|could not bind\|make_sock' "$L"/*.log "$L/serve.out" 2>/dev/null || break
    done
    if [ ! -e "$R" ]; then
        bad "start s3cgi-serve" "$(brief "$(tail -n 5 "$L/serve.out" "$L/error.log" 2>&1)")"
        stop_serve
        return
    fi
    ok "start s3cgi-serve ($server $mode${prefix:+ prefix $prefix}, port $port)"
    export EP=http://127.0.0.1:$port$prefix HOSTPORT=127.0.0.1:$port W SERVER=$server ROOT

    for c in ${suites//,/ }; do
        CTX="$name $c"
        case "$c" in
            sdk) suite_sdk ;;
            auth) suite_auth ;;
            *) bad "suite" "unknown suite $c" ;;
        esac
    done

    CTX="$name"
    stop_serve
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        bad "port closed after stop" "127.0.0.1:$port still accepts connections"
    else
        ok "port closed after stop"
    fi
    if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$L"/* >/dev/null 2>&1; then
        bad "no sanitizer reports" "$(grep -h -m3 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$L"/* | head -3)"
    else
        ok "no sanitizer reports"
    fi
}

start=$(date +%s)
for m in "${MATRIX[@]}"; do
    set -- $m
    [ -z "$only" ] || printf '%s\n' "$1" | grep -Eq -- "$only" || continue
    run_combo "$@"
done

echo "== $(( $(date +%s) - start )) s"
if [ $FAIL -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${FAILED[@]}"
    exit 1
fi
exit 0
