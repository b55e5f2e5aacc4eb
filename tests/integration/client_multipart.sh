# client_multipart.sh - multipart uploads through real clients (sourced by run.sh; uses
# its variables and lib.sh). Every object is downloaded again and compared byte for byte.
#   suite_multipart core|full
# core: the aws CLI copies a 100 MiB file up in 5 MiB parts (its own AWS_CONFIG_FILE:
#   the other suites keep their one-PUT setting), the ETag is the MD5 of the 20 part
#   MD5s "-20", the object comes back whole (ranged GETs) and GET ?partNumber=2 returns
#   part 2 and x-amz-mp-parts-count.
# full adds: a cross-bucket `aws s3 cp s3://a/big s3://b/big` in 8 MiB parts
#   (UploadPartCopy: the copy's ETag is md5-of-md5s-13 of the source's bytes);
#   s3_multipart.py (boto3 upload_file in 5 MiB parts, GET/HEAD ?partNumber,
#   ListParts and ListMultipartUploads pagination); s3cmd put in 5 MiB parts, and an
#   unfinished upload listed by `s3cmd multipart`, aborted with `s3cmd abortmp`;
#   rclone copy in 5 MiB chunks.
# Needs: EP, HOSTPORT, PREFIX, AK, SK, REGION, BIG (20 MiB), BIG100 (made here when
# missing), MP_ETAG, W, AWS_BIN, PY, HERE.

# mp_etag FILE PART_SIZE: the ETag S3 gives FILE uploaded in parts of PART_SIZE bytes.
mp_etag() {
    "$PY" -c '
import hashlib, sys
n = int(sys.argv[2]); md5s = b""; count = 0
with open(sys.argv[1], "rb") as f:
    for part in iter(lambda: f.read(n), b""):
        md5s += hashlib.md5(part).digest(); count += 1
print("%s-%d" % (hashlib.md5(md5s).hexdigest(), count))' "$1" "$2"
}

# mp_copy_parts BUCKET: part PUTs into BUCKET answered 200 with a body, in the access log.
mp_copy_parts() {
    grep -c "\"PUT [^ ]*/$1/[^ ]*[?&]partNumber=[^ ]* HTTP/1.1\" 200 [1-9]" "$S3LOGS/access.log"
}

# The aws CLI with a multipart configuration: threshold 8 MB, parts of $1 MB.
awsmp5() { AWS_CONFIG_FILE="$W/aws-mp5.config" "$AWS_BIN" --endpoint-url "$EP" --output json "$@"; }
awsmp8() { AWS_CONFIG_FILE="$W/aws-mp8.config" "$AWS_BIN" --endpoint-url "$EP" --output json "$@"; }

