#!/bin/bash
# bench/run.sh - the benchmark suite: figures printed, never pass/fail timings.
#
#   bench/run.sh [--quick] [--soak]          (make bench runs it with S3CGI_BUILD set)
#
# Every figure is a ratio measured side by side in one run: all contenders are up at
# once, each measurement round runs every contender of a test one after the other
# (interleaved), and a figure is the median of the rounds with the spread (min-max)
# printed next to it. Absolute rates on a shared 2-core machine are noise; ratios taken
# seconds apart on the same machine are not.
#
# Contenders (all on 127.0.0.1, all on one data root on one filesystem):
#   s3cgi/lighttpd     s3cgi-fcgi behind lighttpd (s3cgi-serve, 2 processes, fsync on)
#   s3cgi/nginx        s3cgi-fcgi behind nginx (spawn-fcgi, 2 processes, fsync on)
#   s3cgi/lt+sendfile  as s3cgi/lighttpd with "sendfile = x-sendfile"
#   s3cgi/lt nofsync   as s3cgi/lighttpd with "fsync = off"
#   s3cgi/lt 16 procs  as s3cgi/lighttpd with 16 processes (PUT x16 only): a process
#                      waits in fsync, so durable small PUTs overlap only as far as
#                      there are processes; rawput gets 16 threads
#   s3cgi-cgi/lighttpd s3cgi-cgi behind lighttpd's mod_cgi
#   trivial-fcgi       the floor: bench/trivial_fcgi behind the same lighttpd setup
#                      (reads the body, answers 4 KiB or an empty 200)
#   trivial-cgi        the floor for CGI: bench/trivial_cgi behind the same mod_cgi setup
#   static             the GET ceiling: a second lighttpd serving the data root as
#                      plain files (bench/lighttpd-static.conf)
#   rawput             the small-PUT ceiling: bench/rawput.c, write+fsync+rename+
#                      dir-fsync of 4 KiB files (1 or 16 threads)
#   dd                 the large-PUT ceiling: dd bs=1M count=64 conv=fsync
#   s3rver             a peer: s3rver (npm; bench/package.json) on its own copy of
#                      the listing bucket
# Tests: PUT and GET of 4 KiB at 1 and 16 connections, HEAD at 16, ListObjectsV2 of a
# 10,000-key bucket in pages of 1,000 (full listings per second), PUT and GET of
# 64 MiB, and the peak RSS (VmHWM) of every server process at the end. Every response
# is checked by loadgen (status; body MD5 against the ETag or the known content for
# every 4 KiB GET; every 64 MiB object is fetched once with its MD5 checked before the
# timed GETs, which check status and length); errors are counted and printed.
#
# --quick: 3 rounds of 0.7 s measurements (about 2 minutes). Default: 5 rounds of 2 s
# (about 10 minutes). --soak adds the older long checks (2 GiB PUT/GET, 1,024-part
# multipart, 10,000 mixed requests with RSS and valgrind); tens of minutes.
#
# Needs a built tree (S3CGI_BUILD, default the repo root) with bench/loadgen
# (libcurl found by configure: scripts/install-deps.sh bench), lighttpd, nginx,
# spawn-fcgi, and for the s3rver row node/npm (bench/node_modules is installed with
# `npm ci` from the committed package-lock.json when missing; without npm the row is
# skipped).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${S3CGI_BUILD:-$top}
quick=0 soak=0
for a in "$@"; do
    case "$a" in
        --quick) quick=1 ;;
        --soak) soak=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: bench/run.sh [--quick] [--soak]" >&2; exit 2 ;;
    esac
done
LG=$build/bench/loadgen
[ -x "$LG" ] || { echo "bench: $LG missing (install libcurl4-openssl-dev, re-run configure)" >&2; exit 1; }
for p in lighttpd nginx spawn-fcgi; do
    command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] || { echo "bench: $p not found" >&2; exit 1; }
