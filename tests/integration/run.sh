#!/bin/bash
# tests/integration/run.sh [--quick] [--only REGEX] [--suites LIST] [--keep]
#
# Drives the real s3cgi binaries behind real web servers with real S3 clients: for each
# combination below it starts `s3cgi-serve` (from the build tree: $S3CGI_BUILD, default
# the repository root) on a free 127.0.0.1 port over a fresh data root, runs the client
# suites against it, and stops it. Ends with the line "N passed, N failed"; exits 1 if
# anything failed.
#
#   --quick        lighttpd/fastcgi only, with curl, aws CLI and boto3 (about a minute)
#   --only REGEX   only the combinations whose name matches (e.g. 'nginx', 'apache/cgi')
#   --suites LIST  only these client suites (comma-separated names: curl, aws, boto3,
#                  s3cmd, rclone, multipart, faults), where the matrix lists them
#   --keep         keep the scratch directory (logs are kept anyway when a check fails)
#
# Environment: S3CGI_BUILD (top build dir), S3CGI_PYTHON (default /usr/bin/python3,
# which has python3-boto3), S3CGI_AWS (default /usr/bin/aws, Debian's awscli),
# S3CGI_TEST_TIMEOUT (seconds per client command, default 300).
# Clients and web servers: scripts/install-deps.sh test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${S3CGI_BUILD:-$(cd "$here/../.." && pwd)}
. "$here/lib.sh"
. "$here/client_curl.sh"
. "$here/client_aws.sh"
. "$here/client_s3cmd.sh"
. "$here/client_rclone.sh"
. "$here/client_multipart.sh"
. "$here/faults.sh"
. "$here/client_sdk.sh"
. "$here/client_auth.sh"

quick=no only="" suites="" keep=no
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=yes ;;
        --only) only=${2:?--only needs a value}; shift ;;
        --suites) suites=,${2:?--suites needs a value},; shift ;;
        --keep) keep=yes ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--quick] [--only REGEX] [--suites LIST] [--keep]" >&2; exit 2 ;;
    esac
    shift
done

# The matrix: name, server, mode, prefix, client suites. A suite is NAME or NAME:LEVEL;
# run_combo calls the shell function suite_NAME with LEVEL (default "core"), except
# boto3 (a Python script). Adding a suite: source its file above, add its name here.
#
# Every combination runs the raw-HTTP checks (curl) and the core suites of the aws CLI,
# boto3, s3cmd and rclone, which each cover buckets, put/head/get of small, empty and
# 20 MiB objects, ranges, prefix/delimiter listing, pagination of 1,100 keys,
# special-character keys and the error codes; lighttpd/fastcgi (the default setup)
# runs the full suites. The multipart suite (100 MiB in 5 MiB parts with the aws CLI)
# runs on the three FastCGI setups, in full (UploadPartCopy, boto3, s3cmd, rclone,
# ListParts/ListMultipartUploads pagination) on lighttpd/fastcgi, with the faults
# (concurrent Completes, kill -9 mid-Complete and mid-PUT, racing UploadParts).
# mod_fcgid and the .htaccess drop-in skip the aws CLI (its start-up dominates the run
# time; boto3 drives the same botocore). nginx/fastcgi+prefix and the .htaccess setup
# run under the /s3 prefix, where s3cmd cannot sign (it reports a skip).
if [ $quick = yes ]; then
    MATRIX=("lighttpd/fastcgi lighttpd fastcgi - curl,aws,boto3")
else
    MATRIX=(
        "lighttpd/fastcgi lighttpd fastcgi - curl,aws:full,boto3:full,s3cmd:full,rclone,multipart:full,faults,sdk,auth"
        "lighttpd/cgi lighttpd cgi - curl,aws,boto3,s3cmd,rclone"
        "nginx/fastcgi nginx fastcgi - curl,aws,boto3,s3cmd,rclone,multipart,sdk,auth"
        "nginx/cgi nginx cgi - curl,aws,boto3,s3cmd,rclone"
        "apache/fastcgi apache fastcgi - curl,aws,boto3,s3cmd,rclone,multipart,sdk,auth"
        "apache/cgi apache cgi - curl,aws,boto3,s3cmd,rclone"
        "nginx/fastcgi+prefix nginx fastcgi /s3 curl,aws,boto3,s3cmd,rclone,sdk,auth"
        "apache/fcgid apache fcgid - curl,boto3,s3cmd,rclone"
        "apache/htaccess+prefix apache htaccess /s3 curl,boto3,s3cmd,rclone"
    )
