/* test_core.c - drives s3_handle end to end through an in-memory front: requests
 * as CGI variables and a body buffer, responses parsed back from the bytes written.
 * Authentication is bypassed with "anonymous = full" (signing has its own suite and
 * the integration tests use real clients). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "arena.h"
#include "buf.h"
#include "request.h"
#include "memfront.h"
#include "s3cgi.h"
#include "util.h"

static char root[64], conf[96];
static struct s3_config cfg;

static void setup(void)
{
    mem_root_make(root, conf, &cfg, "");
}

static void teardown(void)
{
    mem_root_remove(root, conf, &cfg);
}

/* Sends one request. hdrs: NULL-terminated list of "NAME=value" CGI variables. */
static void request(struct reply *r, const char *method, const char *uri, const char *body,
                    size_t body_len, const char *const *hdrs)
{
    ck_assert_msg(mem_request(&cfg, r, method, uri, body, body_len, hdrs) == 0,
                  "%s %s: no response", method, uri);
}

static int expect(const char *method, const char *uri, const char *body, int status,
                  const char *code, const char *const *hdrs)
{
    struct reply r;
    request(&r, method, uri, body, body ? strlen(body) : 0, hdrs);
    ck_assert_msg(r.status == status, "%s %s: status %d, want %d; body %s", method, uri, r.status,
                  status, r.body);
    if (code) {
        char want[128];
        snprintf(want, sizeof want, "<Code>%s</Code>", code);
        ck_assert_msg(strstr(r.body, want) != NULL, "%s %s: want %s in %s", method, uri, code, r.body);
    }
    reply_free(&r);
    return 1;
}

static void md5_hex(const char *s, size_t n, char out[33])
{
    unsigned char md[16];
    unsigned int l;
    EVP_Digest(s, n, md, &l, EVP_md5(), NULL);
    hex_encode(md, 16, out);
}

START_TEST(test_bucket_lifecycle)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt", NULL, 409, "BucketAlreadyOwnedByYou", NULL);
    expect("PUT", "/Bad_Name", NULL, 400, "InvalidBucketName", NULL);
    expect("HEAD", "/bkt", NULL, 200, NULL, NULL);
    expect("HEAD", "/nope", NULL, 404, NULL, NULL);
    expect("GET", "/nope", NULL, 404, "NoSuchBucket", NULL);
    expect("GET", "/bkt?location", NULL, 200, NULL, NULL);
    expect("GET", "/bkt?policy", NULL, 404, "NoSuchBucketPolicy", NULL);
    expect("GET", "/bkt?cors", NULL, 404, "NoSuchCORSConfiguration", NULL);
    expect("GET", "/bkt?lifecycle", NULL, 404, "NoSuchLifecycleConfiguration", NULL);
    expect("GET", "/bkt?replication", NULL, 501, "NotImplemented", NULL);
    expect("PUT", "/bkt/k", "x", 200, NULL, NULL);
    expect("DELETE", "/bkt", NULL, 409, "BucketNotEmpty", NULL);
    expect("DELETE", "/bkt/k", NULL, 204, NULL, NULL);
    expect("DELETE", "/bkt", NULL, 204, NULL, NULL);
    expect("DELETE", "/bkt", NULL, 404, "NoSuchBucket", NULL);
    struct stat st;
    ck_assert_int_eq(stat(root, &st), 0);
    char p[128];
    snprintf(p, sizeof p, "%s/bkt", root);
    ck_assert_int_ne(stat(p, &st), 0);
}
END_TEST

START_TEST(test_create_bucket_body)
{
    expect("PUT", "/bk1",
           "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
           "<LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>",
           200, NULL, NULL);
    expect("PUT", "/bk2", "<CreateBucketConfiguration><LocationConstraint>eu-west-9"
           "</LocationConstraint></CreateBucketConfiguration>", 400, "InvalidLocationConstraint", NULL);
    expect("PUT", "/bk3", "<CreateBucketConfiguration>", 400, "MalformedXML", NULL);
    expect("PUT", "/bk4", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", 400,
           "MalformedXML", NULL);
}
END_TEST

