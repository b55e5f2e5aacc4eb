#!/bin/bash
# tests/integration/sendfile_check.sh - the "sendfile" setting checked end to end:
# GetObject with the body sent by the web server (lighttpd X-Sendfile/X-Sendfile2, nginx
# X-Accel-Redirect, Apache mod_xsendfile) must answer the same bytes and the same
# headers as s3cgi streaming it itself.
#
#   tests/integration/sendfile_check.sh   (S3CGI_BUILD: a built tree, default the repo root)
#
# Starts six endpoints on 127.0.0.1: lighttpd and nginx on one data root, Apache
# (mod_fcgid) on another, each with and without --sendfile. For a set of keys (spaces, '%', '?', '+', ',', UTF-8,
# nested) with stored headers (Content-Type, Content-Encoding, Content-Disposition,
# Content-Language, Cache-Control, x-amz-meta-* on every other key), it compares per server, offloaded against streamed:
# status, body MD5 and every header but Date, Server and the request ids, for whole
# GETs, single ranges (first, middle, suffix, open-ended), a multi-range, an
# unsatisfiable range, partNumber=1, If-None-Match (304), If-Match failing (412),
# If-Range, HEAD, and a 0-byte object. It also proves that the offload happened: the
# s3cgi-fcgi processes of the --sendfile endpoints read almost none of an 8 MiB object
# they served (rchar in /proc/PID/io), while the streaming ones read all of it.
# Prints one line per failed comparison and "N passed, N failed" at the end; exits 1
# on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${S3CGI_BUILD:-$top}
work=$(mktemp -d /tmp/s3cgi-sfcheck.XXXXXX)
pids=()
cleanup() {
    [ -n "${KEEP:-}" ] && { echo "kept $work"; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; return; }
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
AK=AKSFCHECK; SK=sfchecksecret0123456789
root=$work/root; mkdir -p "$root"
port_base=$((20000 + RANDOM % 20000)); nport=0
declare -A URL PID
serve() {   # serve NAME s3cgi-serve-options...
    local name=$1; shift
    local port=$((port_base + nport)); nport=$((nport + 1))
    mkdir -p "$work/$name"
    "$build/s3cgi-serve" --root "$root" --listen "127.0.0.1:$port" --access-key $AK --secret-key $SK \
        --workers 1 --log-dir "$work/$name/logs" --ready-file "$work/$name/ready" "$@" \
        >"$work/$name/out" 2>&1 &
    pids+=($!); PID[$name]=$!
    for _ in $(seq 150); do [ -f "$work/$name/ready" ] && break; sleep 0.1; done
    [ -f "$work/$name/ready" ] || { cat "$work/$name/out" >&2; echo "sendfile_check: $name did not start" >&2; exit 1; }
    URL[$name]=http://127.0.0.1:$port
}
# Apache with mod_fcgid runs s3cgi as its children's user (www-data when started as
# root), who must own its data root; the same objects are put there.
root_ap=$work/root-ap; mkdir -p "$root_ap"
[ "$(id -u)" -eq 0 ] && { chmod 755 "$work"; chown www-data: "$root_ap"; }
serve lt --server lighttpd
serve ltsf --server lighttpd --sendfile
# nginx started as root runs its workers as www-data, which could not open the objects
# (mode 0600, written by s3cgi-fcgi running as root) that X-Accel-Redirect hands it.
nguser=(); [ "$(id -u)" -eq 0 ] && nguser=(--user root)
serve ng --server nginx "${nguser[@]}"
serve ngsf --server nginx --sendfile "${nguser[@]}"
root=$root_ap serve ap --server apache --mode fcgid
root=$root_ap serve apsf --server apache --mode fcgid --sendfile

sig=(--aws-sigv4 aws:amz:us-east-1:s3 -u "$AK:$SK")
S() { curl -s "${sig[@]}" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/-_.~"))' "$1"; }
keys=("plain" "with space" "per%cent" "ques?tion" "plus+and,comma" "ünï/cødé €" "a/b/c/deep" "hash#tag")
head -c 1000003 /dev/urandom > "$work/blob"
: > "$work/empty"
head -c $((8 << 20)) /dev/urandom > "$work/big"
put_all() {     # put_all BASE-URL: the bucket and its objects
    local base=$1 i=0 k meta enc_hdr
    S -X PUT "$base/sfb" >/dev/null
    for k in "${keys[@]}"; do
        i=$((i + 1))
        # x-amz-meta-* on every other key: nginx offloads only objects without it;
        # Content-Encoding on every third: Apache offloads only objects without it
        meta=(); [ $((i % 2)) -eq 0 ] && meta=(-H "x-amz-meta-color: blue$i")
        enc_hdr=(); [ $((i % 3)) -eq 0 ] && enc_hdr=(-H "Content-Encoding: gzip")
        S -X PUT -T "$work/blob" -H "Content-Type: text/x-test$i" "${enc_hdr[@]}" \
            -H "Content-Language: fr-$i" -H "Content-Disposition: attachment; filename=\"f$i\"" \
            -H "Cache-Control: max-age=$i" "${meta[@]}" "$base/sfb/$(enc "$k")" -o /dev/null -w '%{http_code}' |
            grep -q 200 || { echo "sendfile_check: PUT $k to $base failed" >&2; exit 1; }
    done
    S -X PUT -T "$work/empty" "$base/sfb/empty" -o /dev/null
    S -X PUT -T "$work/big" "$base/sfb/big" -o /dev/null
}
put_all "${URL[lt]}"
put_all "${URL[ap]}"
etag=$(S -I "${URL[lt]}/sfb/plain" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
lastmod=$(S -I "${URL[lt]}/sfb/plain" | tr -d '\r' | sed -n 's/^[Ll]ast-[Mm]odified: //p')

# fetch BASE PATH curl-args... -> "status md5" then sorted headers, normalised
fetch() {
    local base=$1 path=$2; shift 2
    local h=$work/h b=$work/b
    S "$@" -D "$h" -o "$b" "$base$path" >/dev/null
    head -n 1 "$h" | awk '{ print $2 }'
    # error bodies carry the request id (RequestId, HostId); HEAD's "body" (curl -I) is the header block
    tr -d '\r' < "$b" | sed -e 's|<RequestId>[^<]*</RequestId>||' -e 's|<HostId>[^<]*</HostId>||' |
        grep -aviE '^(date|server|x-amz-request-id|x-amz-id-2):' | md5sum | cut -d' ' -f1
    tail -n +2 "$h" | tr -d '\r' | grep -v '^$' |
        grep -viE '^(date|server|x-amz-request-id|x-amz-id-2|connection|keep-alive):' |
        awk -F': ' '{ printf "%s: %s\n", tolower($1), $2 }' | sort
}
pass=0 fail=0
check() {   # check LABEL PATH curl-args...
    local label=$1 path=$2; shift 2
    for pair in "lt ltsf" "ng ngsf" "ap apsf"; do
        set -- $pair "$@"
        local ref=$1 sf=$2; shift 2
        # nginx's own 206 has no Accept-Ranges (its 200 does; s3cgi then sends none)
        local drop='^$'; [ "$ref" = ng ] && drop='^accept-ranges:'
        fetch "${URL[$ref]}" "$path" "$@" | grep -av "$drop" > "$work/ref.txt"
        fetch "${URL[$sf]}" "$path" "$@" | grep -av "$drop" > "$work/sf.txt"
        if cmp -s "$work/ref.txt" "$work/sf.txt"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL $sf vs $ref: $label ($path)"
            diff "$work/ref.txt" "$work/sf.txt" | sed 's/^/    /' | head -n 12
        fi
    done
}
for k in "${keys[@]}"; do
    p=/sfb/$(enc "$k")
    check "whole" "$p"
    check "range first bytes" "$p" -H 'Range: bytes=0-99'
    check "range middle" "$p" -H 'Range: bytes=500000-600000'
done
p=/sfb/plain
check "suffix range" "$p" -H 'Range: bytes=-777'
check "open-ended range" "$p" -H 'Range: bytes=999990-'
check "multi-range (S3 answers the whole object)" "$p" -H 'Range: bytes=0-1,5-6'
check "unsatisfiable range" "$p" -H 'Range: bytes=2000000-'
check "partNumber=1" "$p?partNumber=1"
check "If-None-Match -> 304" "$p" -H "If-None-Match: $etag"
check "If-Match failing -> 412" "$p" -H 'If-Match: "0123"'
check "If-Modified-Since -> 304" "$p" -H "If-Modified-Since: $lastmod"
check "If-Range matching" "$p" -H 'Range: bytes=10-20' -H "If-Range: $etag"
check "If-Range not matching" "$p" -H 'Range: bytes=10-20' -H 'If-Range: "nope"'
check "HEAD" "$p" -I
check "response-content-type override" "$p?response-content-type=x%2Fy"
check "checksum mode" "$p" -H 'x-amz-checksum-mode: ENABLED'
check "response-content-encoding override" "$p?response-content-encoding=br"
check "0-byte object" /sfb/empty
check "missing key" /sfb/nothing-here
check "8 MiB object" /sfb/big

# Proof of offload: what the s3cgi-fcgi processes of each endpoint read for one GET.
rchar() {   # rchar SERVE_PID: summed rchar of the s3cgi-fcgi processes under it
    local sids p total=0
    sids=$(ps -o sid= --ppid "$1" | tr -s ' \n' '  ')
    for p in $(ps -e -o pid=,sid=,comm= | awk -v s=" $sids " 'index(s, " " $2 " ") && $3 ~ /^s3cgi-fcgi/ { print $1 }'); do
        total=$((total + $(awk '/^rchar:/ { print $2 }' /proc/$p/io 2>/dev/null || echo 0)))
    done
    echo $total
}
for name in lt ltsf ng ngsf ap apsf; do
    before=$(rchar "${PID[$name]}")
    S "${URL[$name]}/sfb/big" -o "$work/bigout"
    after=$(rchar "${PID[$name]}")
    read_bytes=$((after - before))
    if cmp -s "$work/big" "$work/bigout"; then
        case $name in
            *sf) [ $read_bytes -lt $((1 << 20)) ] && ok=1 || ok=0 ;;
            *)   [ $read_bytes -ge $((8 << 20)) ] && ok=1 || ok=0 ;;
        esac
    else
        ok=0
    fi
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    printf '%s %-5s 8 MiB GET: s3cgi-fcgi read %d bytes\n' "$([ $ok = 1 ] && echo ok || echo FAIL)" "$name" "$read_bytes"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
