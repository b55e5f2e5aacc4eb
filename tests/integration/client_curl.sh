# client_curl.sh - raw HTTP checks with curl (sourced by run.sh; uses lib.sh).
#   suite_curl
# What the web server in front must get right, seen on the wire: Content-Length on
# GET and HEAD, chunked request bodies, unsigned requests refused. curl's --aws-sigv4
# sends no x-amz-content-sha256 (s3cgi then hashes the payload itself).
# Needs: EP, AK, SK, REGION, SMALL, BIG, PLACED, W.

cs() { curl -sS --max-time 120 --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" "$@"; }

suite_curl() {
    local B=t-curl size
    run curl -sS --max-time 30 -o "$W/curl.body" -w '%{http_code}' "$EP/"
    t_eq "unsigned GET / -> 403" 403 "$OUT"
    t_eq "unsigned GET / -> AccessDenied XML" 1 "$(grep -c '<Code>AccessDenied</Code>' "$W/curl.body")"

    run cs -o /dev/null -w '%{http_code}' -X PUT "$EP/$B"
    t_eq "sigv4 PUT bucket -> 200" 200 "$OUT"
    run cs -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$SMALL" "$EP/$B/small"
    t_eq "sigv4 PUT object (no x-amz-content-sha256) -> 200" 200 "$OUT"

    # Signed Content-Length / Content-Type (rclone and s3cmd sign both): lighttpd and
    # nginx also pass them as HTTP_CONTENT_LENGTH / HTTP_CONTENT_TYPE, and each value
    # must still count once in the canonical request.
    run cs -o "$W/curl.body" -w '%{http_code}' -X PUT --data-binary "@$SMALL" \
        -H "Content-Length: $(stat -c %s "$SMALL")" "$EP/$B/signed-cl"
    t_eq "PUT with signed content-length -> 200" 200 "$OUT"
    run cs -o "$W/curl.body" -w '%{http_code}' -X PUT --data-binary "@$SMALL" \
        -H 'Content-Type: text/plain' "$EP/$B/signed-ct"
    t_eq "PUT with signed content-type -> 200" 200 "$OUT"

    size=$(stat -c %s "$SMALL")
    run cs -D "$W/curl.h" -o "$W/curl.got" -w '%{http_code}' "$EP/$B/small"
    t_eq "sigv4 GET -> 200" 200 "$OUT"
    t_same "sigv4 GET bytes" "$SMALL" "$W/curl.got"
    t_eq "GET has Content-Length (not chunked)" "content-length: $size" \
        "$(tr -d '\r' < "$W/curl.h" | grep -i '^content-length:' | tr 'A-Z' 'a-z')"
    run cs -I "$EP/$B/small"
    t_eq "HEAD has Content-Length of the object" "content-length: $size" \
        "$(printf '%s\n' "$OUT" | tr -d '\r' | grep -i '^content-length:' | tr 'A-Z' 'a-z')"
    t_eq "HEAD has the ETag" "etag: \"$(md5sum < "$SMALL" | cut -c1-32)\"" \
        "$(printf '%s\n' "$OUT" | tr -d '\r' | grep -i '^etag:' | tr 'A-Z' 'a-z')"

    # A chunked upload (no Content-Length; what the JS SDK v3 sends for streams): the
    # web server must either remove the chunking or pass the body on to EOF. curl -T -
    # cannot hash a stream, so it signs UNSIGNED-PAYLOAD. (Signing the Transfer-Encoding
    # header itself, as `curl -H 'Transfer-Encoding: chunked'` does, cannot work behind
    # lighttpd, which removes that header; SDKs never sign it.)
    run cs -o "$W/curl.body" -w '%{http_code}' -T - -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
        "$EP/$B/chunked" < "$BIG"
    t_eq "chunked PUT 20MiB -> 200" 200 "$OUT"
    rm -f "$W/curl.got"
    run cs -o "$W/curl.got" "$EP/$B/chunked"
    t_same "chunked PUT stored whole" "$BIG" "$W/curl.got"

    # A wrong signature over a body whose hash curl does not send: s3cgi reads the body
    # to hash it, then answers 403.
    run curl -sS --max-time 120 --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:${SK}x" \
        -o "$W/curl.body" -w '%{http_code}' -X PUT --data-binary "@$BIG" "$EP/$B/refused"
    t_eq "wrong secret on a 20MiB PUT -> 403" 403 "$OUT"
    t_eq "wrong secret on a 20MiB PUT -> SignatureDoesNotMatch" 1 "$(grep -c '<Code>SignatureDoesNotMatch</Code>' "$W/curl.body")"
    # The same with the payload hash signed (what the SDKs send): refused from the
    # headers, before the body is read. The client must still get the 403, not a 502
    # from a web server that could not hand the rest of the body over.
    run curl -sS --max-time 120 --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:${SK}x" \
        -H "x-amz-content-sha256: $(sha256sum < "$BIG" | cut -c1-64)" \
        -o "$W/curl.body" -w '%{http_code}' -X PUT --data-binary "@$BIG" "$EP/$B/refused"
    t_eq "wrong secret on a 20MiB PUT with signed payload hash (refused unread) -> 403" 403 "$OUT"
    t_eq "wrong secret, signed payload hash -> SignatureDoesNotMatch" 1 "$(grep -c '<Code>SignatureDoesNotMatch</Code>' "$W/curl.body")"

    run cs -o /dev/null -w '%{http_code}' "$EP/$PLACED/p/0001"
    t_eq "sigv4 GET placed file -> 200" 200 "$OUT"
    # Dot segments reach s3cgi raw (the web servers normalise only for their own
    # matching): they must never resolve outside the bucket.
    run cs -o /dev/null -w '%{http_code}' --path-as-is "$EP/$B/../$PLACED/p/0001"
    t_eq "GET bucket/../other-bucket/key not served" yes "$(case $OUT in 4??) echo yes ;; *) echo "$OUT" ;; esac)"
    run cs -o "$W/curl.body" -w '%{http_code}' -X PUT --data-binary x --path-as-is "$EP/$B/a/../x"
    t_eq "PUT key with '..' segment -> 400" 400 "$OUT"
    run cs -o /dev/null -w '%{http_code}' -X PUT --data-binary x --path-as-is "$EP/$B/../escape"
    t_eq "PUT bucket/../escape -> 400" 400 "$OUT"

    for k in small chunked signed-cl signed-ct; do run cs -o /dev/null -X DELETE "$EP/$B/$k"; done
    run cs -o /dev/null -w '%{http_code}' -X DELETE "$EP/$B"
    t_eq "DELETE bucket -> 204" 204 "$OUT"
}