START_TEST(test_put_get_head)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *data = "hello, world\n";
    char md5[33], want_etag[40], got[128];
    md5_hex(data, strlen(data), md5);
    snprintf(want_etag, sizeof want_etag, "\"%s\"", md5);
    const char *h[] = { "CONTENT_TYPE=text/plain", "HTTP_X_AMZ_META_COLOR=blue",
                        "HTTP_CACHE_CONTROL=max-age=60", NULL };
    struct reply r;
    request(&r, "PUT", "/bkt/dir/a%20b+c.txt", data, strlen(data), h);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want_etag);
    reply_free(&r);

    request(&r, "GET", "/bkt/dir/a%20b+c.txt", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, strlen(data));
    ck_assert_mem_eq(r.body, data, r.body_len);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want_etag);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "text/plain");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-color", got, sizeof got), "blue");
    ck_assert_str_eq(reply_header(&r, "cache-control", got, sizeof got), "max-age=60");
    ck_assert_str_eq(reply_header(&r, "Content-Length", got, sizeof got), "13");
    reply_free(&r);

    /* the file is plain on disk */
    char p[160];
    snprintf(p, sizeof p, "%s/bkt/dir/a b+c.txt", root);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    fclose(f);

    request(&r, "HEAD", "/bkt/dir/a%20b+c.txt", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 0);
    ck_assert_str_eq(reply_header(&r, "Content-Length", got, sizeof got), "13");
    reply_free(&r);

    const char *ov[] = { NULL };
    request(&r, "GET", "/bkt/dir/a%20b+c.txt?response-content-type=x/y&response-cache-control=no",
            NULL, 0, ov);
    ck_assert_str_eq(reply_header(&r, "Content-Type", got, sizeof got), "x/y");
    ck_assert_str_eq(reply_header(&r, "Cache-Control", got, sizeof got), "no");
    ck_assert_ptr_null(reply_header(&r, "cache-control", got, sizeof got));
    reply_free(&r);

    request(&r, "PUT", "/bkt/empty", "", 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    reply_free(&r);
    request(&r, "GET", "/bkt/empty", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 0);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "binary/octet-stream");
    reply_free(&r);
    expect("GET", "/bkt/missing", NULL, 404, "NoSuchKey", NULL);
    expect("GET", "/bkt/empty?versionId=null", NULL, 200, NULL, NULL);
    expect("GET", "/bkt/empty?versionId=abc", NULL, 400, "InvalidArgument", NULL);
}
END_TEST

START_TEST(test_put_integrity)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *bad_md5[] = { "HTTP_CONTENT_MD5=1B2M2Y8AsgTpgAmY7PhCfg==", NULL };
    expect("PUT", "/bkt/k", "not empty", 400, "BadDigest", bad_md5);
    expect("GET", "/bkt/k", NULL, 404, "NoSuchKey", NULL);
    const char *junk_md5[] = { "HTTP_CONTENT_MD5=zzz", NULL };
    expect("PUT", "/bkt/k", "x", 400, "InvalidDigest", junk_md5);
    const char *good_md5[] = { "HTTP_CONTENT_MD5=1B2M2Y8AsgTpgAmY7PhCfg==", NULL };
    expect("PUT", "/bkt/k", "", 200, NULL, good_md5);
    const char *bad_sha[] = {
        "HTTP_X_AMZ_CONTENT_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL };
    expect("PUT", "/bkt/k2", "not empty", 400, "XAmzContentSHA256Mismatch", bad_sha);
    expect("GET", "/bkt/k2", NULL, 404, "NoSuchKey", NULL);
    expect("PUT", "/bkt/k2", "", 200, NULL, bad_sha);     /* it is the empty string's hash */
    const char *nonhex[] = { "HTTP_X_AMZ_CONTENT_SHA256=nothex", NULL };
    expect("PUT", "/bkt/k3", "", 400, "XAmzContentSHA256Mismatch", nonhex);
    /* a body shorter than its Content-Length stores nothing */
    struct reply r;
    const char *cl[] = { "CONTENT_LENGTH=100", NULL };
    request(&r, "PUT", "/bkt/short", NULL, 0, cl);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "IncompleteBody"));
    reply_free(&r);
    expect("GET", "/bkt/short", NULL, 404, "NoSuchKey", NULL);
}
END_TEST

