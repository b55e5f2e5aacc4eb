#!/bin/bash
# bench/profile.sh - where s3cgi's time goes, counted in instructions (reproducible on
# a busy machine, unlike timings): valgrind --tool=callgrind on the real binaries behind
# lighttpd (s3cgi-serve), serving a fixed request set.
#
#   bench/profile.sh [OUTDIR]      (S3CGI_BUILD: a built tree, default the repo root)
#
# FastCGI: one s3cgi-fcgi process under callgrind serves, phase by phase, 300 GETs of
# 4 KiB objects, 300 HEADs, 300 PUTs of 4 KiB (fsync off, new keys), 300 PUTs
# overwriting them, and 20 ListObjectsV2 pages of 1,000 keys; callgrind_control dumps
# a profile after each phase. CGI: one s3cgi-cgi GET and one bench/trivial_cgi GET, each
# a process under callgrind (dynamic loading and start-up included).
# Prints instructions per request for each phase and the top functions (inclusive);
# the callgrind.out files stay in OUTDIR (default a temporary directory, removed).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${S3CGI_BUILD:-$top}
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    { echo "profile: valgrind (callgrind) not found" >&2; exit 1; }
LG=$build/bench/loadgen
keep=${1:-}
work=$(mktemp -d /tmp/s3cgi-profile.XXXXXX)
out=${keep:-$work/out}; mkdir -p "$out"; out=$(cd "$out" && pwd)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
AK=AKPROF; SK=profsecret0123456789
port=$((20000 + RANDOM % 20000))
serve() {   # serve NAME PORT opts...
    local name=$1 p=$2; shift 2
    mkdir -p "$work/$name/root"
    "$build/s3cgi-serve" --root "$work/data" --listen "127.0.0.1:$p" --access-key $AK --secret-key $SK \
        --log-dir "$work/$name/logs" --ready-file "$work/$name/ready" "$@" >"$work/$name/out" 2>&1 &
    pids+=($!)
    for _ in $(seq 600); do [ -f "$work/$name/ready" ] && break; sleep 0.1; done
    [ -f "$work/$name/ready" ] || { cat "$work/$name/out" >&2; exit 1; }
}
mkdir -p "$work/data"
cat >"$work/cg-fcgi.sh" <<EOF
#!/bin/sh
cd "$out" && exec valgrind --tool=callgrind --callgrind-out-file=$out/fcgi.%p.out $build/fcgi/s3cgi-fcgi
EOF
cat >"$work/cg-cgi.sh" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$out/cgi.%p.out $build/cgi/s3cgi-cgi
EOF
cat >"$work/cg-trivial.sh" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$out/trivialcgi.%p.out $build/bench/trivial_cgi
EOF
chmod +x "$work"/cg-*.sh
serve fcgi $port --workers 1 --no-fsync --fcgi-bin "$work/cg-fcgi.sh"
U=http://127.0.0.1:$port
sig=(--aws-sigv4 aws:amz:us-east-1:s3 -u $AK:$SK)
curl -sf "${sig[@]}" -X PUT "$U/prof" >/dev/null
mkdir -p "$work/data/lst"
for i in $(seq -w 0 9999); do echo "object $i" > "$work/data/lst/k$i"; done
"$LG" --list --aws $AK:$SK --requests 1 --expect-keys 10000 "$U/lst" >/dev/null   # ETag cache
"$LG" --method PUT --aws $AK:$SK --requests 100 --body-size 4096 $(for i in $(seq 0 99); do echo "$U/prof/g$i"; done) >/dev/null
pid=$(pgrep -f "valgrind.*callgrind-out-file=$out/fcgi" -n)
dump() { callgrind_control -d "$1" "$pid" >/dev/null; sleep 0.5; }
dump warmup
"$LG" --aws $AK:$SK --requests 300 --check-md5 $(for i in $(seq 0 99); do echo "$U/prof/g$i"; done) >/dev/null; dump get4k
"$LG" --method HEAD --aws $AK:$SK --requests 300 $(for i in $(seq 0 99); do echo "$U/prof/g$i"; done) >/dev/null; dump head
"$LG" --method PUT --aws $AK:$SK --requests 300 --body-size 4096 $(for i in $(seq 0 299); do echo "$U/prof/p$i"; done) >/dev/null; dump put4k-new
"$LG" --method PUT --aws $AK:$SK --requests 300 --body-size 4096 $(for i in $(seq 0 299); do echo "$U/prof/p$i"; done) >/dev/null; dump put4k-over
"$LG" --list --aws $AK:$SK --requests 2 --expect-keys 10000 "$U/lst" >/dev/null; dump list-20-pages

serve cgi $((port + 1)) --mode cgi --cgi-bin "$work/cg-cgi.sh"
curl -sf "${sig[@]}" "http://127.0.0.1:$((port + 1))/prof/g1" -o /dev/null
serve trivialcgi $((port + 2)) --mode cgi --cgi-bin "$work/cg-trivial.sh"
curl -sf "${sig[@]}" "http://127.0.0.1:$((port + 2))/prof/g1" -o /dev/null

total_ir() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'; }
report() {  # report FILE LABEL REQUESTS
    local ir; ir=$(total_ir "$1")
    printf '\n== %s: %s instructions, %s per request\n' "$2" "$ir" "$(awk -v a="$ir" -v n="$3" 'BEGIN { printf "%.0f", a / n }')"
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,20p' | cut -c1-150
}
# callgrind_control -d writes FILE.1, FILE.2, ... in order: warmup, then the phases
n=1
for phase in get4k:300 head:300 put4k-new:300 put4k-over:300 list-20-pages:20; do
    n=$((n + 1))
    f=$(ls "$out"/fcgi.*.out."$n" 2>/dev/null | head -n 1)
    [ -n "$f" ] && report "$f" "s3cgi-fcgi ${phase%%:*}" "${phase##*:}"
done
f=$(ls -S "$out"/cgi.*.out 2>/dev/null | head -n 1); [ -n "$f" ] && report "$f" "s3cgi-cgi, one GET 4 KiB (whole process)" 1
f=$(ls -S "$out"/trivialcgi.*.out 2>/dev/null | head -n 1); [ -n "$f" ] && report "$f" "trivial_cgi, one GET (whole process)" 1
echo
[ -n "$keep" ] && echo "profiles kept in $out (callgrind_annotate / kcachegrind)"
exit 0