fi

# ---- prerequisites -----------------------------------------------------------------
PY=${S3CGI_PYTHON:-/usr/bin/python3}
AWS_BIN=${S3CGI_AWS:-/usr/bin/aws}
[ -x "$AWS_BIN" ] || AWS_BIN=$(command -v aws 2>/dev/null || echo /usr/bin/aws)
SERVE=$BUILD/s3cgi-serve
CTX="setup"
missing=""
[ -x "$SERVE" ] || missing="$missing $SERVE (run make)"
[ -x "$BUILD/fcgi/s3cgi-fcgi" ] || missing="$missing $BUILD/fcgi/s3cgi-fcgi"
[ -x "$BUILD/cgi/s3cgi-cgi" ] || missing="$missing $BUILD/cgi/s3cgi-cgi"
"$PY" -c 'import boto3' 2>/dev/null || missing="$missing boto3-for-$PY"
missing="$missing$(missing_tools curl "$AWS_BIN" s3cmd rclone lighttpd nginx apache2 spawn-fcgi fcgiwrap \
                                 timeout setsid node npm)"
require_prerequisites "scripts/install-deps.sh test; make"
isolate_clients

WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3cgi-it.XXXXXX") || exit 1
chmod 0755 "$WORK"     # Apache's CGI (www-data when run as root) walks into data roots
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
# On any exit: stop the server, keep the logs if something failed, and print the
# summary as the very last line.
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

# The binaries under test, copied once: a rebuild in the build tree during the run
# cannot change them half-way.
mkdir -p "$WORK/bin"
cp "$BUILD/fcgi/s3cgi-fcgi" "$BUILD/cgi/s3cgi-cgi" "$WORK/bin/" || { bad "copy binaries" "cp failed"; exit 1; }
chmod 0755 "$WORK/bin" "$WORK/bin/"*

REGION=us-east-1
AK=AKIT$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' | cut -c1-16)
SK=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-40)
BIG=$WORK/big.bin SMALL=$WORK/small.txt EMPTY=$WORK/empty
BIG100=$WORK/big100.bin   # made by the multipart suite when it first runs
FCGI_BIN=$WORK/bin/s3cgi-fcgi
head -c $((20 * 1024 * 1024)) /dev/urandom > "$BIG"
for i in $(seq 1 40); do echo "small object line $i"; done > "$SMALL"
: > "$EMPTY"
# The ETag of BIG uploaded in 5 MiB parts: MD5 of the parts' MD5s, "-" and the count.
MP_ETAG=$("$PY" -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read(); n = 5 * 1024 * 1024
parts = [d[i:i + n] for i in range(0, len(d), n)]
print("%s-%d" % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(), len(parts)))' "$BIG")
SPECIAL_KEYS=("with space.txt" "unicodé/ключ/日本.txt" "plus+amp&eq=pct%q?hash#.txt" "dir with space/x y")
SPECIAL_JSON=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${SPECIAL_KEYS[@]}")
export SPECIAL_JSON
PLACED=placed
export AWS_BIN AK SK REGION PY BIG BIG100 SMALL EMPTY PLACED MP_ETAG FCGI_BIN HERE=$here
# several users (client_auth.sh): the first line is "AK SK admin", as s3cgi-serve writes
export VHOST_DOMAIN=s3.test
auth_credentials "$WORK/credentials"

export AWS_CONFIG_FILE=$WORK/aws.config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws.credentials
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=$REGION
export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1
# (What `aws configure set default.s3.X` writes, without starting the CLI three times.
# multipart_threshold 64MB: one PUT per object in every suite but the multipart one,
# which writes its own files; it relies on the s3 block being last.)
cat > "$AWS_CONFIG_FILE" <<'EOC'
[default]
s3 =
    addressing_style = path
    multipart_threshold = 64MB
    max_concurrent_requests = 4