START_TEST(test_checksums_and_aws_chunked)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    struct reply r;
    char got[128];
    /* a CRC32 header is verified, stored, and returned only in checksum mode */
    const char *ck[] = { "HTTP_X_AMZ_CHECKSUM_CRC32=NhCmhg==", NULL };
    request(&r, "PUT", "/bkt/c", "hello", 5, ck);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "x-amz-checksum-crc32", got, sizeof got), "NhCmhg==");
    reply_free(&r);
    request(&r, "GET", "/bkt/c", NULL, 0, NULL);
    ck_assert_ptr_null(reply_header(&r, "x-amz-checksum-crc32", got, sizeof got));
    reply_free(&r);
    const char *mode[] = { "HTTP_X_AMZ_CHECKSUM_MODE=ENABLED", NULL };
    request(&r, "HEAD", "/bkt/c", NULL, 0, mode);
    ck_assert_str_eq(reply_header(&r, "x-amz-checksum-crc32", got, sizeof got), "NhCmhg==");
    reply_free(&r);
    const char *bad[] = { "HTTP_X_AMZ_CHECKSUM_CRC32=DX6GTg==", NULL };
    expect("PUT", "/bkt/c2", "hello", 400, "BadDigest", bad);
    expect("GET", "/bkt/c2", NULL, 404, "NoSuchKey", NULL);

    /* STREAMING-UNSIGNED-PAYLOAD-TRAILER: framing removed, trailer checksum verified,
     * aws-chunked dropped from the stored Content-Encoding */
    const char *tr[] = { "HTTP_X_AMZ_CONTENT_SHA256=STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                         "HTTP_X_AMZ_DECODED_CONTENT_LENGTH=5", "HTTP_X_AMZ_TRAILER=x-amz-checksum-crc32",
                         "HTTP_CONTENT_ENCODING=aws-chunked,gzip", NULL };
    const char *framed = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    request(&r, "PUT", "/bkt/t", framed, strlen(framed), tr);
    ck_assert_msg(r.status == 200, "status %d: %s", r.status, r.body);
    reply_free(&r);
    request(&r, "GET", "/bkt/t", NULL, 0, mode);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 5);
    ck_assert_mem_eq(r.body, "hello", 5);
    ck_assert_str_eq(reply_header(&r, "content-encoding", got, sizeof got), "gzip");
    ck_assert_str_eq(reply_header(&r, "x-amz-checksum-crc32", got, sizeof got), "NhCmhg==");
    reply_free(&r);
    const char *badtrailer = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:DX6GTg==\r\n\r\n";
    request(&r, "PUT", "/bkt/t2", badtrailer, strlen(badtrailer), tr);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "<Code>BadDigest</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "CRC32"));     /* S3's specific message */
    reply_free(&r);
    expect("GET", "/bkt/t2", NULL, 404, "NoSuchKey", NULL);
    const char *truncated = "5\r\nhello\r\n";
    request(&r, "PUT", "/bkt/t3", truncated, strlen(truncated), tr);
    ck_assert_int_eq(r.status, 400);
    reply_free(&r);
    expect("GET", "/bkt/t3", NULL, 404, "NoSuchKey", NULL);
}
END_TEST

/* Metadata names come back as header names: a non-token name is refused and nothing
 * is stored (found by fuzz_core: "x-amz-meta-a:b" was echoed as a header line). */
