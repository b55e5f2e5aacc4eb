# client_s3cmd.sh - s3cmd suite (sourced by run.sh; uses its variables and lib.sh).
#   suite_s3cmd core|full
# s3cmd cannot address an endpoint under a path prefix (it signs host_base's path away:
# SignatureDoesNotMatch): under one the suite reports a skip. full adds `info` (HEAD
# plus ?policy/?cors/?lifecycle). Multipart uploads are in client_multipart.sh.
# Needs: HOSTPORT, PREFIX, AK, SK, REGION, BIG/SMALL/EMPTY, PLACED, W, SPECIAL_KEYS.

s3c() { s3cmd -c "$W/s3cmd.cfg" --no-progress "$@"; }

s3cmd_config() {   # s3cmd_config FILE SECRET
    cat > "$1" <<EOC
[default]
access_key = $AK
secret_key = $2
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = $REGION
check_ssl_certificate = False
enable_multipart = False
socket_timeout = 120
max_retries = 1
EOC
}

suite_s3cmd() {
    local level=${1:-core} B=t-s3cmd k i big_md5
    if [ -n "${PREFIX:-}" ]; then
        skip "suite" "s3cmd cannot use an endpoint under a path prefix ($PREFIX)"
        return
    fi
    big_md5=$(md5sum < "$BIG" | cut -c1-32)
    s3cmd_config "$W/s3cmd.cfg" "$SK"
    s3cmd_config "$W/s3cmd-bad.cfg" "${SK}x"

    t "mb" s3c mb "s3://$B"
    run s3c ls
    t_eq "ls lists the bucket" 1 "$(printf '%s\n' "$OUT" | grep -c " s3://$B\$")"
    t "put small" s3c put "$SMALL" "s3://$B/small.txt"
    t "put empty" s3c put "$EMPTY" "s3://$B/empty"
    t "put 20MiB" s3c put "$BIG" "s3://$B/big.bin"
    if [ "$level" = full ]; then
        # info: HEAD plus ?policy/?cors/?lifecycle queries, answered with S3's errors.
        run s3c info "s3://$B/big.bin"
        t_eq "info: size and MD5" "1 1" "$(printf '%s\n' "$OUT" | grep -Ec "File size: +$(stat -c %s "$BIG")\$") $(printf '%s\n' "$OUT" | grep -Ec "MD5 sum: +$big_md5\$")"
        t "info bucket" s3c info "s3://$B"
    fi
    rm -f "$W/s3cmd.big" "$W/s3cmd.empty"
    t "get 20MiB" s3c get "s3://$B/big.bin" "$W/s3cmd.big"
    t_same "20MiB sha256 equal" "$BIG" "$W/s3cmd.big"
    run s3c get "s3://$B/empty" "$W/s3cmd.empty"
    if [ "$SERVER" = apache ] && [ $RC -ne 0 ] && printf '%s' "$OUT" | grep -q "KeyError: 'content-length'"; then
        # s3cmd HEADs first and needs Content-Length, which Apache removes from every
        # HEAD answer when it is 0 (see s3_boto3.py); nothing configures it back.
        skip "get empty" "Apache drops Content-Length: 0 from HEAD answers; s3cmd get then fails (KeyError: 'content-length')"
    else
        if [ $RC -eq 0 ]; then ok "get empty"; else bad "get empty" "exit $RC: $(brief "$OUT")"; fi
        t_same "empty equal" "$EMPTY" "$W/s3cmd.empty"
    fi

    for k in dir/a dir/b dir/sub/c; do run s3c put "$SMALL" "s3://$B/$k"; done
    run s3c ls "s3://$B/dir/"
    t_eq "ls prefix with delimiter" "s3://$B/dir/sub/ s3://$B/dir/a s3://$B/dir/b" \
        "$(printf '%s\n' "$OUT" | awk '{print $NF}' | tr '\n' ' ' | sed 's/ $//')"

    run s3c ls "s3://$PLACED/p/"
    printf 's3://%s/p/%04d\n' $(for i in $(seq 0 1099); do echo "$PLACED $i"; done) > "$W/s3cmd.want"
    printf '%s\n' "$OUT" | awk '{print $NF}' > "$W/s3cmd.got"
    t_same "ls 1100 placed keys in order (marker pagination)" "$W/s3cmd.want" "$W/s3cmd.got"

    i=0
    for k in "${SPECIAL_KEYS[@]}"; do
        i=$((i + 1)); printf 's3cmd special %s\n' "$k" > "$W/s3cmd.sp.$i"
        t "put special key $i" s3c put "$W/s3cmd.sp.$i" "s3://$B/$k"
        rm -f "$W/s3cmd.sp.got"
        run s3c get "s3://$B/$k" "$W/s3cmd.sp.got"
        t_same "get special key $i back" "$W/s3cmd.sp.$i" "$W/s3cmd.sp.got"
    done
    run s3c ls --recursive "s3://$B"
    i=0
    for k in "${SPECIAL_KEYS[@]}"; do
        i=$((i + 1))
        t_eq "special key $i listed" 1 "$(printf '%s\n' "$OUT" | grep -cF " s3://$B/$k")"
    done

    t_fail "wrong secret -> SignatureDoesNotMatch" "SignatureDoesNotMatch" \
        s3cmd -c "$W/s3cmd-bad.cfg" ls "s3://$B"
    t_fail "missing key -> 404" "404|NoSuchKey|does not exist" s3c get "s3://$B/no/such/key" "$W/s3cmd.none"
    t_fail "rb non-empty -> BucketNotEmpty" "BucketNotEmpty" s3c rb "s3://$B"

    t "del" s3c del "s3://$B/small.txt"
    run s3c ls "s3://$B/small.txt"
    t_eq "deleted key not listed" 0 "$(printf '%s\n' "$OUT" | grep -c 'small.txt')"
    t "del --recursive --force" s3c del --recursive --force "s3://$B"
    t "rb" s3c rb "s3://$B"
    run s3c ls
    t_eq "bucket gone" 0 "$(printf '%s\n' "$OUT" | grep -c " s3://$B\$")"
}
