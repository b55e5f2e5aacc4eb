# client_aws.sh - aws CLI suite (sourced by run.sh; uses its variables and lib.sh).
#   suite_aws core|full
# The CLI takes most of a second to start, and this suite runs in most combinations:
# keys are put and fetched in bulk (s3 cp --recursive) where one command checks as
# much as one command per key would. Multipart uploads are in client_multipart.sh.
# Environment from run.sh: EP (endpoint URL), BIG/SMALL/EMPTY (files), PLACED (bucket
# run.sh filled through the filesystem), W (scratch dir), AWS_BIN, PY, SPECIAL_KEYS.
# AWS_CONFIG_FILE (path-style, no multipart below 64 MiB) and the keys are exported.

awsc() { "$AWS_BIN" --endpoint-url "$EP" --output json "$@"; }

suite_aws() {
    local level=$1 B=t-aws k i
    local big_md5 small_md5
    big_md5=$(md5sum < "$BIG" | cut -c1-32); small_md5=$(md5sum < "$SMALL" | cut -c1-32)

    t "mb" awsc s3 mb "s3://$B"
    run awsc s3api list-buckets
    t_py "list-buckets has bucket" "'$B' in [b['Name'] for b in j['Buckets']]"
    t_py "list-buckets has placed bucket" "'$PLACED' in [b['Name'] for b in j['Buckets']]"

    run awsc s3api put-object --bucket "$B" --key small.txt --body "$SMALL" --content-type text/plain
    t_py "put small, ETag is MD5" "j['ETag'].strip('\"') == '$small_md5'"
    run awsc s3api put-object --bucket "$B" --key empty --body "$EMPTY"
    t_py "put empty, ETag is MD5 of nothing" "j['ETag'].strip('\"') == 'd41d8cd98f00b204e9800998ecf8427e'"
    t "cp 20MiB up (single PUT)" awsc s3 cp --no-progress "$BIG" "s3://$B/big.bin"

    run awsc s3api head-object --bucket "$B" --key big.bin
    t_py "head 20MiB: length and ETag" "j['ContentLength'] == $(stat -c %s "$BIG") and j['ETag'].strip('\"') == '$big_md5'"
    run awsc s3api head-object --bucket "$B" --key empty
    if [ "$SERVER" = apache ]; then
        # Apache removes "Content-Length: 0" from every HEAD answer; nothing configures it back.
        t_py "head empty: ETag (Apache drops Content-Length: 0 on HEAD)" "j['ETag'].strip('\"') == 'd41d8cd98f00b204e9800998ecf8427e'"
    else
        t_py "head empty: length 0" "j['ContentLength'] == 0"
    fi
    run awsc s3api head-object --bucket "$B" --key small.txt
    t_py "head small: Content-Type kept" "j['ContentType'] == 'text/plain'"

    rm -f "$W/aws.big"
    t "cp 20MiB down" awsc s3 cp --no-progress "s3://$B/big.bin" "$W/aws.big"
    t_same "20MiB sha256 equal" "$BIG" "$W/aws.big"

    # Ranged GET: bytes 1000..1999.
    tail -c +1001 "$BIG" | head -c 1000 > "$W/aws.range.want"
    run awsc s3api get-object --bucket "$B" --key big.bin --range bytes=1000-1999 "$W/aws.range"
    t_py "ranged get: Content-Range" "j.get('ContentRange') == 'bytes 1000-1999/$(stat -c %s "$BIG")'"
    t_same "ranged get: bytes" "$W/aws.range.want" "$W/aws.range"

    # One tree up in one command: keys for prefix/delimiter listings, and keys with
    # spaces, unicode and + & = % ? #.
    rm -rf "$W/aws.tree" "$W/aws.down"
    mkdir -p "$W/aws.tree/dir/sub"
    for k in dir/a dir/b dir/sub/c other; do printf 'tree %s\n' "$k" > "$W/aws.tree/$k"; done
    for k in "${SPECIAL_KEYS[@]}"; do
        mkdir -p "$W/aws.tree/$(dirname "$k")"; printf 'special %s\n' "$k" > "$W/aws.tree/$k"
    done
    t "cp --recursive up (8 keys, special characters)" awsc s3 cp --recursive --no-progress "$W/aws.tree" "s3://$B/"
    run awsc s3api list-objects-v2 --bucket "$B" --prefix dir/ --delimiter /
    t_py "list prefix+delimiter" "[c['Key'] for c in j.get('Contents', [])] == ['dir/a', 'dir/b'] and [p['Prefix'] for p in j.get('CommonPrefixes', [])] == ['dir/sub/']"
    run awsc s3 ls "s3://$B/"
    t_eq "s3 ls shows PRE dir/" "1" "$(printf '%s\n' "$OUT" | grep -c ' PRE dir/$')"

    # Pagination over the 1,100 files run.sh put into the data root directly.
    run awsc s3api list-objects-v2 --bucket "$PLACED" --prefix p/ --page-size 100
    t_py "list-objects-v2 1100 placed keys, pages of 100, in order" "[c['Key'] for c in j['Contents']] == ['p/%04d' % i for i in range(1100)]"
    run awsc s3api list-objects --bucket "$PLACED" --prefix p/ --page-size 100
    t_py "list-objects (v1) 1100 placed keys, pages of 100, in order" "[c['Key'] for c in j['Contents']] == ['p/%04d' % i for i in range(1100)]"
    run awsc s3api get-object --bucket "$PLACED" --key p/0007 "$W/aws.placed"
    t_eq "get placed file" "placed 0007" "$(cat "$W/aws.placed" 2>&1)"

    run awsc s3api list-objects-v2 --bucket "$B"
    t_py "every key listed exactly (special characters too)" "sorted(c['Key'] for c in j['Contents']) == sorted(json.loads(os.environ['SPECIAL_JSON']) + ['big.bin', 'dir/a', 'dir/b', 'dir/sub/c', 'empty', 'other', 'small.txt'])"
    # ... and down in one command (all but big.bin, fetched above): every byte compared.
    t "cp --recursive down" awsc s3 cp --recursive --no-progress --exclude big.bin "s3://$B/" "$W/aws.down"
    t_same "empty object is empty" "$EMPTY" "$W/aws.down/empty"
    t_same "small object back" "$SMALL" "$W/aws.down/small.txt"
    i=0
    for k in "${SPECIAL_KEYS[@]}" dir/a dir/sub/c; do
        i=$((i + 1))
        t_same "get key $i back ($k)" "$W/aws.tree/$k" "$W/aws.down/$k"
    done

    # Errors.
    t_fail "wrong secret -> SignatureDoesNotMatch" "SignatureDoesNotMatch" \
        env AWS_SECRET_ACCESS_KEY="${SK}x" "$AWS_BIN" --endpoint-url "$EP" s3api list-buckets
    t_fail "missing key -> NoSuchKey" "NoSuchKey" awsc s3api get-object --bucket "$B" --key no/such/key "$W/aws.none"
    t_fail "delete non-empty bucket -> BucketNotEmpty" "BucketNotEmpty" awsc s3api delete-bucket --bucket "$B"
    t_fail "missing bucket -> NoSuchBucket" "NoSuchBucket" awsc s3api list-objects-v2 --bucket "$B-nope"

    if [ "$level" = full ]; then
        # sync: a second run finds nothing to upload (sizes and times match).
        mkdir -p "$W/aws.sync/sub"
        for i in 1 2 3; do printf 'sync %s\n' $i > "$W/aws.sync/f$i"; done
        cp "$SMALL" "$W/aws.sync/sub/s"
        t "sync up" awsc s3 sync --no-progress "$W/aws.sync" "s3://$B/sync/"
        run awsc s3 sync --no-progress "$W/aws.sync" "s3://$B/sync/"
        t_eq "second sync uploads nothing" "0:" "$RC:$OUT"
        rm -rf "$W/aws.sync.down"
        t "sync down" awsc s3 sync --no-progress "s3://$B/sync/" "$W/aws.sync.down"
        t "synced tree equal" diff -r "$W/aws.sync" "$W/aws.sync.down"
        run awsc s3 ls --recursive --summarize "s3://$B/sync/"
        t_eq "ls --summarize counts 4 objects" "1" "$(printf '%s\n' "$OUT" | grep -c 'Total Objects: 4')"
        # Presigned GET (CLI v2 presigns with SigV4) fetched by curl.
        run awsc s3 presign "s3://$B/small.txt" --expires-in 300
        local url=$OUT
        rm -f "$W/aws.presigned"
        t "presigned GET with curl" curl -sS -f -o "$W/aws.presigned" "$url"
        t_same "presigned GET bytes" "$SMALL" "$W/aws.presigned"
        # Server-side copy and move.
        t "cp s3 -> s3 (CopyObject)" awsc s3 cp --no-progress "s3://$B/big.bin" "s3://$B/copy/big.bin"
        run awsc s3api head-object --bucket "$B" --key copy/big.bin
        t_py "copy has the same ETag" "j['ETag'].strip('\"') == '$big_md5'"
        t "mv s3 -> s3" awsc s3 mv --no-progress "s3://$B/copy/big.bin" "s3://$B/moved.bin"
        t_fail "moved source is gone" "404" awsc s3api head-object --bucket "$B" --key copy/big.bin
        # Upload from stdin (unknown length: the CLI buffers and PUTs it).
        run bash -c "printf 'from stdin' | \"$AWS_BIN\" --endpoint-url '$EP' s3 cp - 's3://$B/stdin'"
        t_eq "cp from stdin" 0 "$RC"
        run awsc s3 cp "s3://$B/stdin" -
        t_eq "cp to stdout" "from stdin" "$OUT"
    fi

    # Delete.
    t "delete-object" awsc s3api delete-object --bucket "$B" --key small.txt
    t_fail "deleted object head -> 404" "404" awsc s3api head-object --bucket "$B" --key small.txt
    t "rm --recursive" awsc s3 rm --recursive "s3://$B"
    t "rb (the bucket is empty: rm removed every key)" awsc s3 rb "s3://$B"
    run awsc s3api list-buckets
    t_py "bucket gone from list-buckets" "'$B' not in [b['Name'] for b in j['Buckets']]"
}