START_TEST(test_metadata_names)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *colon[] = { "HTTP_X_AMZ_META_A:B=v", NULL };
    expect("PUT", "/bkt/m", "x", 400, "InvalidArgument", colon);
    const char *space[] = { "HTTP_X_AMZ_META_A B=v", NULL };
    expect("PUT", "/bkt/m", "x", 400, "InvalidArgument", space);
    expect("GET", "/bkt/m", NULL, 404, "NoSuchKey", NULL);
    const char *ok[] = { "HTTP_X_AMZ_META_GOOD_NAME=v", NULL };
    expect("PUT", "/bkt/m", "x", 200, NULL, ok);
    struct reply r;
    char got[64];
    request(&r, "HEAD", "/bkt/m", NULL, 0, NULL);
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-good-name", got, sizeof got), "v");
    reply_free(&r);
}
END_TEST

START_TEST(test_bad_keys)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/a/../b", "x", 400, "InvalidArgument", NULL);
    expect("PUT", "/bkt/a/%2e%2E/b", "x", 400, "InvalidArgument", NULL);
    expect("PUT", "/bkt/a//b", "x", 400, "InvalidArgument", NULL);
    expect("PUT", "/bkt/a%00b", "x", 400, "InvalidArgument", NULL);
    expect("PUT", "/bkt/.s3cgi/x", "x", 400, "InvalidArgument", NULL);
    expect("PUT", "/bkt/a%zz", "x", 400, "InvalidURI", NULL);
    expect("GET", "/.s3cgi", NULL, 404, "NoSuchBucket", NULL);
    expect("GET", "//etc/passwd", NULL, 400, "InvalidURI", NULL);
    expect("GET", "//", NULL, 400, "InvalidURI", NULL);
    expect("GET", "/", NULL, 200, NULL, NULL);
    /* file/directory conflicts */
    expect("PUT", "/bkt/f", "x", 200, NULL, NULL);
    expect("PUT", "/bkt/f/g", "x", 409, NULL, NULL);
    expect("PUT", "/bkt/d/e", "x", 200, NULL, NULL);
    expect("PUT", "/bkt/d", "x", 409, NULL, NULL);
    expect("GET", "/bkt/d", NULL, 404, "NoSuchKey", NULL);
}
END_TEST

START_TEST(test_range_and_conditions)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/r", "0123456789", 200, NULL, NULL);
    struct reply r;
    char got[128], etag[64];
    const char *rg[] = { "HTTP_RANGE=bytes=2-4", NULL };
    request(&r, "GET", "/bkt/r", NULL, 0, rg);
    ck_assert_int_eq(r.status, 206);
    ck_assert_str_eq(r.body, "234");
    ck_assert_str_eq(reply_header(&r, "Content-Range", got, sizeof got), "bytes 2-4/10");
    ck_assert_str_eq(reply_header(&r, "ETag", etag, sizeof etag), "\"781e5e245d69b566979b86e28d23f2c7\"");
    reply_free(&r);
    const char *suffix[] = { "HTTP_RANGE=bytes=-3", NULL };
    request(&r, "GET", "/bkt/r", NULL, 0, suffix);
    ck_assert_int_eq(r.status, 206);
    ck_assert_str_eq(r.body, "789");
    reply_free(&r);
    const char *past[] = { "HTTP_RANGE=bytes=10-", NULL };
    expect("GET", "/bkt/r", NULL, 416, "InvalidRange", past);

    const char *inm[] = { "HTTP_IF_NONE_MATCH=\"781e5e245d69b566979b86e28d23f2c7\"", NULL };
    request(&r, "GET", "/bkt/r", NULL, 0, inm);
    ck_assert_int_eq(r.status, 304);
    ck_assert_uint_eq(r.body_len, 0);
    reply_free(&r);
    const char *im_bad[] = { "HTTP_IF_MATCH=\"nope\"", NULL };
    expect("GET", "/bkt/r", NULL, 412, "PreconditionFailed", im_bad);
    const char *ims[] = { "HTTP_IF_MODIFIED_SINCE=Sun, 06 Nov 2050 08:49:37 GMT", NULL };
    expect("GET", "/bkt/r", NULL, 304, NULL, ims);
    const char *ius[] = { "HTTP_IF_UNMODIFIED_SINCE=Sun, 06 Nov 1994 08:49:37 GMT", NULL };
    expect("GET", "/bkt/r", NULL, 412, "PreconditionFailed", ius);

    /* conditional writes */
    const char *star[] = { "HTTP_IF_NONE_MATCH=*", NULL };
    expect("PUT", "/bkt/r", "new", 412, "PreconditionFailed", star);
    expect("PUT", "/bkt/new", "new", 200, NULL, star);
    expect("PUT", "/bkt/r", "changed", 412, "PreconditionFailed", im_bad);
    const char *im_ok[] = { "HTTP_IF_MATCH=\"781e5e245d69b566979b86e28d23f2c7\"", NULL };
    expect("PUT", "/bkt/r", "changed", 200, NULL, im_ok);
    request(&r, "GET", "/bkt/r", NULL, 0, NULL);
    ck_assert_str_eq(r.body, "changed");
    reply_free(&r);
}
END_TEST