done
lighttpd=$(command -v lighttpd || echo /usr/sbin/lighttpd)
work=$(mktemp -d /tmp/s3cgi-bench.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
AK=AKBENCH; SK=benchsecretkey0123456789
port_base=$((20000 + RANDOM % 20000))
nport=0
next_port() { PORT=$((port_base + nport)); nport=$((nport + 1)); }
die() { echo "bench: $*" >&2; exit 1; }

# rawput: built by make when Makefile.am lists it, else compiled here.
RAWPUT=$build/bench/rawput
if [ ! -x "$RAWPUT" ]; then
    RAWPUT=$work/rawput
    ${CC:-cc} -O2 -std=gnu11 -pthread "$top/bench/rawput.c" -o "$RAWPUT" || die "cannot build bench/rawput.c"
fi

if [ $quick -eq 1 ]; then rounds=3; dur=0.7; n64=1; else rounds=5; dur=2; n64=2; fi
MANY=100000000       # request counts are bounded by --max-seconds instead

# ---- servers -----------------------------------------------------------------------
declare -A URL SPID LABEL
data=$work/data
mkdir -p "$data"
chmod 0755 "$data"

# serve NAME LABEL [s3cgi-serve options...]: an s3cgi-serve on the shared data root
serve() {
    local name=$1 label=$2; shift 2
    next_port
    mkdir -p "$work/$name"
    "$build/s3cgi-serve" --root "$data" --listen "127.0.0.1:$PORT" \
        --access-key $AK --secret-key $SK --log-dir "$work/$name/logs" \
        --ready-file "$work/$name/ready" "$@" >"$work/$name/serve.out" 2>&1 &
    pids+=($!); SPID[$name]=$!
    for _ in $(seq 300); do [ -f "$work/$name/ready" ] && break; sleep 0.1; done
    [ -f "$work/$name/ready" ] || { cat "$work/$name/serve.out" >&2; die "$name did not start"; }
    URL[$name]=http://127.0.0.1:$PORT
    LABEL[$name]=$label
}

serve s3lt  "s3cgi/lighttpd"      --workers 2
serve s3ng  "s3cgi/nginx"         --workers 2 --server nginx
serve s3sf  "s3cgi/lt+sendfile"   --workers 2 --sendfile
serve s3nf  "s3cgi/lt nofsync"    --workers 2 --no-fsync
serve s3p16 "s3cgi/lt 16 procs"   --workers 16
serve s3cgi "s3cgi-cgi/lighttpd"  --mode cgi
serve trlt  "trivial-fcgi/lt"     --workers 2 --fcgi-bin "$build/bench/trivial_fcgi"
serve trcgi "trivial-cgi/lt"      --mode cgi --cgi-bin "$build/bench/trivial_cgi"

# static: a plain lighttpd on the data root
next_port
mkdir -p "$work/static"
sed -e "s|@ROOT@|$data|g" -e "s|@PORT@|$PORT|g" -e "s|@DIR@|$work/static|g" \
    "$top/bench/lighttpd-static.conf" > "$work/static/lighttpd.conf"
"$lighttpd" -D -f "$work/static/lighttpd.conf" >"$work/static/out" 2>&1 &
pids+=($!); SPID[static]=$!
URL[static]=http://127.0.0.1:$PORT; LABEL[static]="static lighttpd"

# s3rver: from bench/node_modules (npm ci from the lock file if missing)
s3rver_js=$top/bench/node_modules/s3rver/bin/s3rver.js
if [ ! -f "$s3rver_js" ] && command -v npm >/dev/null 2>&1; then
    (cd "$top/bench" && npm ci --no-audit --no-fund >"$work/npm.log" 2>&1) ||
        echo "bench: npm ci in bench/ failed (see below); no s3rver row" >&2
fi
have_s3rver=0
if [ -f "$s3rver_js" ] && command -v node >/dev/null 2>&1; then
    next_port
    mkdir -p "$work/s3rver/data/lst"
    have_s3rver=1
fi

SIG=(--aws-sigv4 aws:amz:us-east-1:s3 -u "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
for b in b4k put big lst; do
    curl -sf "${SIG[@]}" -X PUT "${URL[s3lt]}/$b" >/dev/null || die "cannot create bucket $b"
done
mkdir -p "$data/rawput" "$data/rawput1"

# ---- data --------------------------------------------------------------------------
k4urls() { local i; for ((i = 0; i < 100; i++)); do echo "$1/k$i"; done; }
p4urls() { local i; for ((i = 0; i < 100; i++)); do echo "$1/p$i"; done; }
body_md5() { yes abcdefghijklmnopqrstuvwxyz | tr -d '\n' | head -c "$1" | md5sum | cut -d' ' -f1; }
MD5_4K=$(body_md5 4096)
TRIVIAL_MD5=20439f79e4e9dc95be34b21029221f80
"$LG" --method PUT --aws $AK:$SK --conns 4 --requests 100 --body-size 4096 $(k4urls "${URL[s3lt]}/b4k") >/dev/null ||
    die "cannot write the 4 KiB objects"
"$LG" --method PUT --aws $AK:$SK --requests 1 --body-size $((64 << 20)) --max-seconds 300 "${URL[s3lt]}/big/obj" >/dev/null ||
    die "cannot write the 64 MiB object"
MD5_64M=$(md5sum < "$data/big/obj" | cut -d' ' -f1)
# 10,000 keys written straight into the data root (a tree that existed before s3cgi),
# the same keys in s3rver's layout; one listing each warms the ETag cache (s3cgi keeps
# the MD5 in an xattr) and s3rver's .md5 files.
python3 - "$data/lst" "$work/s3rver/data/lst" <<'PY'
import hashlib, os, sys
a, b = sys.argv[1], sys.argv[2]
for i in range(10000):
    k = "k%05d" % i
    body = ("object %d\n" % i).encode() * 10
    with open(os.path.join(a, k), "wb") as f:
        f.write(body)
    if os.path.isdir(b):
        with open(os.path.join(b, k + "._S3rver_object"), "wb") as f:
            f.write(body)
        with open(os.path.join(b, k + "._S3rver_object.md5"), "w") as f:
            f.write(hashlib.md5(body).hexdigest())
PY
if [ $have_s3rver = 1 ]; then
    # s3rver 3.7 signs continuation tokens with DES, which OpenSSL 3 keeps in its
    # legacy provider: without the flag every truncated listing is a 500.
    node --openssl-legacy-provider "$s3rver_js" -d "$work/s3rver/data" -a 127.0.0.1 -p $PORT --silent >"$work/s3rver/out" 2>&1 &
    pids+=($!); SPID[s3rver]=$!
    URL[s3rver]=http://127.0.0.1:$PORT; LABEL[s3rver]="s3rver $(node -p "require('$top/bench/node_modules/s3rver/package.json').version") (node $(node -v))"
    for _ in $(seq 100); do curl -s -o /dev/null "${URL[s3rver]}/" && break; sleep 0.1; done
fi
for _ in $(seq 50); do curl -s -o /dev/null "${URL[static]}/" && break; sleep 0.1; done
"$LG" --list --aws $AK:$SK --requests 1 --expect-keys 10000 "${URL[s3lt]}/lst" >/dev/null || die "warm-up listing failed"
[ $have_s3rver = 0 ] ||
    "$LG" --list --aws S3RVER:S3RVER --requests 1 --expect-keys 10000 "${URL[s3rver]}/lst" >/dev/null ||
    die "s3rver warm-up listing failed"
# every contender serves the 64 MiB object with the right MD5 once, before the timing
for c in s3lt s3sf s3ng; do
    "$LG" --aws $AK:$SK --check-md5 --max-seconds 300 --requests 1 "${URL[$c]}/big/obj" >/dev/null ||
        die "${LABEL[$c]}: 64 MiB GET has the wrong MD5"
done
"$LG" --md5 "$MD5_64M" --requests 1 --max-seconds 300 "${URL[static]}/big/obj" >/dev/null ||
    die "static: 64 MiB GET has the wrong MD5"

# ---- measuring ---------------------------------------------------------------------
declare -A R E N UNIT
ERRLOG=$work/errors.log
record() {  # record KEY UNIT-SCALE LINE: takes rate and errors from a loadgen-style line
    local key=$1 scale=$2 line=$3 rate errs reqs
    rate=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<<"$line")
    errs=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
    reqs=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' <<<"$line")
    [ -n "$rate" ] || { rate=0; errs=1; reqs=0; echo "$key: no result" >>"$ERRLOG"; }
    R[$key]+="$(echo "$rate * $scale" | bc -l) "
    E[$key]=$(( ${E[$key]:-0} + ${errs:-0} ))
    N[$key]=$(( ${N[$key]:-0} + ${reqs:-0} ))
}
lg() {  # lg KEY SCALE loadgen-args...
    local key=$1 scale=$2; shift 2
    record "$key" "$scale" "$("$LG" "$@" 2>>"$ERRLOG")"
}
md5_for() { case $1 in trlt|trcgi) echo "--md5 $TRIVIAL_MD5" ;; static) echo "--md5 $MD5_4K" ;; *) echo "--check-md5" ;; esac; }

