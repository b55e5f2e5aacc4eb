#!/bin/bash
# bench/run.sh - the benchmark suite: figures printed, never pass/fail timings.
# Every figure is a ratio measured side by side in one run (absolute rates on a
# shared 2-core machine are noise). Needs a built tree (S3CGI_BUILD, default the
# repo root) with bench/loadgen (configure found libcurl: scripts/install-deps.sh bench).
#
#   bench/run.sh [--quick]
#
# Prints:
#  - GET/HEAD 4 KiB at 16 connections through lighttpd: s3cgi FastCGI vs a trivial
#    libfcgi responder returning 4 KiB behind the same lighttpd (median of runs).
#  - PUT 4 KiB at 16 connections, fsync on.
#  - RSS growth of one s3cgi-fcgi process during a 2 GiB PUT and a 2 GiB GET.
#  - RSS of one s3cgi-fcgi process after 1,000 and after 10,000 mixed requests, and
#    valgrind's leak summary for a process that served 10,000 mixed requests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${S3CGI_BUILD:-$top}
quick=0; [ "${1:-}" = --quick ] && quick=1
LG=$build/bench/loadgen
[ -x "$LG" ] || { echo "bench: $LG missing (install libcurl4-openssl-dev, re-run configure)" >&2; exit 1; }
work=$(mktemp -d /tmp/s3cgi-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
AK=AKBENCH; SK=benchsecretkey0123456789
port_base=$((20000 + RANDOM % 20000))
nport=0

# serve NAME [s3cgi-serve options...] -> sets URL
serve() {
    local name=$1; shift
    local port=$((port_base + nport)); nport=$((nport + 1))
    mkdir -p "$work/$name/root" "$work/$name/logs"
    "$build/s3cgi-serve" --root "$work/$name/root" --listen "127.0.0.1:$port" \
        --access-key $AK --secret-key $SK --log-dir "$work/$name/logs" \
        --ready-file "$work/$name/ready" "$@" >"$work/$name/serve.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -f "$work/$name/ready" ] && break; sleep 0.1; done
    [ -f "$work/$name/ready" ] || { cat "$work/$name/serve.out" >&2; exit 1; }
    URL=http://127.0.0.1:$port
}

# fcgi_pid NAME: the (single) s3cgi-fcgi process serving NAME
fcgi_pid() { pgrep -f "^$1" -n; }

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

urls() { local base=$1 n=$2 i; for ((i = 0; i < n; i++)); do echo "$base/k$i"; done; }

rate() { sed -n 's/.*rate=\([0-9.]*\).*/\1/p'; }

median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m }'; }

spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo, hi }'; }

runs=5; n=20000
[ $quick -eq 1 ] && { runs=3; n=5000; }

echo "s3cgi benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo

# ---- small requests: s3cgi vs trivial responder, same lighttpd config ----
serve s3 --workers 2
S3=$URL
curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK -X PUT "$S3/bench" >/dev/null
serve trivial --workers 2 --fcgi-bin "$build/bench/trivial_fcgi"
TR=$URL
$LG --method PUT --aws $AK:$SK --conns 4 --requests 100 --body-size 4096 $(urls "$S3/bench" 100) >/dev/null
declare -A R
for ((r = 0; r < runs; r++)); do
    R[get_s3]+="$($LG --aws $AK:$SK --conns 16 --requests $n --max-seconds 30 --check-md5 $(urls "$S3/bench" 100) | rate) "
    R[get_tr]+="$($LG --aws $AK:$SK --conns 16 --requests $n --max-seconds 30 $(urls "$TR/bench" 100) | rate) "
    R[head_s3]+="$($LG --method HEAD --aws $AK:$SK --conns 16 --requests $n --max-seconds 30 $(urls "$S3/bench" 100) | rate) "
    R[put_s3]+="$($LG --method PUT --aws $AK:$SK --conns 16 --requests $((n / 4)) --max-seconds 30 --body-size 4096 $(urls "$S3/bench" 100) | rate) "
done
row() {  # row LABEL KEY [REF_KEY]
    local m s; m=$(echo ${R[$2]} | tr ' ' '\n' | median); s=$(echo ${R[$2]} | tr ' ' '\n' | spread)
    if [ -n "${3:-}" ]; then
        local ref; ref=$(echo ${R[$3]} | tr ' ' '\n' | median)
        printf "%-44s %9s req/s  (runs %s)  ratio %.2f\n" "$1" "$m" "$s" "$(echo "$m / $ref" | bc -l)"
    else
        printf "%-44s %9s req/s  (runs %s)\n" "$1" "$m" "$s"
    fi
}
echo "lighttpd + FastCGI, 2 processes, 16 connections, median of $runs runs:"
row "trivial libfcgi responder, GET 4 KiB" get_tr
row "s3cgi GetObject 4 KiB (SigV4, MD5 checked)" get_s3 get_tr
row "s3cgi HeadObject" head_s3 get_tr
row "s3cgi PutObject 4 KiB, fsync on" put_s3
echo