/* GET with "sendfile" (op_object.c sendfile_target): the answer names the file in
 * the web server's header and has no body, or s3cgi streams it where the server would
 * answer differently from S3. */
static void get_with(struct reply *r, const char *uri, const char *hdr)
{
    /* hdr: one CGI variable, or two separated by '|' */
    char one[128], *two = NULL;
    const char *h[] = { one, NULL, NULL };
    if (hdr) {
        snprintf(one, sizeof one, "%s", hdr);
        if ((two = strchr(one, '|')) != NULL) {
            *two++ = '\0';
            h[1] = two;
        }
    }
    request(r, "GET", uri, NULL, 0, hdr ? h : NULL);
}

static void want_offload(const char *uri, const char *hdr, int status, const char *name,
                         const char *value)
{
    struct reply r;
    char got[256];
    get_with(&r, uri, hdr);
    ck_assert_msg(r.status == status, "%s (%s): status %d, want %d", uri, hdr, r.status, status);
    ck_assert_msg(reply_header(&r, name, got, sizeof got) != NULL, "%s (%s): no %s", uri, hdr, name);
    ck_assert_str_eq(got, value);
    ck_assert_uint_eq(r.body_len, 0);
    reply_free(&r);
}

static void want_streamed(const char *uri, const char *hdr, int status, const char *body)
{
    struct reply r;
    char got[256];
    get_with(&r, uri, hdr);
    ck_assert_msg(r.status == status, "%s (%s): status %d, want %d", uri, hdr, r.status, status);
    ck_assert_msg(!reply_header(&r, "X-Sendfile", got, sizeof got) &&
                  !reply_header(&r, "X-Sendfile2", got, sizeof got) &&
                  !reply_header(&r, "X-Accel-Redirect", got, sizeof got),
                  "%s (%s): offloaded", uri, hdr);
    ck_assert_str_eq(r.body, body);
    reply_free(&r);
}