get4k() {  # get4k CONNS CONTENDER
    lg "get$1:$2" 1 --aws $AK:$SK --conns "$1" --requests $MANY --max-seconds $dur $(md5_for "$2") \
        $(k4urls "${URL[$2]}/b4k")
}
head4k() { lg "head16:$1" 1 --method HEAD --aws $AK:$SK --conns 16 --requests $MANY --max-seconds $dur $(k4urls "${URL[$1]}/b4k"); }
put4k() {  # put4k CONNS CONTENDER
    case $2 in
        raw*) local t=1 f=(); [ "$1" = 16 ] && t=16
              [ "$2" = rawnf ] && f=(--no-fsync)
              record "put$1:$2" 1 "$("$RAWPUT" --threads $t --seconds $dur "${f[@]}" "$data/rawput$([ $t = 1 ] && echo 1)" 2>>"$ERRLOG")" ;;
        *)    lg "put$1:$2" 1 --method PUT --aws $AK:$SK --conns "$1" --requests $MANY --max-seconds $dur \
                  --body-size 4096 $(p4urls "${URL[$2]}/put") ;;
    esac
}
list10k() {
    local user=$AK:$SK; [ "$1" = s3rver ] && user=S3RVER:S3RVER
    lg "list:$1" 1 --list --aws "$user" --requests $MANY --max-seconds $dur --expect-keys 10000 --page-size 1000 \
        "${URL[$1]}/lst"
}
put64() {
    if [ "$1" = dd ]; then
        local t0 t1 i
        t0=$(date +%s.%N)
        for ((i = 0; i < n64; i++)); do
            dd if=/dev/zero of="$data/dd.out" bs=1M count=64 conv=fsync status=none 2>>"$ERRLOG" || echo "dd failed" >>"$ERRLOG"
        done
        t1=$(date +%s.%N)
        rm -f "$data/dd.out"
        record "put64:dd" 64 "requests=$n64 errors=0 rate=$(echo "$n64 / ($t1 - $t0)" | bc -l)"
    else
        lg "put64:$1" 64 --method PUT --aws $AK:$SK --requests $n64 --max-seconds 600 --body-size $((64 << 20)) \
            "${URL[$1]}/big/put64"
    fi
}
get64() {
    local auth=(--aws $AK:$SK); [ "$1" = static ] && auth=()
    lg "get64:$1" 64 "${auth[@]}" --requests $((2 * n64)) --max-seconds 600 "${URL[$1]}/big/obj"
}

