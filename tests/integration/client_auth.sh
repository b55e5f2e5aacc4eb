# client_auth.sh - signing modes, users and hostile requests (sourced; uses lib.sh).
#   auth_credentials FILE   writes a credentials file: "$AK $SK admin" plus the users
#                           below (fresh random keys, exported); give it to s3cgi-serve
#                           with --credentials FILE instead of --access-key/--secret-key
#   suite_auth              the checks; needs the endpoint started with that file
#                           and, for the virtual-hosted checks, --domain "$VHOST_DOMAIN"
#
# suite_auth covers: presigned GET and PUT from boto3 (SigV4) and `aws s3 presign`
# (CLI v2: SigV4) fetched with curl; curl --aws-sigv4 GET and PUT; s3cmd with
# signature_v2 = True and `s3cmd signurl` (SigV2 query string); expired presigned URLs;
# virtual-hosted-style requests (Host: BUCKET.$VHOST_DOMAIN) next to path style; users
# who cannot see each other's buckets, a read-only twin key, granted rw and ro users;
# anonymous reads of public-read buckets and objects and refused anonymous writes; and
# auth_neg.py's hand-built broken SigV4 / aws-chunked requests (data root unchanged).
# Needs: EP, HOSTPORT, AK, SK, REGION, W, ROOT (the data root), AWS_BIN, PY, and
# AWS_CONFIG_FILE with path-style addressing (run.sh's setup). Optional: VHOST_DOMAIN.

AUTH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

auth_randkey() { head -c 64 /dev/urandom | base64 | tr -dc "$1" | cut -c1-"$2"; }

auth_credentials() {
    local u k s
    {
        echo "# written by tests/integration/client_auth.sh"
        echo "$AK $SK admin"
        for u in ALICE ALICERO BOB CAROL DAVE; do
            k=AK${u}$(auth_randkey 'A-Z0-9' 12); s=$(auth_randkey 'A-Za-z0-9' 40)
            eval "AUTH_${u}_AK=\$k AUTH_${u}_SK=\$s"
            export "AUTH_${u}_AK" "AUTH_${u}_SK"
            case $u in
                ALICE)   echo "$k $s name=alice id=alice" ;;
                ALICERO) echo "$k $s name=alice id=alice read-only" ;;
                BOB)     echo "$k $s name=bob id=bob" ;;
                CAROL)   echo "$k $s name=carol id=carol grant=t-auth-alice:rw" ;;
                DAVE)    echo "$k $s name=dave id=dave grant=t-auth-alice:ro" ;;
            esac
        done
    } > "$1"
    chmod 0600 "$1"
}

# aua KEY SECRET ARGS...: aws CLI as that key. cua KEY SECRET ARGS...: curl --aws-sigv4.
aua() { local k=$1 s=$2; shift 2; env AWS_ACCESS_KEY_ID="$k" AWS_SECRET_ACCESS_KEY="$s" "$AWS_BIN" --endpoint-url "$EP" --output json "$@"; }
cua() { local k=$1 s=$2; shift 2; curl -sS --max-time 120 --aws-sigv4 "aws:amz:$REGION:s3" --user "$k:$s" "$@"; }
cuanon() { curl -sS --max-time 120 "$@"; }

# t_http NAME STATUS CODE|- CMD...: CMD is a curl (or curl wrapper) that gets
# "-o $W/auth.body -w %{http_code}" appended; passes when the status is STATUS and,
# unless CODE is -, the S3 error <Code> is CODE.
t_http() {
    local name=$1 want=$2 code=$3 got; shift 3
    rm -f "$W/auth.body"
    run "$@" -o "$W/auth.body" -w '%{http_code}'
    got=$(grep -o '<Code>[^<]*</Code>' "$W/auth.body" 2>/dev/null | head -1 | sed 's/<[^>]*>//g')
    if [ "$OUT" = "$want" ] && { [ "$code" = - ] || [ "$got" = "$code" ]; }; then ok "$name"
    else bad "$name" "expected $want ${code#-}, got [$(brief "$OUT")] ${got:-no code}: $(brief "$(head -c 300 "$W/auth.body" 2>/dev/null)")"; fi
}