START_TEST(test_sendfile_offload)
{
    static const char *const modes[] = { "mod_xsendfile", "x-sendfile", "x-accel-redirect" };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        char extra[64], path[128], ranged[160];
        mem_root_remove(root, conf, &cfg);
        snprintf(extra, sizeof extra, "sendfile = %s\n", modes[i]);
        mem_root_make(root, conf, &cfg, extra);
        expect("PUT", "/bkt", NULL, 200, NULL, NULL);
        expect("PUT", "/bkt/a%20b", "0123456789", 200, NULL, NULL);
        const char *gz[] = { "HTTP_CONTENT_ENCODING=gzip", NULL };
        expect("PUT", "/bkt/gz", "0123456789", 200, NULL, gz);
        const char *name = "X-Accel-Redirect";
        if (i == 2) {
            snprintf(path, sizeof path, "/.s3cgi-sendfile/bkt/a%%20b");
        } else {
            name = "X-Sendfile";
            snprintf(path, sizeof path, i == 0 ? "%s/bkt/a b" : "%s/bkt/a%%20b", cfg.root);
        }
        want_offload("/bkt/a%20b", NULL, 200, name, path);
        if (i == 1) {       /* lighttpd: s3cgi's own 206, the range in X-Sendfile2 */
            snprintf(ranged, sizeof ranged, "%s 2-4", path);
            want_offload("/bkt/a%20b", "HTTP_RANGE=bytes=2-4", 206, "X-Sendfile2", ranged);
            snprintf(ranged, sizeof ranged, "%s 0-9", path);
            want_offload("/bkt/a%20b?partNumber=1", NULL, 206, "X-Sendfile2", ranged);
        } else {            /* nginx, Apache: a 200 the server cuts; parts streamed */
            want_offload("/bkt/a%20b", "HTTP_RANGE=bytes=2-4", 200, name, path);
            want_streamed("/bkt/a%20b?partNumber=1", NULL, 206, "0123456789");
            /* S3 ignores If-Range; nginx and Apache would not */
            want_streamed("/bkt/a%20b", "HTTP_RANGE=bytes=2-4|HTTP_IF_RANGE=\"x\"", 206, "234");
        }
        /* Ranges S3 ignores: every server would still cut them */
        want_streamed("/bkt/a%20b", "HTTP_RANGE=bytes=0-1,5-6", 200, "0123456789");
        want_streamed("/bkt/a%20b", "HTTP_RANGE=bytes=x-y", 200, "0123456789");
        if (i == 0) {       /* mod_xsendfile drops Content-Encoding */
            want_streamed("/bkt/gz", NULL, 200, "0123456789");
            want_streamed("/bkt/a%20b?response-content-encoding=br", NULL, 200, "0123456789");
        }
        struct reply r;
        char got[64];
        request(&r, "HEAD", "/bkt/a%20b", NULL, 0, NULL);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_null(reply_header(&r, name, got, sizeof got));
        reply_free(&r);
    }
}
END_TEST

/* Every answer carries a request id: 16 upper-case hex digits, the same in
 * x-amz-id-2, different from one request to the next. */
START_TEST(test_request_ids)
{
    char seen[64][17];
    for (int i = 0; i < 64; i++) {
        struct reply r;
        char id2[64];
        request(&r, "GET", "/nosuchbucket", NULL, 0, NULL);
        ck_assert_ptr_nonnull(reply_header(&r, "x-amz-request-id", seen[i], sizeof seen[i]));
        ck_assert_uint_eq(strlen(seen[i]), 16);
        ck_assert_uint_eq(strspn(seen[i], "0123456789ABCDEF"), 16);
        ck_assert_ptr_nonnull(reply_header(&r, "x-amz-id-2", id2, sizeof id2));
        ck_assert_str_eq(id2, seen[i]);
        ck_assert_msg(strstr(r.body, seen[i]) != NULL, "RequestId %s not in %s", seen[i], r.body);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(seen[i], seen[j]);
        reply_free(&r);
    }
}
END_TEST