# ---- memory of one FastCGI process under large transfers ----
serve one --workers 1
ONE=$URL
curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK -X PUT "$ONE/bench" >/dev/null
$LG --aws $AK:$SK --requests 10 --expect 404 "$ONE/bench/none" >/dev/null
pid=$(pgrep -f "$build/fcgi/s3cgi-fcgi" -n)
big=$((2 << 30)); [ $quick -eq 1 ] && big=$((256 << 20))
before=$(kib "$pid" VmHWM)
$LG --method PUT --aws $AK:$SK --requests 1 --body-size $big --max-seconds 600 "$ONE/bench/big" >/dev/null
after_put=$(kib "$pid" VmHWM)
$LG --aws $AK:$SK --check-md5 --max-seconds 600 --requests 1 "$ONE/bench/big" >/dev/null
after_get=$(kib "$pid" VmHWM)
echo "one s3cgi-fcgi process, $((big >> 20)) MiB PUT then GET (peak RSS, VmHWM):"
printf "  before %d KiB, after PUT %d KiB (+%d), after GET %d KiB (+%d)\n" \
    "$before" "$after_put" $((after_put - before)) "$after_get" $((after_get - after_put))
rm -f "$work/one/root/bench/big"
echo

# ---- multipart: 1,024 parts of 5 MiB, Complete, full GET ----
parts=1024; [ $quick -eq 1 ] && parts=64
psize=$((5 << 20))
sig=(--aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK)
upload=$(curl -sf "${sig[@]}" -X POST "$ONE/bench/mp?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
mp_before=$(kib "$pid" VmHWM)
part_urls=$(for ((i = 1; i <= parts; i++)); do echo "$ONE/bench/mp?partNumber=$i&uploadId=$upload"; done)
$LG --method PUT --aws $AK:$SK --conns 2 --requests $parts --body-size $psize --max-seconds 1200 $part_urls >/dev/null
petag=$(yes abcdefghijklmnopqrstuvwxyz | tr -d '\n' | head -c $psize | md5sum | cut -d' ' -f1)   # loadgen's body
{ echo "<CompleteMultipartUpload>"
  for ((i = 1; i <= parts; i++)); do echo "<Part><PartNumber>$i</PartNumber><ETag>\"$petag\"</ETag></Part>"; done
  echo "</CompleteMultipartUpload>"; } > "$work/complete.xml"
t0=$(date +%s.%N)
curl -sf "${sig[@]}" -X POST --data-binary @"$work/complete.xml" "$ONE/bench/mp?uploadId=$upload" >/dev/null
t1=$(date +%s.%N)
$LG --aws $AK:$SK --requests 1 --max-seconds 1200 "$ONE/bench/mp" >/dev/null
mp_after=$(kib "$pid" VmHWM)
obj=$work/one/root/bench/mp
t2=$(date +%s.%N)
cp --reflink=auto "$obj" "$work/one/cp-copy"
sync -f "$work/one/cp-copy"
t3=$(date +%s.%N)
rm -f "$work/one/cp-copy" "$obj"
echo "one s3cgi-fcgi process, multipart upload of $parts x 5 MiB, Complete, full GET:"
printf "  peak RSS before %d KiB, after %d KiB (+%d KiB)\n" "$mp_before" "$mp_after" $((mp_after - mp_before))
printf "  Complete %.2f s, cp --reflink=auto + sync of the object %.2f s: ratio %.2f\n" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t3 - $t2" | bc -l)" "$(echo "($t1 - $t0) / ($t3 - $t2)" | bc -l)"
echo

# ---- 10,000 mixed requests: RSS flat, valgrind clean ----
mixed() {  # mixed BASE COUNT: PUT, GET, HEAD, list, 404, DELETE in equal parts
    local base=$1 each=$(($2 / 6))
    $LG --method PUT --aws $AK:$SK --conns 4 --requests $each --body-size 1000 $(urls "$base/bench/m" 50) >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each --check-md5 $(urls "$base/bench/m" 50) >/dev/null
    $LG --method HEAD --aws $AK:$SK --conns 4 --requests $each $(urls "$base/bench/m" 50) >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each "$base/bench?list-type=2&prefix=m" >/dev/null
    $LG --aws $AK:$SK --conns 4 --requests $each --expect 404 "$base/bench/nothing/here" >/dev/null
    $LG --method DELETE --aws $AK:$SK --conns 4 --requests $each --expect 204 $(urls "$base/bench/m" 50) >/dev/null
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
serve vg --workers 1 --fcgi-bin "$work/vg.sh"
curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK -X PUT "$URL/bench" >/dev/null
vgn=10000; [ $quick -eq 1 ] && vgn=1200
mixed "$URL" $vgn
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
for _ in $(seq 50); do grep -q "ERROR SUMMARY" "$work"/vg.*.log 2>/dev/null && break; sleep 0.2; done
echo "valgrind, one s3cgi-fcgi process after $vgn mixed requests:"
grep -hE "definitely lost|indirectly lost|ERROR SUMMARY" "$work"/vg.*.log | sed 's/^==[0-9]*== /  /'
