# client_rclone.sh - rclone suite (sourced by run.sh; uses its variables and lib.sh).
#   suite_rclone core|full
# rclone uploads with UNSIGNED-PAYLOAD plus Content-MD5 and checks the MD5 against the
# ETag. One suite everywhere (it is quick); multipart uploads are in
# client_multipart.sh. Needs: EP, AK, SK, REGION, BIG/SMALL/EMPTY, PLACED, W,
# SPECIAL_KEYS.

rcl() { rclone --config "$W/rclone.conf" --retries 1 --low-level-retries 1 \
        --contimeout 10s --timeout 120s -q "$@"; }

# rclone_config: writes $W/rclone.conf with the remote "s3t:" (path style, no prefix
# handling needed: rclone keeps the endpoint's path).
rclone_config() {
    cat > "$W/rclone.conf" <<EOC
[s3t]
type = s3
provider = Other
access_key_id = $AK
secret_access_key = $SK
endpoint = $EP
region = $REGION
force_path_style = true
EOC
}

suite_rclone() {
    local B=t-rclone k i big_md5
    big_md5=$(md5sum < "$BIG" | cut -c1-32)
    rclone_config
    t "mkdir bucket" rcl mkdir "s3t:$B"
    run rcl lsf s3t:
    t_eq "lsf lists the bucket" 1 "$(printf '%s\n' "$OUT" | grep -cx "$B/")"
    t "copyto small" rcl copyto "$SMALL" "s3t:$B/small.txt"
    t "copyto empty" rcl copyto "$EMPTY" "s3t:$B/empty"
    t "copyto 20MiB" rcl copyto "$BIG" "s3t:$B/big.bin"
    run rcl lsjson "s3t:$B/big.bin"
    t_py "lsjson size" "j[0]['Size'] == $(stat -c %s "$BIG")"
    run rcl md5sum "s3t:$B/big.bin"
    t_eq "md5sum from ETag" "$big_md5  big.bin" "$OUT"
    rm -f "$W/rclone.big"
    t "copyto 20MiB down" rcl copyto "s3t:$B/big.bin" "$W/rclone.big"
    t_same "20MiB sha256 equal" "$BIG" "$W/rclone.big"
    run rcl cat "s3t:$B/empty"
    t_eq "cat empty" "0:" "$RC:$OUT"
    tail -c +5001 "$BIG" | head -c 3000 > "$W/rclone.range.want"
    rcl cat --offset 5000 --count 3000 "s3t:$B/big.bin" > "$W/rclone.range" 2>"$W/rclone.err"
    t_same "ranged cat bytes" "$W/rclone.range.want" "$W/rclone.range"

    for k in dir/a dir/b dir/sub/c; do run rcl copyto "$SMALL" "s3t:$B/$k"; done
    run rcl lsf "s3t:$B/dir"
    t_eq "lsf prefix+delimiter" "a b sub/" "$(printf '%s\n' "$OUT" | tr '\n' ' ' | sed 's/ $//')"

    run rcl lsf --s3-list-chunk 100 "s3t:$PLACED/p"
    printf '%04d\n' $(seq 0 1099) > "$W/rclone.want"
    printf '%s\n' "$OUT" > "$W/rclone.got"
    t_same "lsf 1100 placed keys by 100, in order" "$W/rclone.want" "$W/rclone.got"

    i=0
    for k in "${SPECIAL_KEYS[@]}"; do
        i=$((i + 1)); printf 'rclone special %s\n' "$k" > "$W/rclone.sp.$i"
        t "copyto special key $i" rcl copyto "$W/rclone.sp.$i" "s3t:$B/$k"
        run rcl cat "s3t:$B/$k"
        t_eq "cat special key $i back" "$(cat "$W/rclone.sp.$i")" "$OUT"
    done
    run rcl lsf -R "s3t:$B"
    i=0
    for k in "${SPECIAL_KEYS[@]}"; do
        i=$((i + 1))
        t_eq "special key $i listed" 1 "$(printf '%s\n' "$OUT" | grep -cxF -- "$k")"
    done

    # check: sizes and MD5s of a local tree against the bucket.
    mkdir -p "$W/rclone.tree/x"
    for i in 1 2 3; do head -c $((i * 1000)) "$BIG" > "$W/rclone.tree/x/f$i"; done
    t "copy tree" rcl copy "$W/rclone.tree" "s3t:$B/tree"
    t "check tree (MD5 = ETag)" rcl check "$W/rclone.tree" "s3t:$B/tree"

    t_fail "wrong secret -> SignatureDoesNotMatch" "SignatureDoesNotMatch" \
        env RCLONE_CONFIG_S3T_SECRET_ACCESS_KEY="${SK}x" rclone --config "$W/rclone.conf" \
        --retries 1 --low-level-retries 1 lsf "s3t:$B"
    # rclone has no "not found" for objects (a missing one may be a directory): --stat
    # of a missing key answers null, after a HEAD that must be a 404.
    run rcl lsjson --stat --files-only "s3t:$B/no/such/key"
    t_eq "missing key -> stat null" "0:null" "$RC:$OUT"
    t_fail "rmdir non-empty bucket -> BucketNotEmpty" "BucketNotEmpty" rcl rmdir "s3t:$B"

    t "deletefile" rcl deletefile "s3t:$B/small.txt"
    run rcl lsf "s3t:$B"
    t_eq "deleted key not listed" 0 "$(printf '%s\n' "$OUT" | grep -cx 'small.txt')"
    t "purge bucket" rcl purge "s3t:$B"
    run rcl lsf s3t:
    t_eq "bucket gone" 0 "$(printf '%s\n' "$OUT" | grep -cx "$B/")"
}