/* Counts occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(test_listing)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "a-b", "a/b", "a/c/d", "a0", "b+c", "z" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "/bkt/%s", keys[i]);
        expect("PUT", uri, "x", 200, NULL, NULL);
    }
    struct reply r;
    request(&r, "GET", "/bkt?list-type=2", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    const char *p = r.body;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char k[64];
        snprintf(k, sizeof k, "<Key>%s</Key>", keys[i]);
        const char *q = strstr(p, k);
        ck_assert_msg(q != NULL, "%s missing or out of order in %s", keys[i], r.body);
        p = q;
    }
    ck_assert_ptr_nonnull(strstr(r.body, "<KeyCount>6</KeyCount>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<IsTruncated>false</IsTruncated>"));
    reply_free(&r);

    request(&r, "GET", "/bkt?list-type=2&delimiter=/&encoding-type=url", NULL, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Key>b%2Bc</Key>"));
    ck_assert_int_eq(count(r.body, "<Contents>"), 4);
    reply_free(&r);

    /* pages of 2 resume exactly */
    char uri[512] = "/bkt?list-type=2&max-keys=2";
    int seen = 0;
    for (int page = 0; page < 10; page++) {
        request(&r, "GET", uri, NULL, 0, NULL);
        seen += count(r.body, "<Contents>");
        const char *t = strstr(r.body, "<NextContinuationToken>");
        if (!t) {
            ck_assert_ptr_nonnull(strstr(r.body, "<IsTruncated>false</IsTruncated>"));
            reply_free(&r);
            break;
        }
        t += strlen("<NextContinuationToken>");
        size_t n = strcspn(t, "<");
        struct buf b;
        buf_init(&b, 1024);
        buf_adds(&b, "/bkt?list-type=2&max-keys=2&continuation-token=");
        for (size_t i = 0; i < n; i++) {
            if (t[i] == '+') buf_adds(&b, "%2B");
            else if (t[i] == '/') buf_adds(&b, "%2F");
            else if (t[i] == '=') buf_adds(&b, "%3D");
            else buf_addc(&b, t[i]);
        }
        snprintf(uri, sizeof uri, "%s", buf_str(&b));
        buf_free(&b);
        reply_free(&r);
    }
    ck_assert_int_eq(seen, 6);

    /* V1 with marker and prefix */
    request(&r, "GET", "/bkt?prefix=a&marker=a/b", NULL, 0, NULL);
    ck_assert_ptr_null(strstr(r.body, "<Key>a/b</Key>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Key>a/c/d</Key>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Key>a0</Key>"));
    ck_assert_ptr_null(strstr(r.body, "<Key>z</Key>"));
    reply_free(&r);

    request(&r, "GET", "/bkt?versions", NULL, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "<ListVersionsResult"));
    ck_assert_int_eq(count(r.body, "<VersionId>null</VersionId>"), 6);
    reply_free(&r);
    expect("GET", "/bkt?max-keys=abc", NULL, 400, "InvalidArgument", NULL);
    expect("GET", "/bkt?list-type=2&continuation-token=%25%25", NULL, 400, "InvalidArgument", NULL);

    request(&r, "GET", "/", NULL, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "<Name>bkt</Name>"));
    reply_free(&r);
}
END_TEST

START_TEST(test_prefix_mount)
{
    mem_root_remove(root, conf, &cfg);
    mem_root_make(root, conf, &cfg, "prefix = /s3/\n");
    expect("PUT", "/s3/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/s3/bkt/k", "v", 200, NULL, NULL);
    expect("GET", "/s3/bkt/k", NULL, 200, NULL, NULL);
    expect("GET", "/bkt/k", NULL, 400, "InvalidURI", NULL);
    expect("GET", "/s3x/bkt/k", NULL, 400, "InvalidURI", NULL);
}
END_TEST

START_TEST(test_auth_required)
{
    s3_config_free(&cfg);
    char path[128];
    snprintf(path, sizeof path, "%s.creds", root);
    FILE *f = fopen(path, "w");
    fprintf(f, "AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n");
    fclose(f);
    f = fopen(conf, "w");
    fprintf(f, "root = %s\ncredentials = %s\n", root, path);
    fclose(f);
    char err[256];
    ck_assert_msg(s3_config_load(&cfg, conf, err, sizeof err) == 0, "%s", err);
    expect("GET", "/", NULL, 403, "AccessDenied", NULL);
    const char *bad[] = { "HTTP_AUTHORIZATION=AWS4-HMAC-SHA256 Credential=NOPE/20250101/us-east-1/s3/aws4_request, "
                          "SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
                          "HTTP_X_AMZ_DATE=20250101T000000Z", NULL };
    struct reply r;
    request(&r, "GET", "/", NULL, 0, bad);
    ck_assert_int_eq(r.status, 403);
    reply_free(&r);
    unlink(path);
}
END_TEST

