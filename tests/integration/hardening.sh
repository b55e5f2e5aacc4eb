# shellcheck shell=bash
# hardening.sh - the hardening suites (project issue "Hardening"); sourced after lib.sh.
#
#   suite_hardening_hostile   hostile input: path escapes, symlinks, sizes, XML, auth...
#                             each gets its S3 error and leaves the tree unchanged
#   suite_hardening_conc      16 writers on one key, racing If-None-Match: *, PUT/DELETE
#                             races in one directory
#   suite_hardening_crash     >= 200 SIGKILLs of s3cgi-fcgi under boto3 load; nothing
#                             acknowledged lost, nothing partial visible; purge cleans up
#   suite_hardening_fullfs    a data root on an 8 MiB tmpfs (private mount namespace; a
#                             16 MiB loop ext4 as fallback): clean 507s, recovery
#
# They run against the server the caller started, through variables the caller sets
# (as tests/integration/run.sh's run_combo does): EP (endpoint URL), AK, SK, REGION, PY,
# S3ROOT or ROOT (its data root), S3LOGS or L (its log directory), W (a scratch
# directory), SERVE (the s3cgi-serve script), WORK (the run's directory), SERVER (the
# web server, default lighttpd). Optional: HARD_FCGI_BIN (the FastCGI
# binary the server runs; default $WORK/bin/s3cgi-fcgi), HARD_CGI_BIN, HARD_ADMIN
# (s3cgi-admin; default $BUILD/admin/s3cgi-admin), HARD_KILLS (200), HARD_CRASH_SECONDS
# (traffic time of the crash suite, 170), HARD_WORKERS (FastCGI processes: hard_serve
# starts 4; the crash suite otherwise expects as many as run when it starts), and a
# function hard_restart_server that restarts the caller's server (used when lighttpd
# does not respawn a killed process). Every command is bounded by timeout(1); every
# process started here is stopped by PID.

HARD_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARD_PY=$HARD_HERE/hardening

hard_fcgi_bin() { echo "${HARD_FCGI_BIN:-$WORK/bin/s3cgi-fcgi}"; }
hard_cgi_bin() { echo "${HARD_CGI_BIN:-$WORK/bin/s3cgi-cgi}"; }
hard_admin() { echo "${HARD_ADMIN:-${BUILD:-.}/admin/s3cgi-admin}"; }

# Patterns of a crashed or sanitizer-stopped s3cgi in web-server and s3cgi logs.
HARD_CRASH_RE='child signalled|child exited|exited on signal|Segmentation fault|core dumped|AddressSanitizer|LeakSanitizer|runtime error:|Assertion .* failed'