# t_absent NAME PATH: the data root has no such file.
t_absent() { if [ -e "$ROOT/$2" ]; then bad "$1" "$2 exists on disk"; else ok "$1"; fi; }

auth_s3cmd_config() {   # FILE: s3cmd speaking Signature V2 only
    cat > "$1" <<EOC
[default]
access_key = $AK
secret_key = $SK
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = True
bucket_location = $REGION
check_ssl_certificate = False
enable_multipart = False
socket_timeout = 120
max_retries = 1
EOC
}

suite_auth() {
    local B=t-auth-pre f url prefix port vh
    prefix=${EP#http://"$HOSTPORT"}
    port=${HOSTPORT##*:}
    f=$W/auth.data
    head -c 300000 /dev/urandom > "$f"

    # ---- presigned URLs, curl's SigV4, Signature V2 ---------------------------------
    t_http "admin creates $B" 200 - cua "$AK" "$SK" -X PUT "$EP/$B"
    t_http "curl --aws-sigv4 PUT (--data-binary)" 200 - cua "$AK" "$SK" -X PUT --data-binary "@$f" "$EP/$B/curl.bin"
    rm -f "$W/auth.got"
    t_http "curl --aws-sigv4 GET" 200 - cua "$AK" "$SK" "$EP/$B/curl.bin"
    cp "$W/auth.body" "$W/auth.got" 2>/dev/null
    t_same "curl --aws-sigv4 GET bytes" "$f" "$W/auth.got"

    run "$PY" -c '
import sys, boto3
from botocore.config import Config
ep, ak, sk, region, b = sys.argv[1:6]
c = boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak, aws_secret_access_key=sk, region_name=region,
                 config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
print(c.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "boto3-presigned.bin"}, ExpiresIn=300))
print(c.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "boto3-presigned.bin"}, ExpiresIn=300))
' "$EP" "$AK" "$SK" "$REGION" "$B"
    local bput bget
    bput=$(printf '%s\n' "$OUT" | sed -n 1p); bget=$(printf '%s\n' "$OUT" | sed -n 2p)
    t_eq "boto3 presigns SigV4" "yes yes" "$(case $bput in *X-Amz-Algorithm=AWS4-HMAC-SHA256*) echo yes ;; *) echo no ;; esac) $(case $bget in *X-Amz-Signature=*) echo yes ;; *) echo no ;; esac)"
    t_http "boto3 presigned PUT with curl -T" 200 - cuanon -T "$f" "$bput"
    t_http "boto3 presigned GET with curl" 200 - cuanon "$bget"
    cp "$W/auth.body" "$W/auth.got" 2>/dev/null
    t_same "boto3 presigned PUT then GET: bytes" "$f" "$W/auth.got"
    t_http "boto3 presigned GET URL, key changed -> 403" 403 SignatureDoesNotMatch cuanon "${bget/boto3-presigned.bin/curl.bin}"

    run aua "$AK" "$SK" s3 presign "s3://$B/curl.bin" --expires-in 300
    url=$OUT
    t_eq "aws s3 presign signs V4" yes "$(case $url in *X-Amz-Algorithm=AWS4-HMAC-SHA256*X-Amz-Signature=*) echo yes ;; *) echo "$url" ;; esac)"
    t_http "aws s3 presign URL with curl" 200 - cuanon "$url"
    cp "$W/auth.body" "$W/auth.got" 2>/dev/null
    t_same "aws s3 presign URL: bytes" "$f" "$W/auth.got"
    run aua "$AK" "$SK" s3 presign "s3://$B/curl.bin" --expires-in 1
    url=$OUT
    sleep 2
    t_http "aws s3 presign URL after expiry -> 403 AccessDenied" 403 AccessDenied cuanon "$url"
    t_eq "expired presigned URL: message" 1 "$(grep -c '<Message>Request has expired</Message>' "$W/auth.body")"

    if [ -n "$prefix" ]; then
        skip "s3cmd signature_v2" "s3cmd cannot address an endpoint under a path prefix ($prefix)"
    elif ! command -v s3cmd >/dev/null 2>&1; then
        bad "s3cmd signature_v2" "s3cmd not found"
    else
        auth_s3cmd_config "$W/s3cmd-v2.cfg"
        run s3cmd -c "$W/s3cmd-v2.cfg" --no-progress --debug put "$f" "s3://$B/s3cmd-v2.bin"
        if [ $RC -eq 0 ]; then ok "s3cmd (signature_v2) put"; else bad "s3cmd (signature_v2) put" "$(brief "$(printf '%s\n' "$OUT" | grep -v DEBUG | tail -n 5)")"; fi
        t_eq "s3cmd put signed with V2 (its debug log)" yes \
            "$(printf '%s\n' "$OUT" | grep -q "Using signature v2" && ! printf '%s\n' "$OUT" | grep -qi "AWS4-HMAC-SHA256\|signature v4" && echo yes || echo no)"
        rm -f "$W/auth.s3cmd"
        t "s3cmd (signature_v2) get" s3cmd -c "$W/s3cmd-v2.cfg" --no-progress get "s3://$B/s3cmd-v2.bin" "$W/auth.s3cmd"
        t_same "s3cmd (signature_v2) get: bytes" "$f" "$W/auth.s3cmd"
        run s3cmd -c "$W/s3cmd-v2.cfg" ls "s3://$B/"
        t_eq "s3cmd (signature_v2) ls lists both objects" 2 "$(printf '%s\n' "$OUT" | grep -Ec " 300000 +s3://$B/(s3cmd-v2|curl)\.bin\$")"
        run s3cmd -c "$W/s3cmd-v2.cfg" signurl "s3://$B/s3cmd-v2.bin" +300
        url=$OUT
        t_eq "s3cmd signurl is a V2 URL" yes "$(case $url in *AWSAccessKeyId=*Expires=*Signature=*) echo yes ;; *) echo "$url" ;; esac)"
        t_http "s3cmd signurl with curl" 200 - cuanon "$url"
        cp "$W/auth.body" "$W/auth.got" 2>/dev/null
        t_same "s3cmd signurl: bytes" "$f" "$W/auth.got"
        run s3cmd -c "$W/s3cmd-v2.cfg" signurl "s3://$B/s3cmd-v2.bin" $(( $(date +%s) - 60 ))
        t_http "s3cmd signurl expired -> 403 AccessDenied" 403 AccessDenied cuanon "$OUT"
        t_eq "s3cmd signurl expired: message" 1 "$(grep -c '<Message>Request has expired</Message>' "$W/auth.body")"
    fi

    # ---- virtual-hosted style next to path style ---------------------------------------
    if [ -z "${VHOST_DOMAIN:-}" ]; then
        skip "virtual-hosted style" "VHOST_DOMAIN not set (start s3cgi-serve with --domain)"
    else
        vh=t-auth-vh.$VHOST_DOMAIN
        local R=(--resolve "$vh:$port:127.0.0.1")
        t_http "path-style PUT bucket t-auth-vh" 200 - cua "$AK" "$SK" -X PUT "$EP/t-auth-vh"
        t_http "virtual-hosted PUT ($vh)" 200 - cua "$AK" "$SK" "${R[@]}" -X PUT --data-binary "@$f" "http://$vh:$port$prefix/dir/vh.bin"
        t_http "virtual-hosted GET" 200 - cua "$AK" "$SK" "${R[@]}" "http://$vh:$port$prefix/dir/vh.bin"
        cp "$W/auth.body" "$W/auth.got" 2>/dev/null
        t_same "virtual-hosted GET: bytes" "$f" "$W/auth.got"
        t_same "virtual-hosted PUT landed at ROOT/t-auth-vh/dir/vh.bin" "$f" "$ROOT/t-auth-vh/dir/vh.bin"
        t_http "path-style GET of the same object" 200 - cua "$AK" "$SK" "$EP/t-auth-vh/dir/vh.bin"
        cp "$W/auth.body" "$W/auth.got" 2>/dev/null
        t_same "path-style GET: bytes" "$f" "$W/auth.got"
        t_http "virtual-hosted ListObjects" 200 - cua "$AK" "$SK" "${R[@]}" "http://$vh:$port$prefix/?list-type=2"
        t_eq "virtual-hosted ListObjects names the bucket and key" "1 1" \
            "$(grep -c '<Name>t-auth-vh</Name>' "$W/auth.body") $(grep -c '<Key>dir/vh.bin</Key>' "$W/auth.body")"
        t_http "virtual-hosted GET, wrong secret -> 403" 403 SignatureDoesNotMatch cua "$AK" "${SK}x" "${R[@]}" "http://$vh:$port$prefix/dir/vh.bin"
        t_http "virtual-hosted DELETE" 204 - cua "$AK" "$SK" "${R[@]}" -X DELETE "http://$vh:$port$prefix/dir/vh.bin"
        t_http "path-style DELETE bucket t-auth-vh" 204 - cua "$AK" "$SK" -X DELETE "$EP/t-auth-vh"
    fi

    # ---- users ---------------------------------------------------------------------
    if [ -z "${AUTH_ALICE_AK:-}" ]; then
        skip "users" "no users (auth_credentials FILE, then s3cgi-serve --credentials FILE)"
    else
        suite_auth_users "$f"
    fi

    # ---- hand-built broken requests ------------------------------------------------------
    timeout -k 5 600 "$PY" "$AUTH_HERE/auth_neg.py" --endpoint "$EP" --access-key "$AK" --secret-key "$SK" \
        --region "$REGION" --bucket t-auth-neg --root "$ROOT" > "$W/auth_neg.out" 2>&1 ||
        bad "auth_neg.py" "exited $?: $(brief "$(tail -n 3 "$W/auth_neg.out")")"
    count_results "$W/auth_neg.out"

    for k in curl.bin boto3-presigned.bin s3cmd-v2.bin; do run cua "$AK" "$SK" -X DELETE "$EP/$B/$k"; done
    t_http "admin deletes $B" 204 - cua "$AK" "$SK" -X DELETE "$EP/$B"
}