/* lighttpd and nginx pass HTTP_CONTENT_LENGTH beside CONTENT_LENGTH: one header. */
START_TEST(test_content_length_once)
{
    char *env[] = { "REQUEST_METHOD=PUT", "REQUEST_URI=/bkt/k", "CONTENT_LENGTH=5",
                    "HTTP_CONTENT_LENGTH=5", "CONTENT_TYPE=text/plain",
                    "HTTP_CONTENT_TYPE=text/plain", "HTTP_HOST=h", NULL };
    struct mem_front mf;
    struct s3_io io;
    mem_front_init(&mf, &io, env, NULL, 0);
    struct arena a;
    struct s3_request req;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(s3_request_parse(&req, &a, &io, &cfg, 0), S3E_OK);
    int cl = 0, ct = 0;
    for (size_t i = 0; i < req.nheaders; i++) {
        cl += strcmp(req.headers[i].name, "content-length") == 0;
        ct += strcmp(req.headers[i].name, "content-type") == 0;
    }
    ck_assert_int_eq(cl, 1);
    ck_assert_int_eq(ct, 1);
    ck_assert_int_eq(req.content_length, 5);
    arena_free(&a);
    mem_front_free(&mf);
}
END_TEST

START_TEST(test_config_errors)
{
    struct s3_config c2;
    char err[256];
    ck_assert_int_eq(s3_config_load(&c2, "/nonexistent/s3cgi.conf", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/s3cgi.conf"));
    s3_config_free(&c2);
    FILE *f = fopen(conf, "w");
    fprintf(f, "root = %s\nbogus = 1\n", root);
    fclose(f);
    ck_assert_int_eq(s3_config_load(&c2, conf, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
    s3_config_free(&c2);
    /* a request under a broken configuration gets a 500, not a crash */
    char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };
    struct mem_front mf;
    struct s3_io io;
    mem_front_init(&mf, &io, env, NULL, 0);
    s3_handle_config_error(&io, err);
    ck_assert_int_eq(strncmp(buf_str(&mf.out), "Status: 500", 11), 0);
    ck_assert_ptr_nonnull(strstr(buf_str(&mf.log), "bogus"));
    mem_front_free(&mf);
    /* mp_max_age: seconds, checked */
    f = fopen(conf, "w");
    fprintf(f, "root = %s\nanonymous = full\nmp_max_age = 3600\n", root);
    fclose(f);
    ck_assert_msg(s3_config_load(&c2, conf, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(c2.mp_max_age, 3600);
    s3_config_free(&c2);
    f = fopen(conf, "w");
    fprintf(f, "root = %s\nanonymous = full\nmp_max_age = 5\n", root);
    fclose(f);
    ck_assert_int_eq(s3_config_load(&c2, conf, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "mp_max_age"));
    s3_config_free(&c2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bucket_lifecycle);
    tcase_add_test(tc, test_create_bucket_body);
    tcase_add_test(tc, test_put_get_head);
    tcase_add_test(tc, test_put_integrity);
    tcase_add_test(tc, test_bad_keys);
    tcase_add_test(tc, test_metadata_names);
    tcase_add_test(tc, test_checksums_and_aws_chunked);
    tcase_add_test(tc, test_range_and_conditions);
    tcase_add_test(tc, test_sendfile_offload);
    tcase_add_test(tc, test_request_ids);
    tcase_add_test(tc, test_listing);
    tcase_add_test(tc, test_prefix_mount);
    tcase_add_test(tc, test_auth_required);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_content_length_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