# hard_log_mark DIR: remembers the size of every log in DIR (HARD_MARK).
hard_log_mark() {
    local f
    HARD_MARK=()
    for f in "$1"/*.log; do
        [ -f "$f" ] && HARD_MARK+=("$f:$(stat -c %s "$f")")
    done
}
# hard_log_check NAME DIR: fails NAME when a log in DIR grew a crash line since the mark.
hard_log_check() {
    local name=$1 dir=$2 f m off new=""
    for f in "$dir"/*.log; do
        [ -f "$f" ] || continue
        off=0
        for m in "${HARD_MARK[@]}"; do [ "${m%:*}" = "$f" ] && off=${m##*:}; done
        new+=$(tail -c +$((off + 1)) "$f" | grep -E "$HARD_CRASH_RE" | head -3)
    done
    if [ -n "$new" ]; then bad "$name" "$(brief "$new")"; else ok "$name"; fi
}

hard_free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

# hard_serve ROOT LOGDIR [WRAPPER...]: starts s3cgi-serve (FastCGI behind $HARD_SERVER,
# default lighttpd; fsync on)
# over ROOT on a free loopback port, through WRAPPER if given (e.g. unshare ...), and
# waits (60 s at most) until it answers. Sets HS_PID (stop it with hard_stop), HS_PORT,
# HS_EP. Returns 1 (with HS_ERR) when it did not come up; 97 when WRAPPER said so.
hard_serve() {
    local root=$1 logdir=$2 rc
    shift 2
    mkdir -p "$logdir"
    HS_PID="" HS_ERR=""
    for _ in 1 2 3; do
        HS_PORT=$(hard_free_port) || { HS_ERR="no free port"; return 1; }
        rm -f "$logdir/ready"
        "$@" "$SERVE" --root "$root" --listen "127.0.0.1:$HS_PORT" --server "${HARD_SERVER:-lighttpd}" --mode fastcgi \
            --access-key "$AK" --secret-key "$SK" --region "$REGION" --workers "${HARD_WORKERS:-4}" \
            --log-dir "$logdir" --ready-file "$logdir/ready" \
            --fcgi-bin "$(hard_fcgi_bin)" --cgi-bin "$(hard_cgi_bin)" > "$logdir/serve.out" 2>&1 &
        HS_PID=$!
        for _ in $(seq 1 300); do
            [ -e "$logdir/ready" ] && break
            kill -0 "$HS_PID" 2>/dev/null || break
            sleep 0.2
        done
        if [ -e "$logdir/ready" ]; then
            HS_EP=http://127.0.0.1:$HS_PORT
            return 0
        fi
        if ! kill -0 "$HS_PID" 2>/dev/null; then
            wait "$HS_PID"; rc=$?
            HS_PID=""
            [ $rc -eq 97 ] && return 97
        fi
        hard_stop "$HS_PID"
        grep -qi 'address already in use\|could not bind' "$logdir"/*.log "$logdir/serve.out" 2>/dev/null || break
    done
    HS_ERR=$(tail -n 5 "$logdir/serve.out" "$logdir/error.log" 2>&1)
    return 1
}

# hard_stop PID: SIGTERM, up to 15 s, then SIGKILL; by PID only.
hard_stop() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# ---- suites -------------------------------------------------------------------------

suite_hardening_hostile() {
    local out=$W/hard-hostile.out n root=${S3ROOT:-$ROOT} logs=${S3LOGS:-$L}
    hard_log_mark "$logs"
    timeout -k 5 600 "$PY" "$HARD_PY/hostile.py" --endpoint "$EP" --access-key "$AK" --secret-key "$SK" \
        --region "$REGION" --root "$root" --outside "$W/hard-outside" > "$out" 2>&1 ||
        bad "hostile.py" "exited $?: $(brief "$(tail -n 3 "$out")")"
    count_results "$out"
    n=$(sed -n 's/^hostile cases tried: //p' "$out" | tail -n 1)
    if [ "${n:-0}" -ge 150 ]; then ok "hostile: $n cases tried"; else bad "hostile: cases tried" "only ${n:-0}"; fi
    hard_log_check "hostile: no s3cgi process crashed (logs)" "$logs"
    t_eq "hostile: endpoint still answers afterwards (anonymous ListBuckets: 403)" 403 \
        "$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$EP/")"
}

suite_hardening_conc() {
    local out=$W/hard-conc.out root=${S3ROOT:-$ROOT} logs=${S3LOGS:-$L}
    hard_log_mark "$logs"
    timeout -k 5 600 "$PY" "$HARD_PY/conc.py" --endpoint "$EP" --access-key "$AK" --secret-key "$SK" \
        --region "$REGION" --root "$root" > "$out" 2>&1 || bad "conc.py" "exited $?: $(brief "$(tail -n 3 "$out")")"
    count_results "$out"
    hard_log_check "conc: no s3cgi process crashed (logs)" "$logs"
}

suite_hardening_crash() {
    local out=$W/hard-crash.out rc tries=0 resume=() fbin expect=() max=10 root=${S3ROOT:-$ROOT}
    fbin=$(hard_fcgi_bin)
    # lighttpd respawns what it started (bin-path); spawn-fcgi (nginx, Apache) does not
    if [ "${HARD_SERVER:-${SERVER:-lighttpd}}" = lighttpd ]; then expect=(--expect-respawn) max=3; fi
    if [ ! -x "$fbin" ]; then
        skip "crash" "no FastCGI binary $fbin"
        return
    fi
    rm -rf "$W/hard-crash-state"
    while :; do
        timeout -k 5 900 "$PY" "$HARD_PY/crash.py" --endpoint "$EP" --access-key "$AK" --secret-key "$SK" \
            --region "$REGION" --root "$root" --fcgi-bin "$fbin" --state "$W/hard-crash-state" \
            --kills "${HARD_KILLS:-200}" --seconds "${HARD_CRASH_SECONDS:-170}" --rounds 8 --clients 4 \
            --workers "${HARD_WORKERS:-0}" --admin "$(hard_admin)" "${expect[@]}" "${resume[@]}" > "$out" 2>&1
        rc=$?
        count_results "$out"
        [ $rc -eq 3 ] || break
        tries=$((tries + 1))
        if [ "$(type -t hard_restart_server)" != function ] || [ $tries -gt $max ]; then
            bad "crash: restart s3cgi-serve after the processes were lost" "no restart possible (try $tries)"
            break
        fi
        hard_restart_server || { bad "crash: restart s3cgi-serve" "failed"; break; }
        ok "crash: s3cgi-serve restarted after the processes were lost (restart $tries)"
        resume=(--resume)
    done
    [ $rc -eq 0 ] || [ $rc -eq 3 ] || bad "crash.py" "exited $rc: $(brief "$(tail -n 3 "$out")")"
}

# The data root on a small filesystem of its own, mounted in a private mount namespace
# that lives exactly as long as s3cgi-serve (its PID is the namespace's first process):
# no mount is ever visible outside, and nothing is left to unmount.
suite_hardening_fullfs() {
    local d=$W/hard-fullfs out rc kind
    d=$(mkdir -p "$d" && cd "$d" && pwd -P)
    out=$d/fullfs.out
    if ! command -v unshare >/dev/null 2>&1; then
        skip "fullfs" "unshare(1) not found: no private mount namespace for a small filesystem"
        return
    fi
    rm -rf "$d/root" "$d/logs" "$d/img"; mkdir -p "$d/root"
    kind="tmpfs 8 MiB"
    # shellcheck disable=SC2016
    hard_serve "$d/root" "$d/logs" unshare -m --propagation private \
        bash -c 'mount -t tmpfs -o size=8m,mode=0755 s3cgi-fullfs "$0" || exit 97; exec "$@"' "$d/root"
    rc=$?
    if [ $rc -eq 97 ]; then
        kind="loop ext4 16 MiB"
        if truncate -s 16M "$d/img" && mkfs.ext4 -q -F -m 0 "$d/img" >/dev/null 2>&1; then
            # shellcheck disable=SC2016
            hard_serve "$d/root" "$d/logs" unshare -m --propagation private \
                bash -c 'mount -o loop "$1" "$0" || exit 97; shift; exec "$@"' "$d/root" "$d/img"
            rc=$?
        fi
    fi
    if [ $rc -eq 97 ]; then
        skip "fullfs" "neither a tmpfs nor a loop ext4 can be mounted in a private mount namespace here (unshare -m: needs root or CAP_SYS_ADMIN)"
        rm -rf "$d/img"
        return
    elif [ $rc -ne 0 ]; then
        bad "fullfs: start s3cgi-serve over a $kind" "$(brief "$HS_ERR")"
        rm -rf "$d/img"
        return
    fi
    ok "fullfs: s3cgi-serve over a $kind data root (private mount namespace, port $HS_PORT)"
    hard_log_mark "$d/logs"
    timeout -k 5 300 "$PY" "$HARD_PY/fullfs.py" --endpoint "$HS_EP" --access-key "$AK" --secret-key "$SK" \
        --region "$REGION" --root "/proc/$HS_PID/root$d/root" --log-dir "$d/logs" > "$out" 2>&1 ||
        bad "fullfs.py" "exited $?: $(brief "$(tail -n 3 "$out")")"
    count_results "$out"
    hard_log_check "fullfs: no s3cgi process crashed (logs)" "$d/logs"
    hard_stop "$HS_PID"
    HS_PID=""
    if grep -q " $d/root " /proc/mounts; then
        bad "fullfs: the mount is gone with the server" "$d/root still mounted"
    else
        ok "fullfs: the mount went away with the server"
    fi
    rm -rf "$d/img"
}