EOC

free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

# place_files ROOT: the bucket "placed", written straight into the data root as a tree
# that existed before s3cgi: 1,100 numbered keys and four whose order is subtle.
place_files() {
    local d=$1/$PLACED i
    mkdir -p "$d/p" "$d/order/a"
    for i in $(seq -f '%04g' 0 1099); do printf 'placed %s\n' "$i" > "$d/p/$i"; done
    for i in a-b a.b a0 a/b; do printf 'order %s\n' "$i" > "$d/order/$i"; done
}

# ---- one combination -------------------------------------------------------------
run_combo() {
    local name=$1 server=$2 mode=$3 prefix=$4 clients=$5 id L ROOT R port i c level args
    id=$(printf '%s' "$name" | tr -c 'A-Za-z0-9\n' '_')
    L=$WORK/$id/logs ROOT=$WORK/$id/root R=$WORK/$id/ready W=$WORK/$id/scratch
    mkdir -p "$L" "$ROOT" "$W"
    chmod 0755 "$WORK/$id"
    place_files "$ROOT"
    # Apache's CGI-like modes run s3cgi as www-data when started as root.
    if [ "$(id -u)" -eq 0 ] && [ "$server" = apache ] && [ "$mode" != fastcgi ]; then
        chown -R www-data:www-data "$ROOT"
    fi
    [ "$prefix" = - ] && prefix=""
    CTX="$name"
    echo "== $name"
    for i in 1 2 3; do      # a port taken between free_port and bind: try another
        port=$(free_port) || { bad "start" "no free port"; return; }
        args=(--root "$ROOT" --listen "127.0.0.1:$port" --server "$server" --mode "$mode"
              --credentials "$WORK/credentials" --domain "$VHOST_DOMAIN" --region "$REGION" --workers 2
              --log-dir "$L" --ready-file "$R"
              --fcgi-bin "$WORK/bin/s3cgi-fcgi" --cgi-bin "$WORK/bin/s3cgi-cgi")
        [ -n "$prefix" ] && args+=(--prefix "$prefix")
        rm -f "$R"
        "$SERVE" "${args[@]}" > "$L/serve.out" 2>&1 &
        SERVE_PID=$!
        for c in $(seq 1 300); do        # up to 60 s
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
    # What the suites may use besides the globals above: the endpoint, the web server
    # and mode, the mount prefix, the data root and log directory of this combination.
    export EP=http://127.0.0.1:$port$prefix HOSTPORT=127.0.0.1:$port W SERVER=$server \
           MODE=$mode PREFIX=$prefix S3ROOT=$ROOT S3LOGS=$L

    for c in ${clients//,/ }; do
        level=core
        case "$c" in *:*) level=${c#*:}; c=${c%%:*} ;; esac
        [ -z "$suites" ] || case "$suites" in *",$c,"*) ;; *) continue ;; esac
        CTX="$name $c"
        t0=$(date +%s)
        case "$c" in
            boto3)
                args=(--endpoint "$EP" --access-key "$AK" --secret-key "$SK" --region "$REGION"
                      --bucket t-boto3 --big "$BIG" --placed "$PLACED" --server "$server")
                [ "$level" = full ] && args+=(--full)
                timeout -k 5 900 "$PY" "$here/s3_boto3.py" "${args[@]}" > "$W/boto3.out" 2>&1 ||
                    bad "suite" "s3_boto3.py exited $?"
                count_results "$W/boto3.out" ;;
            *)
                if declare -F "suite_$c" >/dev/null; then "suite_$c" "$level"
                else bad "suite" "no function suite_$c (source its file in run.sh)"; fi ;;
        esac
        echo "== $name $c: $(( $(date +%s) - t0 )) s"
    done

    CTX="$name"
    stop_serve
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        bad "port closed after stop" "127.0.0.1:$port still accepts connections"
    else
        ok "port closed after stop"
    fi
    # Sanitizer builds (--enable-sanitizers): their reports end up in the server logs.
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