suite_multipart() {
    local level=${1:-core} B=t-mp B2=t-mp-copy size100 etag5 etag8 id n tab=$'\t'
    if [ ! -s "$BIG100" ]; then
        head -c $((100 * 1024 * 1024)) /dev/urandom > "$BIG100.tmp" && mv "$BIG100.tmp" "$BIG100"
    fi
    size100=$(stat -c %s "$BIG100")
    etag5=$(mp_etag "$BIG100" $((5 * 1024 * 1024)))
    local c
    for c in 5 8; do
        sed -e '/multipart_threshold/d' -e '/multipart_chunksize/d' "$AWS_CONFIG_FILE" > "$W/aws-mp$c.config"
        printf '    multipart_threshold = 8MB\n    multipart_chunksize = %sMB\n' "$c" >> "$W/aws-mp$c.config"
    done

    # ---- aws CLI: 100 MiB in 20 parts of 5 MiB ---------------------------------------
    t "mb" awsc s3 mb "s3://$B"
    t "aws cp 100MiB up in 5 MiB parts" awsmp5 s3 cp --no-progress "$BIG100" "s3://$B/big100.bin"
    run awsc s3api head-object --bucket "$B" --key big100.bin
    t_py "100MiB: ETag md5-of-md5s-20 and length" "j['ETag'].strip('\"') == '$etag5' and j['ContentLength'] == $size100"
    rm -f "$W/mp.down"
    t "aws cp 100MiB down (ranged GETs)" awsc s3 cp --no-progress "s3://$B/big100.bin" "$W/mp.down"
    t_same "100MiB down: sha256 equal" "$BIG100" "$W/mp.down"
    rm -f "$W/mp.down"
    tail -c +$((5 * 1024 * 1024 + 1)) "$BIG100" | head -c $((5 * 1024 * 1024)) > "$W/mp.part2.want"
    rm -f "$W/mp.part2"
    run awsc s3api get-object --bucket "$B" --key big100.bin --part-number 2 "$W/mp.part2"
    t_py "GET partNumber=2: parts count 20, Content-Range of part 2" \
        "j.get('PartsCount') == 20 and j.get('ContentRange') == 'bytes 5242880-10485759/$size100' and j['ContentLength'] == 5242880"
    t_same "GET partNumber=2: the bytes of part 2" "$W/mp.part2.want" "$W/mp.part2"

    if [ "$level" = full ]; then
        # ---- UploadPartCopy: cross-bucket copy in 13 parts of 8 MiB ---------------------
        etag8=$(mp_etag "$BIG100" $((8 * 1024 * 1024)))
        t "mb (copy target)" awsc s3 mb "s3://$B2"
        t "aws cp s3://$B/big100.bin s3://$B2/big100.bin (UploadPartCopy, 8 MiB parts)" \
            awsmp8 s3 cp --no-progress "s3://$B/big100.bin" "s3://$B2/big100.bin"
        # A CopyObject would keep the source's ETag (-20); 13 parts of 8 MiB of the same
        # bytes give md5-of-md5s-13: the copy was assembled from UploadPartCopy ranges.
        run awsc s3api head-object --bucket "$B2" --key big100.bin
        t_py "copy: ETag md5-of-md5s-13 of the source bytes, length" "j['ETag'].strip('\"') == '$etag8' and j['ContentLength'] == $size100"
        # ... and the web server saw 13 part PUTs answered with a body (CopyPartResult;
        # UploadPart answers none). Its access log may lag a moment behind.
        for n in $(seq 1 20); do
            [ "$(mp_copy_parts "$B2")" -ge 13 ] && break; sleep 0.25
        done
        t_eq "copy: 13 UploadPartCopy requests (PUT ?partNumber answered with XML) in the access log" 13 \
            "$(mp_copy_parts "$B2")"
        t "aws cp copy down" awsc s3 cp --no-progress "s3://$B2/big100.bin" "$W/mp.down"
        t_same "copy down: sha256 equal" "$BIG100" "$W/mp.down"
        rm -f "$W/mp.down"
        t "rb --force (copy target)" awsc s3 rb --force "s3://$B2"

        # ---- boto3 ---------------------------------------------------------------------
        timeout -k 5 600 "$PY" "$HERE/s3_multipart.py" --endpoint "$EP" --access-key "$AK" \
            --secret-key "$SK" --region "$REGION" --bucket t-mp-boto3 --big "$BIG" \
            > "$W/multipart-boto3.out" 2>&1 || bad "s3_multipart.py" "exited $?"
        count_results "$W/multipart-boto3.out"

        # ---- s3cmd ---------------------------------------------------------------------
        if [ -n "${PREFIX:-}" ]; then
            skip "s3cmd" "s3cmd cannot use an endpoint under a path prefix ($PREFIX)"
        else
            s3cmd_config "$W/s3cmd.cfg" "$SK"
            sed -e 's/^enable_multipart = .*/enable_multipart = True/' "$W/s3cmd.cfg" > "$W/s3cmd-mp.cfg"
            t "s3cmd put 20MiB --multipart-chunk-size-mb=5" \
                s3cmd -c "$W/s3cmd-mp.cfg" --no-progress --multipart-chunk-size-mb=5 put "$BIG" "s3://$B/s3cmd.bin"
            run awsc s3api head-object --bucket "$B" --key s3cmd.bin
            t_py "s3cmd multipart: ETag md5-of-md5s-4" "j['ETag'].strip('\"') == '$MP_ETAG' and j['ContentLength'] == $(stat -c %s "$BIG")"
            rm -f "$W/mp.s3cmd"
            t "s3cmd get of the multipart object (MD5 checked)" s3c get "s3://$B/s3cmd.bin" "$W/mp.s3cmd"
            t_same "s3cmd multipart object: sha256 equal" "$BIG" "$W/mp.s3cmd"

            # An unfinished upload, listed by s3cmd, then aborted by it.
            run awsc s3api create-multipart-upload --bucket "$B" --key "unfinished/obj 1"
            id=$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["UploadId"])' 2>/dev/null)
            t_eq "create-multipart-upload answers an UploadId" yes "$([ -n "$id" ] && echo yes || echo "no: $(brief "$OUT")")"
            t "upload-part 1 of the unfinished upload" \
                awsc s3api upload-part --bucket "$B" --key "unfinished/obj 1" --upload-id "$id" --part-number 1 --body "$SMALL"
            run s3c multipart "s3://$B"
            t_eq "s3cmd multipart lists the unfinished upload" 1 \
                "$(printf '%s\n' "$OUT" | grep -cF "${tab}s3://$B/unfinished/obj 1${tab}$id")"
            run s3c listmp "s3://$B/unfinished/obj 1" "$id"
            t_eq "s3cmd listmp shows part 1 with its ETag and size" 1 \
                "$(printf '%s\n' "$OUT" | grep -cE "${tab}1${tab}\"$(md5sum < "$SMALL" | cut -c1-32)\"${tab}$(stat -c %s "$SMALL")\$")"
            t "s3cmd abortmp" s3c abortmp "s3://$B/unfinished/obj 1" "$id"
            t_fail "list-parts after abortmp -> NoSuchUpload" "NoSuchUpload" \
                awsc s3api list-parts --bucket "$B" --key "unfinished/obj 1" --upload-id "$id"
            run s3c multipart "s3://$B"
            t_eq "s3cmd multipart no longer lists it" "0:0" "$RC:$(printf '%s\n' "$OUT" | grep -c "$id")"
            t_fail "aborted upload published nothing" "404" awsc s3api head-object --bucket "$B" --key "unfinished/obj 1"
        fi

        # ---- rclone --------------------------------------------------------------------
        rclone_config
        rm -rf "$W/mp.rclone" "$W/mp.rclone.down"
        mkdir -p "$W/mp.rclone/d"
        cp "$BIG" "$W/mp.rclone/d/big.bin"
        t "rclone copy --s3-chunk-size 5M --s3-upload-cutoff 5M" \
            rcl --s3-chunk-size 5M --s3-upload-cutoff 5M copy "$W/mp.rclone" "s3t:$B/rclone"
        run awsc s3api head-object --bucket "$B" --key rclone/d/big.bin
        t_py "rclone multipart: ETag md5-of-md5s-4, whole-file MD5 in x-amz-meta-md5chksum" \
            "j['ETag'].strip('\"') == '$MP_ETAG' and j.get('Metadata', {}).get('md5chksum') == '$(openssl md5 -binary < "$BIG" | base64)'"
        t "rclone check (MD5 from metadata)" rcl check "$W/mp.rclone" "s3t:$B/rclone"
        t "rclone copy down" rcl copy "s3t:$B/rclone" "$W/mp.rclone.down"
        t_same "rclone multipart object: sha256 equal" "$BIG" "$W/mp.rclone.down/d/big.bin"
        rm -rf "$W/mp.rclone.down"
    fi

    run awsc s3api list-multipart-uploads --bucket "$B"
    [ -n "$OUT" ] || OUT='{}'
    t_py "no upload left in progress" "not j.get('Uploads')"
    t "rb --force" awsc s3 rb --force "s3://$B"
}