TESTS="get1 get16 head16 put1 put16 list put64 get64"
declare -A WHO TITLE REF
WHO[get1]="s3lt s3ng s3sf trlt static s3cgi trcgi";   TITLE[get1]="GET 4 KiB x1";   REF[get1]=trlt
WHO[get16]="s3lt s3ng s3sf trlt static s3cgi trcgi";  TITLE[get16]="GET 4 KiB x16"; REF[get16]=trlt
WHO[head16]="s3lt s3ng trlt static s3cgi trcgi";      TITLE[head16]="HEAD x16";     REF[head16]=trlt
WHO[put1]="s3lt s3nf trlt raw";                       TITLE[put1]="PUT 4 KiB x1";    REF[put1]=raw
WHO[put16]="s3lt s3p16 s3ng s3nf trlt raw rawnf s3cgi trcgi"; TITLE[put16]="PUT 4 KiB x16"; REF[put16]=raw
WHO[list]="s3lt s3ng";                                TITLE[list]="LIST 10,000 keys, pages of 1,000"; REF[list]=s3rver
WHO[put64]="s3lt s3ng s3nf dd";                       TITLE[put64]="PUT 64 MiB x1";  REF[put64]=dd
WHO[get64]="s3lt s3sf s3ng static";                   TITLE[get64]="GET 64 MiB x1";  REF[get64]=static
[ $have_s3rver = 1 ] && WHO[list]+=" s3rver"
LABEL[raw]="rawput (write+fsync+rename+dirsync)"; LABEL[rawnf]="rawput, no fsync"; LABEL[dd]="dd bs=1M conv=fsync"
for t in get1 get16 head16 put1 put16; do UNIT[$t]="req/s"; done
UNIT[list]="listings/s"; UNIT[put64]="MiB/s"; UNIT[get64]="MiB/s"