suite_auth_users() {
    local f=$1 A=t-auth-alice Bb=t-auth-bob P=t-auth-pub Q=t-auth-acl k
    local a_ak=$AUTH_ALICE_AK a_sk=$AUTH_ALICE_SK b_ak=$AUTH_BOB_AK b_sk=$AUTH_BOB_SK
    echo "alice's object" > "$W/auth.alice"; echo "bob's object" > "$W/auth.bob"
    echo "public object" > "$W/auth.pub"

    t "alice create-bucket $A" aua "$a_ak" "$a_sk" s3api create-bucket --bucket "$A"
    t "alice put-object" aua "$a_ak" "$a_sk" s3api put-object --bucket "$A" --key a.txt --body "$W/auth.alice"
    t "bob create-bucket $Bb" aua "$b_ak" "$b_sk" s3api create-bucket --bucket "$Bb"
    t "bob put-object" aua "$b_ak" "$b_sk" s3api put-object --bucket "$Bb" --key b.txt --body "$W/auth.bob"
    run aua "$a_ak" "$a_sk" s3api list-buckets
    t_py "alice lists her bucket, not bob's" "'$A' in [b['Name'] for b in j['Buckets']] and '$Bb' not in [b['Name'] for b in j['Buckets']]"
    run aua "$b_ak" "$b_sk" s3api list-buckets
    t_py "bob lists his bucket, not alice's" "'$Bb' in [b['Name'] for b in j['Buckets']] and '$A' not in [b['Name'] for b in j['Buckets']]"
    t_py "bob is the owner in ListBuckets" "j['Owner']['ID'] == 'bob' and j['Owner']['DisplayName'] == 'bob'"
    run aua "$AK" "$SK" s3api list-buckets
    t_py "admin lists both" "{'$A', '$Bb'} <= set(b['Name'] for b in j['Buckets'])"

    t_http "bob GET alice's object -> 403" 403 AccessDenied cua "$b_ak" "$b_sk" "$EP/$A/a.txt"
    t_http "bob HEAD alice's object -> 403" 403 - cua "$b_ak" "$b_sk" -I "$EP/$A/a.txt"
    t_http "bob lists alice's bucket -> 403" 403 AccessDenied cua "$b_ak" "$b_sk" "$EP/$A?list-type=2"
    t_http "bob PUT into alice's bucket -> 403" 403 AccessDenied cua "$b_ak" "$b_sk" -X PUT --data-binary "@$f" "$EP/$A/from-bob"
    t_absent "bob's refused PUT left nothing on disk" "$A/from-bob"
    t_http "bob DELETE alice's object -> 403" 403 AccessDenied cua "$b_ak" "$b_sk" -X DELETE "$EP/$A/a.txt"
    t_http "bob DELETE alice's bucket -> 403" 403 AccessDenied cua "$b_ak" "$b_sk" -X DELETE "$EP/$A"
    t_http "bob CreateBucket alice's name -> 409" 409 BucketAlreadyExists cua "$b_ak" "$b_sk" -X PUT "$EP/$A"
    t_http "alice CreateBucket her own name again -> 409" 409 BucketAlreadyOwnedByYou cua "$a_ak" "$a_sk" -X PUT "$EP/$A"
    t_http "alice GET bob's object -> 403" 403 AccessDenied cua "$a_ak" "$a_sk" "$EP/$Bb/b.txt"
    t_http "alice PUT into bob's bucket -> 403" 403 AccessDenied cua "$a_ak" "$a_sk" -X PUT --data-binary x "$EP/$Bb/from-alice"
    t_absent "alice's refused PUT left nothing on disk" "$Bb/from-alice"
    t_same "alice's object intact on disk" "$W/auth.alice" "$ROOT/$A/a.txt"

    # alice's read-only twin (same id): her buckets, reads only
    run aua "$AUTH_ALICERO_AK" "$AUTH_ALICERO_SK" s3api list-buckets
    t_py "read-only twin lists alice's bucket" "'$A' in [b['Name'] for b in j['Buckets']] and '$Bb' not in [b['Name'] for b in j['Buckets']]"
    t_http "read-only key GET" 200 - cua "$AUTH_ALICERO_AK" "$AUTH_ALICERO_SK" "$EP/$A/a.txt"
    t_same "read-only key GET: bytes" "$W/auth.alice" "$W/auth.body"
    t_http "read-only key PUT -> 403" 403 AccessDenied cua "$AUTH_ALICERO_AK" "$AUTH_ALICERO_SK" -X PUT --data-binary x "$EP/$A/from-ro"
    t_absent "read-only key's refused PUT left nothing on disk" "$A/from-ro"
    t_http "read-only key DELETE -> 403" 403 AccessDenied cua "$AUTH_ALICERO_AK" "$AUTH_ALICERO_SK" -X DELETE "$EP/$A/a.txt"
    t_http "read-only key CreateBucket -> 403" 403 AccessDenied cua "$AUTH_ALICERO_AK" "$AUTH_ALICERO_SK" -X PUT "$EP/t-auth-ro"
    t_absent "read-only key's refused CreateBucket made no directory" "t-auth-ro"

    # carol: grant=t-auth-alice:rw
    run aua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" s3api list-buckets
    t_py "rw grantee lists the granted bucket only" "[b['Name'] for b in j['Buckets']] == ['$A']"
    t_http "rw grantee GET" 200 - cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" "$EP/$A/a.txt"
    t_same "rw grantee GET: bytes" "$W/auth.alice" "$W/auth.body"
    t_http "rw grantee PUT" 200 - cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" -X PUT --data-binary "@$f" "$EP/$A/from-carol"
    t_same "rw grantee PUT on disk" "$f" "$ROOT/$A/from-carol"
    t "rw grantee aws s3 cp" aua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" s3 cp --no-progress "$W/auth.bob" "s3://$A/from-carol-cp"
    t_http "rw grantee DELETE object" 204 - cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" -X DELETE "$EP/$A/from-carol-cp"
    t_http "rw grantee DELETE bucket -> 403" 403 AccessDenied cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" -X DELETE "$EP/$A"
    # "?acl=", not "?acl": curl 7.88's --aws-sigv4 puts a bare "acl" (no '=') into the
    # canonical query, which no S3 accepts (AWS's canonical form is "acl=").
    t_http "rw grantee PutBucketAcl -> 403" 403 AccessDenied cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" -X PUT -H 'x-amz-acl: public-read' "$EP/$A?acl="
    t_http "rw grantee GET bob's object -> 403" 403 AccessDenied cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" "$EP/$Bb/b.txt"
    t_http "rw grantee PUT into bob's bucket -> 403" 403 AccessDenied cua "$AUTH_CAROL_AK" "$AUTH_CAROL_SK" -X PUT --data-binary x "$EP/$Bb/from-carol"
    t_absent "rw grantee's refused PUT left nothing on disk" "$Bb/from-carol"

    # dave: grant=t-auth-alice:ro
    t_http "ro grantee lists the bucket" 200 - cua "$AUTH_DAVE_AK" "$AUTH_DAVE_SK" "$EP/$A?list-type=2"
    t_eq "ro grantee listing has a.txt and from-carol" "1 1" "$(grep -c '<Key>a.txt</Key>' "$W/auth.body") $(grep -c '<Key>from-carol</Key>' "$W/auth.body")"
    t_http "ro grantee GET" 200 - cua "$AUTH_DAVE_AK" "$AUTH_DAVE_SK" "$EP/$A/from-carol"
    t_same "ro grantee GET: bytes" "$f" "$W/auth.body"
    t_http "ro grantee PUT -> 403" 403 AccessDenied cua "$AUTH_DAVE_AK" "$AUTH_DAVE_SK" -X PUT --data-binary x "$EP/$A/from-dave"
    t_absent "ro grantee's refused PUT left nothing on disk" "$A/from-dave"
    t_http "ro grantee DELETE -> 403" 403 AccessDenied cua "$AUTH_DAVE_AK" "$AUTH_DAVE_SK" -X DELETE "$EP/$A/from-carol"
    t_same "ro grantee's refused DELETE kept the object" "$f" "$ROOT/$A/from-carol"

    # ---- anonymous ------------------------------------------------------------------
    t "alice create-bucket $P --acl public-read" aua "$a_ak" "$a_sk" s3api create-bucket --bucket "$P" --acl public-read
    t "alice put-object into $P" aua "$a_ak" "$a_sk" s3api put-object --bucket "$P" --key pub.txt --body "$W/auth.pub"
    t_http "anonymous GET, public-read bucket" 200 - cuanon "$EP/$P/pub.txt"
    t_same "anonymous GET, public-read bucket: bytes" "$W/auth.pub" "$W/auth.body"
    t_http "anonymous HEAD, public-read bucket" 200 - cuanon -I "$EP/$P/pub.txt"
    t_http "anonymous list, public-read bucket" 200 - cuanon "$EP/$P?list-type=2"
    t_eq "anonymous list shows pub.txt" 1 "$(grep -c '<Key>pub.txt</Key>' "$W/auth.body")"
    t_http "anonymous PUT, public-read bucket -> 403" 403 AccessDenied cuanon -X PUT --data-binary "@$f" "$EP/$P/anon.bin"
    t_absent "anonymous refused PUT left nothing on disk" "$P/anon.bin"
    t_http "anonymous chunked PUT, public-read bucket -> 403" 403 AccessDenied cuanon -T - "$EP/$P/anon2.bin" < "$f"
    t_absent "anonymous refused chunked PUT left nothing on disk" "$P/anon2.bin"
    t_http "anonymous DELETE, public-read bucket -> 403" 403 AccessDenied cuanon -X DELETE "$EP/$P/pub.txt"
    t_same "anonymous refused DELETE kept the object" "$W/auth.pub" "$ROOT/$P/pub.txt"
    t_http "anonymous DELETE bucket -> 403" 403 AccessDenied cuanon -X DELETE "$EP/$P"
    t_http "anonymous PUT ?acl -> 403" 403 AccessDenied cuanon -X PUT -H 'x-amz-acl: public-read' "$EP/$A?acl="
    t_http "anonymous CreateBucket -> 403" 403 AccessDenied cuanon -X PUT "$EP/t-auth-anon"
    t_absent "anonymous refused CreateBucket made no directory" "t-auth-anon"
    t_http "anonymous ListBuckets -> 403" 403 AccessDenied cuanon "$EP/"

    t "alice put-object --acl public-read into her private bucket" aua "$a_ak" "$a_sk" s3api put-object --bucket "$A" --key pubobj.txt --body "$W/auth.pub" --acl public-read
    t_http "anonymous GET, public-read object in a private bucket" 200 - cuanon "$EP/$A/pubobj.txt"
    t_same "anonymous GET, public-read object: bytes" "$W/auth.pub" "$W/auth.body"
    t_http "anonymous GET, private object -> 403" 403 AccessDenied cuanon "$EP/$A/a.txt"
    t_http "anonymous list, private bucket -> 403" 403 AccessDenied cuanon "$EP/$A?list-type=2"
    t_http "anonymous GET, missing key of a private bucket -> 403 (no existence leak)" 403 AccessDenied cuanon "$EP/$A/no-such-key"
    t_http "anonymous PUT over the public-read object -> 403" 403 AccessDenied cuanon -X PUT --data-binary x "$EP/$A/pubobj.txt"
    t_same "anonymous refused PUT kept the public object" "$W/auth.pub" "$ROOT/$A/pubobj.txt"
    t "alice put-object-acl private" aua "$a_ak" "$a_sk" s3api put-object-acl --bucket "$A" --key pubobj.txt --acl private
    t_http "anonymous GET after put-object-acl private -> 403" 403 AccessDenied cuanon "$EP/$A/pubobj.txt"

    t "alice create-bucket $Q (private)" aua "$a_ak" "$a_sk" s3api create-bucket --bucket "$Q"
    t "alice put-object into $Q" aua "$a_ak" "$a_sk" s3api put-object --bucket "$Q" --key q.txt --body "$W/auth.pub"
    t_http "anonymous GET, private bucket -> 403" 403 AccessDenied cuanon "$EP/$Q/q.txt"
    t "alice put-bucket-acl public-read" aua "$a_ak" "$a_sk" s3api put-bucket-acl --bucket "$Q" --acl public-read
    run aua "$a_ak" "$a_sk" s3api get-bucket-acl --bucket "$Q"
    t_py "get-bucket-acl: AllUsers READ" "any(g['Permission'] == 'READ' and g['Grantee'].get('URI', '').endswith('/global/AllUsers') for g in j['Grants'])"
    t_http "anonymous GET after put-bucket-acl public-read" 200 - cuanon "$EP/$Q/q.txt"
    t_same "anonymous GET after put-bucket-acl: bytes" "$W/auth.pub" "$W/auth.body"
    t "alice put-bucket-acl private" aua "$a_ak" "$a_sk" s3api put-bucket-acl --bucket "$Q" --acl private
    t_http "anonymous GET after put-bucket-acl private -> 403" 403 AccessDenied cuanon "$EP/$Q/q.txt"
    t_http "public-read-write refused -> 501" 501 NotImplemented cua "$a_ak" "$a_sk" -X PUT -H 'x-amz-acl: public-read-write' "$EP/$Q?acl="

    # clean up (each owner empties and removes its buckets)
    for k in "$A/a.txt" "$A/from-carol" "$A/pubobj.txt" "$Bb/b.txt" "$P/pub.txt" "$Q/q.txt"; do
        case $k in "$Bb"/*) run cua "$b_ak" "$b_sk" -X DELETE "$EP/$k" ;; *) run cua "$a_ak" "$a_sk" -X DELETE "$EP/$k" ;; esac
    done
    t_http "alice deletes her buckets" 204 - cua "$a_ak" "$a_sk" -X DELETE "$EP/$A"
    for k in "$P" "$Q"; do run cua "$a_ak" "$a_sk" -X DELETE "$EP/$k"; done
    t_http "bob deletes his bucket" 204 - cua "$b_ak" "$b_sk" -X DELETE "$EP/$Bb"
}