echo "s3cgi benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on $(df "$work" | awk 'NR == 2 { print $1 }')"
echo "command: bench/run.sh $*  ($rounds rounds of ${dur} s per measurement, contenders interleaved)"
echo
t_start=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
    for t in $TESTS; do
        for c in ${WHO[$t]}; do
            case $t in
                get1) get4k 1 $c ;; get16) get4k 16 $c ;; head16) head4k $c ;;
                put1) put4k 1 $c ;; put16) put4k 16 $c ;; list) list10k $c ;;
                put64) put64 $c ;; get64) get64 $c ;;
            esac
        done
    done
    echo "round $r/$rounds done ($(( $(date +%s) - t_start )) s)" >&2
done

# ---- the table -----------------------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print 0; exit } m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", fmt(lo), fmt(hi) } function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }'; }
fmt() { awk -v x="$1" 'BEGIN { if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }
med() { echo "${R[$1]:-}" | median; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-40s %-36s %11s %17s %7s %9s\n' "test" "contender" "median" "spread (min-max)" "ratio" "errors"
printf '%-40s %-36s %11s %17s %7s %9s\n' "----" "---------" "------" "----------------" "-----" "------"
total_err=0
for t in $TESTS; do
    ref=${REF[$t]}
    for c in ${WHO[$t]}; do
        k="$t:$c"
        rr=$(ratio "$k" "$t:$ref")
        [ "$c" = "$ref" ] && rr="1 (ref)"
        printf '%-40s %-36s %11s %17s %7s %9s\n' "${TITLE[$t]} (${UNIT[$t]})" "${LABEL[$c]}" "$(fmt "$(med "$k")")" \
            "$(echo "${R[$k]:-}" | spread)" "$rr" "${E[$k]:-0}/${N[$k]:-0}"
        total_err=$((total_err + ${E[$k]:-0}))
    done
done
echo "(ratio: to the row marked ref of the same test; errors: failed/checked responses)"
echo

# ---- peak RSS ----------------------------------------------------------------------
# procs_of PID: "pid comm" of every process serving the s3cgi-serve PID: the web server
# (the session its child leads: nginx rewrites its own environment) and the FastCGI
# processes (lighttpd's children, or spawn-fcgi's, which outlive their parent), found
# by the S3CGI_CONFIG=<private dir>/s3cgi.conf that s3cgi-serve exports to everything
# it starts; the private directory is where the web server's server.conf lives.
procs_of() {
    local conf="" sids="" p
    for p in $(ps -o pid= --ppid "$1"); do
        sids+=" $(ps -o sid= -p "$p" | tr -d ' ')"
        # (nginx rewrites its command line into one string: match within it)
        [ -n "$conf" ] || conf=$(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" | grep -o '[^ ]*/server\.conf' | head -n 1)
    done
    [ -n "$conf" ] || return 0
    local cfg="S3CGI_CONFIG=${conf%/server.conf}/s3cgi.conf"
    for p in /proc/[0-9]*; do
        if tr '\0' '\n' 2>/dev/null < "$p/environ" | grep -qxF "$cfg" ||
           [[ " $sids " == *" $(awk '{ print $6 }' "$p/stat" 2>/dev/null) "* ]]; then
            echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
        fi
    done
}
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
echo "peak RSS (VmHWM) of each server process after the run:"
fcgi_max=0
for c in s3lt s3ng s3sf s3nf s3cgi trlt trcgi static s3rver; do
    [ -n "${SPID[$c]:-}" ] || continue
    line=""
    while read -r p comm; do
        [ -n "$p" ] || continue
        kb=$(hwm "$p"); [ -n "$kb" ] || continue
        line+=" $comm $(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }') MiB,"
        case $comm in s3cgi-fcgi) [ "$kb" -gt $fcgi_max ] && fcgi_max=$kb ;; esac
    done < <(if [ "$c" = static ] || [ "$c" = s3rver ]; then echo "${SPID[$c]} $(ps -o comm= -p "${SPID[$c]}")"; else procs_of "${SPID[$c]}"; fi)
    [ "$c" = s3cgi ] || [ "$c" = trcgi ] && line+=" (CGI: one short-lived process per request, not sampled)"
    printf '  %-36s%s\n' "${LABEL[$c]}" "${line%,}"
done
echo

# ---- targets -----------------------------------------------------------------------
tgt() {  # tgt LABEL VALUE OP BOUND
    local ok
    ok=$(awk -v v="$2" -v b="$4" -v op="$3" 'BEGIN { if (v == "n/a") { print "n/a"; exit } print ((op == ">=" ? v >= b : v < b) ? "met" : "MISSED") }')
    printf '  %-66s %8s %s %-5s %s\n' "$1" "$2" "$3" "$4" "$ok"
}
echo "targets (ratios of medians from this run):"
tgt "GET 4 KiB x16, s3cgi FastCGI/lighttpd vs trivial responder" "$(ratio get16:s3lt get16:trlt)" ">=" 0.85
tgt "HEAD x16, s3cgi FastCGI/lighttpd vs trivial responder" "$(ratio head16:s3lt head16:trlt)" ">=" 0.85
tgt "PUT 4 KiB x16 fsync on, 16 procs vs rawput (16 threads)" "$(ratio put16:s3p16 put16:raw)" ">=" 0.8
tgt "PUT 4 KiB x16 fsync off vs trivial responder" "$(ratio put16:s3nf put16:trlt)" ">=" 0.8
tgt "GET 64 MiB with X-Sendfile vs static lighttpd" "$(ratio get64:s3sf get64:static)" ">=" 0.9
tgt "GET 64 MiB streamed by s3cgi vs static lighttpd" "$(ratio get64:s3lt get64:static)" ">=" 0.5
tgt "PUT 64 MiB vs dd conv=fsync" "$(ratio put64:s3lt put64:dd)" ">=" 0.7
if [ $have_s3rver = 1 ]; then
    tgt "ListObjectsV2 10,000 keys vs s3rver" "$(ratio list:s3lt list:s3rver)" ">=" 3
fi
tgt "CGI: GET 4 KiB x16, s3cgi-cgi vs trivial CGI" "$(ratio get16:s3cgi get16:trcgi)" ">=" 0.8
tgt "CGI: PUT 4 KiB x16 (fsync on), s3cgi-cgi vs trivial CGI" "$(ratio put16:s3cgi put16:trcgi)" ">=" 0.8
tgt "peak RSS of an s3cgi-fcgi process (MiB)" "$(awk -v k=$fcgi_max 'BEGIN { printf "%.1f", k / 1024 }')" "<" 8
echo
echo "errors: $total_err failed responses in total"
[ -s "$ERRLOG" ] && { echo "first error lines:"; sort "$ERRLOG" | uniq -c | sort -rn | head -n 10; }
echo "wall time $(( $(date +%s) - t_start )) s of measuring"

[ $soak -eq 1 ] || exit 0

# ---- --soak: memory of one FastCGI process under large transfers, multipart, mixed ----
echo
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
urls() { local base=$1 n=$2 i; for ((i = 0; i < n; i++)); do echo "$base/k$i"; done; }
serve one "one process" --workers 1
ONE=${URL[one]}
curl -sf "${SIG[@]}" -X PUT "$ONE/soak" >/dev/null
pid=$(procs_of "${SPID[one]}" | awk '$2 == "s3cgi-fcgi" { print $1; exit }')
big=$((2 << 30))
before=$(kib "$pid" VmHWM)
$LG --method PUT --aws $AK:$SK --requests 1 --body-size $big --max-seconds 600 "$ONE/soak/big" >/dev/null
after_put=$(kib "$pid" VmHWM)
$LG --aws $AK:$SK --check-md5 --max-seconds 600 --requests 1 "$ONE/soak/big" >/dev/null
after_get=$(kib "$pid" VmHWM)
echo "one s3cgi-fcgi process, $((big >> 20)) MiB PUT then GET (peak RSS, VmHWM):"
printf "  before %d KiB, after PUT %d KiB (+%d), after GET %d KiB (+%d)\n" \
    "$before" "$after_put" $((after_put - before)) "$after_get" $((after_get - after_put))
rm -f "$data/soak/big"

parts=1024; psize=$((5 << 20))
sig=(--aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK)
# "?uploads=": curl 7.88 signs a bare "?uploads" without its "="; --data-binary "": lighttpd
# answers 411 to a POST without Content-Length
upload=$(curl -sf "${sig[@]}" --data-binary "" "$ONE/soak/mp?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
mp_before=$(kib "$pid" VmHWM)
part_urls=$(for ((i = 1; i <= parts; i++)); do echo "$ONE/soak/mp?partNumber=$i&uploadId=$upload"; done)
$LG --method PUT --aws $AK:$SK --conns 2 --requests $parts --body-size $psize --max-seconds 1200 $part_urls >/dev/null
petag=$(body_md5 $psize)
{ echo "<CompleteMultipartUpload>"
  for ((i = 1; i <= parts; i++)); do echo "<Part><PartNumber>$i</PartNumber><ETag>\"$petag\"</ETag></Part>"; done
  echo "</CompleteMultipartUpload>"; } > "$work/complete.xml"
# Complete and cp each write 5 GiB into the page cache. On a VM whose balloon reports
# free pages to the host (this machine: Firecracker), memory not touched lately costs
# ~3 s/GiB on first touch against ~0.35 s/GiB warm, and whichever step comes second
# would reuse the pages the first freed: touch (and free) the object's size plus 1 GiB
# just before each timed step, so both copy into warm memory.
warm_memory() { dd if=/dev/zero of=/dev/null bs=$(( (parts * psize) + (1 << 30) )) count=1 iflag=fullblock status=none; }
warm_memory
t0=$(date +%s.%N)
curl -sf "${sig[@]}" -X POST --data-binary @"$work/complete.xml" "$ONE/soak/mp?uploadId=$upload" >/dev/null
t1=$(date +%s.%N)
$LG --aws $AK:$SK --requests 1 --max-seconds 1200 "$ONE/soak/mp" >/dev/null
mp_after=$(kib "$pid" VmHWM)
warm_memory
t2=$(date +%s.%N)
cp --reflink=auto "$data/soak/mp" "$work/cp-copy"
sync -f "$work/cp-copy"
t3=$(date +%s.%N)
rm -f "$work/cp-copy" "$data/soak/mp"
echo "one s3cgi-fcgi process, multipart upload of $parts x 5 MiB, Complete, full GET:"
printf "  peak RSS before %d KiB, after %d KiB (+%d KiB)\n" "$mp_before" "$mp_after" $((mp_after - mp_before))
printf "  Complete %.2f s, cp --reflink=auto + sync of the object %.2f s: ratio %.2f\n" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t3 - $t2" | bc -l)" "$(echo "($t1 - $t0) / ($t3 - $t2)" | bc -l)"

mixed() {  # mixed BASE COUNT: PUT, GET, HEAD, list, 404, DELETE in equal parts, plus
           # wrong-secret 403s and aborted multipart uploads
    local base=$1 each=$(($2 / 6))
    $LG --method PUT --aws $AK:$SK --conns 4 --requests $each --body-size 1000 $(urls "$base/soak/m" 50) >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each --check-md5 $(urls "$base/soak/m" 50) >/dev/null
    $LG --method HEAD --aws $AK:$SK --conns 4 --requests $each $(urls "$base/soak/m" 50) >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each "$base/soak?list-type=2&prefix=m" >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each --expect 404 "$base/soak/nothing/here" >/dev/null
    $LG --method DELETE --aws $AK:$SK --conns 4 --requests $each --expect 204 $(urls "$base/soak/m" 50) >/dev/null
    # errors: a wrong secret (403); aborted multipart uploads (create, one part, abort)
    $LG --aws $AK:wrong-secret --conns 4 --requests $((each / 4)) --expect 403 "$base/soak/m0" >/dev/null
    local k up sig=(--aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK)
    for ((k = 0; k < each / 30; k++)); do
        up=$(curl -sf "${sig[@]}" --data-binary "" "$base/soak/ab?uploads=" |
             sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
        curl -sf "${sig[@]}" -X PUT -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --data-binary part \
            "$base/soak/ab?partNumber=1&uploadId=$up" >/dev/null
        curl -sf "${sig[@]}" -X DELETE "$base/soak/ab?uploadId=$up" >/dev/null
    done
}
mixed "$ONE" 1000
rss_1k=$(kib "$pid" VmRSS)
mixed "$ONE" 9000
rss_10k=$(kib "$pid" VmRSS)
echo "one s3cgi-fcgi process, mixed PUT/GET/HEAD/list/404/DELETE (VmRSS):"
printf "  after 1,000 requests %d KiB, after 10,000 requests %d KiB (%+d KiB)\n" "$rss_1k" "$rss_10k" $((rss_10k - rss_1k))

cat >"$work/vg.sh" <<VG
#!/bin/sh
exec valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file=$work/vg.%p.log $build/fcgi/s3cgi-fcgi
VG
chmod +x "$work/vg.sh"
serve vg "valgrind" --workers 1 --fcgi-bin "$work/vg.sh"
mixed "${URL[vg]}" 10000
kill "${SPID[vg]}"; wait "${SPID[vg]}" 2>/dev/null
for _ in $(seq 50); do grep -q "ERROR SUMMARY" "$work"/vg.*.log 2>/dev/null && break; sleep 0.2; done
echo "valgrind, one s3cgi-fcgi process after 10000 mixed requests:"
grep -hE "definitely lost|indirectly lost|ERROR SUMMARY" "$work"/vg.*.log | sed 's/^==[0-9]*== /  /'
