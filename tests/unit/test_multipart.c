/* test_multipart.c - multipart uploads end to end through s3_handle with an in-memory
 * front (as test_core.c): Create, UploadPart, UploadPartCopy, Complete (and its
 * retry), Abort, ListParts, ListMultipartUploads, GET ?partNumber, and purge.
 * Authentication is bypassed with "anonymous = full". */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "checksum.h"
#include "multipart.h"
#include "memfront.h"
#include "s3cgi.h"
#include "util.h"

#define MIB (1u << 20)

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

/* Sends one request (memfront.h); usable in forked children. */
static int request_raw(struct reply *r, const char *method, const char *uri, const char *body,
                       size_t body_len, const char *const *hdrs)
{
    return mem_request(&cfg, r, method, uri, body, body_len, hdrs);
}

static void request(struct reply *r, const char *method, const char *uri, const char *body,
                    size_t body_len, const char *const *hdrs)
{
    ck_assert_msg(request_raw(r, method, uri, body, body_len, hdrs) == 0, "no response: %s",
                  r->headers);
}

/* Text of the first <name>...</name> in xml, copied into out ("" if absent). */
static const char *element(const char *xml, const char *name, char *out, size_t cap)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    const char *p = strstr(xml, open), *q;
    out[0] = '\0';
    if (!p || !(q = strstr(p, close)))
        return out;
    p += strlen(open);
    size_t n = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void expect_n(const char *method, const char *uri, const char *body, size_t len,
                     int status, const char *code, const char *const *hdrs)
{
    struct reply r;
    request(&r, method, uri, body, len, hdrs);
    ck_assert_msg(r.status == status, "%s %s: status %d, want %d; body %s", method, uri, r.status,
                  status, r.body);
    if (code) {
        char want[128];
        snprintf(want, sizeof want, "<Code>%s</Code>", code);
        ck_assert_msg(strstr(r.body, want) != NULL, "%s %s: want %s in %s", method, uri, code, r.body);
    }
    reply_free(&r);
}

static void expect(const char *method, const char *uri, const char *body, int status,
                   const char *code, const char *const *hdrs)
{
    expect_n(method, uri, body, body ? strlen(body) : 0, status, code, hdrs);
}

static void md5_bin(const void *s, size_t n, unsigned char out[16])
{
    unsigned int l;
    EVP_Digest(s, n, out, &l, EVP_md5(), NULL);
}

static void md5_hex(const void *s, size_t n, char out[33])
{
    unsigned char md[16];
    md5_bin(s, n, md);
    hex_encode(md, 16, out);
}

/* len bytes of a pattern that differs per seed and per position. */
static char *pattern(size_t len, unsigned seed)
{
    char *p = malloc(len ? len : 1);
    unsigned x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (char)(x >> 16);
    }
    return p;
}

/* POST key?uploads; the new UploadId into id. */
static void create_upload(const char *path, const char *const *hdrs, char id[64])
{
    struct reply r;
    char uri[512];
    snprintf(uri, sizeof uri, "%s?uploads", path);
    request(&r, "POST", uri, NULL, 0, hdrs);
    ck_assert_msg(r.status == 200, "create: %d %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<InitiateMultipartUploadResult"));
    element(r.body, "UploadId", id, 64);
    ck_assert_uint_eq(strlen(id), MP_ID_LEN);
    reply_free(&r);
}

/* PUT key?partNumber=n&uploadId=id; checks the ETag is the part's MD5. */
static void upload_part(const char *path, const char *id, int n, const char *data, size_t len)
{
    struct reply r;
    char uri[512], want[40], md5[33], got[128];
    snprintf(uri, sizeof uri, "%s?partNumber=%d&uploadId=%s", path, n, id);
    request(&r, "PUT", uri, data, len, NULL);
    ck_assert_msg(r.status == 200, "part %d: %d %s", n, r.status, r.body);
    md5_hex(data, len, md5);
    snprintf(want, sizeof want, "\"%s\"", md5);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want);
    reply_free(&r);
}

/* <CompleteMultipartUpload> for parts numbers[i] with the MD5s of datas[i]. */
static char *complete_xml(int n, const int *numbers, char *const *datas, const size_t *lens)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < n; i++) {
        char md5[33];
        md5_hex(datas[i], lens[i], md5);
        buf_printf(&b, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", numbers[i], md5);
    }
    buf_adds(&b, "</CompleteMultipartUpload>");
    char *s = strdup(buf_str(&b));
    buf_free(&b);
    return s;
}

/* md5-of-md5s-N */
static void multipart_etag(int n, char *const *datas, const size_t *lens, char out[48])
{
    unsigned char all[16 * 16], md[16];
    for (int i = 0; i < n; i++)
        md5_bin(datas[i], lens[i], all + 16 * i);
    md5_bin(all, 16 * (size_t)n, md);
    hex_encode(md, 16, out);
    snprintf(out + 32, 16, "-%d", n);
}

static int path_exists(const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return lstat(p, &st) == 0;
}

/* ---- tests ---- */

START_TEST(test_complete_three_parts)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], got[256], etag[48], want[64];
    const char *h[] = { "CONTENT_TYPE=video/mp4", "HTTP_X_AMZ_META_COLOR=blue",
                        "HTTP_CACHE_CONTROL=no-cache", NULL };
    create_upload("/bkt/dir/big%20file", h, id);
    size_t lens[3] = { 5 * MIB, 5 * MIB, 1 };
    char *datas[3] = { pattern(lens[0], 1), pattern(lens[1], 2), pattern(lens[2], 3) };
    /* out of order, as s3fs-fuse does */
    upload_part("/bkt/dir/big%20file", id, 3, datas[2], lens[2]);
    upload_part("/bkt/dir/big%20file", id, 1, datas[0], lens[0]);
    upload_part("/bkt/dir/big%20file", id, 2, datas[1], lens[1]);

    int nums[3] = { 1, 2, 3 };
    char *xml = complete_xml(3, nums, datas, lens);
    char uri[256];
    snprintf(uri, sizeof uri, "/bkt/dir/big%%20file?uploadId=%s", id);
    struct reply r;
    request(&r, "POST", uri, xml, strlen(xml), NULL);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<CompleteMultipartUploadResult"));
    multipart_etag(3, datas, lens, etag);
    snprintf(want, sizeof want, "&quot;%s&quot;", etag);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), want);
    ck_assert_str_eq(element(r.body, "Key", got, sizeof got), "dir/big file");
    ck_assert_str_eq(element(r.body, "Bucket", got, sizeof got), "bkt");
    ck_assert_str_eq(element(r.body, "Location", got, sizeof got), "http://127.0.0.1/bkt/dir/big%20file");
    reply_free(&r);

    /* the object is the concatenation, with Create's headers */
    request(&r, "GET", "/bkt/dir/big%20file", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, lens[0] + lens[1] + lens[2]);
    ck_assert_int_eq(memcmp(r.body, datas[0], lens[0]), 0);
    ck_assert_int_eq(memcmp(r.body + lens[0], datas[1], lens[1]), 0);
    ck_assert_int_eq(memcmp(r.body + lens[0] + lens[1], datas[2], lens[2]), 0);
    snprintf(want, sizeof want, "\"%s\"", etag);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "video/mp4");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-color", got, sizeof got), "blue");
    ck_assert_str_eq(reply_header(&r, "cache-control", got, sizeof got), "no-cache");
    ck_assert_ptr_null(strstr(r.headers, MP_LAYOUT_HDR));
    ck_assert_ptr_null(reply_header(&r, "x-amz-mp-parts-count", got, sizeof got));
    reply_free(&r);

    /* GET/HEAD ?partNumber */
    request(&r, "GET", "/bkt/dir/big%20file?partNumber=2", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 206);
    ck_assert_uint_eq(r.body_len, lens[1]);
    ck_assert_int_eq(memcmp(r.body, datas[1], lens[1]), 0);
    ck_assert_str_eq(reply_header(&r, "Content-Range", got, sizeof got), "bytes 5242880-10485759/10485761");
    ck_assert_str_eq(reply_header(&r, "x-amz-mp-parts-count", got, sizeof got), "3");
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want);
    reply_free(&r);
    request(&r, "HEAD", "/bkt/dir/big%20file?partNumber=3", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 206);
    ck_assert_uint_eq(r.body_len, 0);
    ck_assert_str_eq(reply_header(&r, "Content-Length", got, sizeof got), "1");
    ck_assert_str_eq(reply_header(&r, "Content-Range", got, sizeof got), "bytes 10485760-10485760/10485761");
    reply_free(&r);
    request(&r, "GET", "/bkt/dir/big%20file?partNumber=4", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 416);
    ck_assert_ptr_nonnull(strstr(r.body, "The requested partnumber is not satisfiable"));
    reply_free(&r);
    expect("GET", "/bkt/dir/big%20file?partNumber=0", NULL, 400, "InvalidArgument", NULL);
    expect("GET", "/bkt/dir/big%20file?partNumber=x", NULL, 400, "InvalidArgument", NULL);
    const char *rg[] = { "HTTP_RANGE=bytes=0-1", NULL };
    expect("GET", "/bkt/dir/big%20file?partNumber=1", NULL, 400, "InvalidRequest", rg);

    /* staged parts are gone, the retry marker stays until purge */
    char rel[256];
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s/p00001", id);
    ck_assert(!path_exists(rel));
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s/done", id);
    ck_assert(path_exists(rel));
    free(xml);
    for (int i = 0; i < 3; i++)
        free(datas[i]);
}
END_TEST

START_TEST(test_part_number_single_part_object)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/s", "0123456789", 200, NULL, NULL);
    struct reply r;
    char got[128];
    request(&r, "GET", "/bkt/s?partNumber=1", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 206);
    ck_assert_str_eq(r.body, "0123456789");
    ck_assert_str_eq(reply_header(&r, "Content-Range", got, sizeof got), "bytes 0-9/10");
    ck_assert_ptr_null(reply_header(&r, "x-amz-mp-parts-count", got, sizeof got));
    reply_free(&r);
    expect("GET", "/bkt/s?partNumber=2", NULL, 416, "InvalidPartNumber", NULL);
    expect("HEAD", "/bkt/s?partNumber=2", NULL, 416, NULL, NULL);
    expect("GET", "/bkt/s?partNumber=10001", NULL, 400, "InvalidArgument", NULL);
}
END_TEST

START_TEST(test_reupload_replaces_part)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], got[128], uri[256];
    create_upload("/bkt/k", NULL, id);
    upload_part("/bkt/k", id, 1, "first version", 13);
    upload_part("/bkt/k", id, 1, "second", 6);
    char md5[33], want[64];
    md5_hex("second", 6, md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    struct reply r;
    snprintf(uri, sizeof uri, "/bkt/k?uploadId=%s", id);
    request(&r, "GET", uri, NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "<ListPartsResult"));
    ck_assert_int_eq(count(r.body, "<Part>"), 1);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), want);
    ck_assert_str_eq(element(r.body, "Size", got, sizeof got), "6");
    reply_free(&r);
    /* the old ETag no longer names the part */
    char *old[1] = { "first version" };
    size_t oldlen[1] = { 13 };
    int one[1] = { 1 };
    char *xml = complete_xml(1, one, old, oldlen);
    expect("POST", uri, xml, 400, "InvalidPart", NULL);
    free(xml);
    char *cur[1] = { "second" };
    size_t curlen[1] = { 6 };
    xml = complete_xml(1, one, cur, curlen);
    expect("POST", uri, xml, 200, NULL, NULL);
    free(xml);
    request(&r, "GET", "/bkt/k", NULL, 0, NULL);
    ck_assert_str_eq(r.body, "second");
    reply_free(&r);
    /* one part: partNumber=1 is the whole object */
    request(&r, "GET", "/bkt/k?partNumber=1", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 206);
    ck_assert_str_eq(r.body, "second");
    ck_assert_str_eq(reply_header(&r, "x-amz-mp-parts-count", got, sizeof got), "1");
    reply_free(&r);
}
END_TEST

START_TEST(test_complete_errors)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256];
    create_upload("/bkt/k", NULL, id);
    size_t lens[3] = { 5 * MIB, 100, 5 * MIB };
    char *datas[3] = { pattern(lens[0], 7), pattern(lens[1], 8), pattern(lens[2], 9) };
    for (int i = 0; i < 3; i++)
        upload_part("/bkt/k", id, i + 1, datas[i], lens[i]);
    snprintf(uri, sizeof uri, "/bkt/k?uploadId=%s", id);

    /* wrong ETag */
    const char *bad = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                      "<ETag>00000000000000000000000000000000</ETag></Part></CompleteMultipartUpload>";
    expect("POST", uri, bad, 400, "InvalidPart", NULL);
    /* a part never uploaded */
    int n4[2] = { 1, 4 };
    char *d4[2] = { datas[0], datas[2] };
    size_t l4[2] = { lens[0], lens[2] };
    char *xml = complete_xml(2, n4, d4, l4);
    expect("POST", uri, xml, 400, "InvalidPart", NULL);
    free(xml);
    /* descending and repeated */
    int desc[2] = { 3, 1 };
    char *dd[2] = { datas[2], datas[0] };
    size_t dl[2] = { lens[2], lens[0] };
    xml = complete_xml(2, desc, dd, dl);
    expect("POST", uri, xml, 400, "InvalidPartOrder", NULL);
    free(xml);
    int rep[2] = { 1, 1 };
    char *rd[2] = { datas[0], datas[0] };
    size_t rl[2] = { lens[0], lens[0] };
    xml = complete_xml(2, rep, rd, rl);
    expect("POST", uri, xml, 400, "InvalidPartOrder", NULL);
    free(xml);
    /* a small part in the middle */
    int all[3] = { 1, 2, 3 };
    xml = complete_xml(3, all, datas, lens);
    expect("POST", uri, xml, 400, "EntityTooSmall", NULL);
    free(xml);
    /* malformed bodies */
    expect("POST", uri, "<CompleteMultipartUpload><Part>", 400, "MalformedXML", NULL);
    expect("POST", uri, "<CompleteMultipartUpload></CompleteMultipartUpload>", 400, "MalformedXML", NULL);
    expect("POST", uri, "<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>", 400,
           "MalformedXML", NULL);
    expect("POST", uri, "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag>"
           "</Part></CompleteMultipartUpload>", 400, "InvalidArgument", NULL);
    expect("POST", uri, "", 400, "MalformedXML", NULL);
    /* nothing was published by any of these */
    expect("GET", "/bkt/k", NULL, 404, "NoSuchKey", NULL);
    /* unknown, malformed and mismatched upload ids */
    expect("POST", "/bkt/k?uploadId=0000000000000000000000000000000000000000000000ff", bad, 404,
           "NoSuchUpload", NULL);
    expect("POST", "/bkt/k?uploadId=../../../etc", bad, 404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/other?uploadId=%s", id);
    expect("POST", uri, bad, 404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/other?partNumber=1&uploadId=%s", id);
    expect("PUT", uri, "x", 404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/k?partNumber=0&uploadId=%s", id);
    expect("PUT", uri, "x", 400, "InvalidArgument", NULL);
    snprintf(uri, sizeof uri, "/bkt/k?partNumber=10001&uploadId=%s", id);
    expect("PUT", uri, "x", 400, "InvalidArgument", NULL);
    /* the same upload in another bucket */
    expect("PUT", "/bkt2", NULL, 200, NULL, NULL);
    snprintf(uri, sizeof uri, "/bkt2/k?uploadId=%s", id);
    expect("GET", uri, NULL, 404, "NoSuchUpload", NULL);
    /* a bad Content-MD5 on a part stores nothing */
    snprintf(uri, sizeof uri, "/bkt/k?partNumber=9&uploadId=%s", id);
    const char *bad_md5[] = { "HTTP_CONTENT_MD5=1B2M2Y8AsgTpgAmY7PhCfg==", NULL };
    expect("PUT", uri, "not empty", 400, "BadDigest", bad_md5);
    char rel[256];
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s/p00009", id);
    ck_assert(!path_exists(rel));

    /* dropping the small part makes it valid */
    int ok[2] = { 1, 3 };
    char *od[2] = { datas[0], datas[2] };
    size_t ol[2] = { lens[0], lens[2] };
    xml = complete_xml(2, ok, od, ol);
    snprintf(uri, sizeof uri, "/bkt/k?uploadId=%s", id);
    expect("POST", uri, xml, 200, NULL, NULL);
    free(xml);
    struct reply r;
    request(&r, "GET", "/bkt/k", NULL, 0, NULL);
    ck_assert_uint_eq(r.body_len, lens[0] + lens[2]);
    ck_assert_int_eq(memcmp(r.body + lens[0], datas[2], lens[2]), 0);
    reply_free(&r);
    for (int i = 0; i < 3; i++)
        free(datas[i]);
}
END_TEST

START_TEST(test_abort)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], rel[256];
    create_upload("/bkt/k", NULL, id);
    upload_part("/bkt/k", id, 1, "abc", 3);
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s", id);
    ck_assert(path_exists(rel));
    snprintf(uri, sizeof uri, "/bkt/other?uploadId=%s", id);
    expect("DELETE", uri, NULL, 404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/k?uploadId=%s", id);
    expect("DELETE", uri, NULL, 204, NULL, NULL);
    ck_assert(!path_exists(rel));
    expect("DELETE", uri, NULL, 404, "NoSuchUpload", NULL);
    expect("GET", uri, NULL, 404, "NoSuchUpload", NULL);
    expect("POST", uri, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
           "<ETag>900150983cd24fb0d6963f7d28e17f72</ETag></Part></CompleteMultipartUpload>",
           404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/k?partNumber=1&uploadId=%s", id);
    expect("PUT", uri, "abc", 404, "NoSuchUpload", NULL);
    ck_assert(!path_exists(rel));
    expect("GET", "/bkt/k", NULL, 404, "NoSuchKey", NULL);
    expect("GET", "/bkt?uploads", NULL, 200, NULL, NULL);
}
END_TEST

START_TEST(test_complete_retry)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], got[128], first[128];
    create_upload("/bkt/r", NULL, id);
    upload_part("/bkt/r", id, 1, "hello ", 6);
    char *d[1] = { "hello " };
    size_t l[1] = { 6 };
    int one[1] = { 1 };
    char *xml = complete_xml(1, one, d, l);
    snprintf(uri, sizeof uri, "/bkt/r?uploadId=%s", id);
    const char *wrong_size[] = { "HTTP_X_AMZ_MP_OBJECT_SIZE=7", NULL };
    expect("POST", uri, xml, 400, "InvalidRequest", wrong_size);
    const char *right_size[] = { "HTTP_X_AMZ_MP_OBJECT_SIZE=6", NULL };
    struct reply r;
    request(&r, "POST", uri, xml, strlen(xml), right_size);
    ck_assert_int_eq(r.status, 200);
    element(r.body, "ETag", first, sizeof first);
    reply_free(&r);
    /* a client that timed out sends it again: same answer */
    request(&r, "POST", uri, xml, strlen(xml), NULL);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), first);
    ck_assert_ptr_nonnull(strstr(first, "-1&quot;"));
    reply_free(&r);
    free(xml);
    /* but it is no longer an upload */
    expect("GET", uri, NULL, 404, "NoSuchUpload", NULL);
    expect("DELETE", uri, NULL, 404, "NoSuchUpload", NULL);
    snprintf(uri, sizeof uri, "/bkt/r?partNumber=2&uploadId=%s", id);
    expect("PUT", uri, "more", 404, "NoSuchUpload", NULL);
    request(&r, "GET", "/bkt?uploads", NULL, 0, NULL);
    ck_assert_int_eq(count(r.body, "<Upload>"), 0);
    reply_free(&r);
    request(&r, "GET", "/bkt/r", NULL, 0, NULL);
    ck_assert_str_eq(r.body, "hello ");
    reply_free(&r);
}
END_TEST

START_TEST(test_list_parts_paging)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], got[128];
    create_upload("/bkt/lp", NULL, id);
    upload_part("/bkt/lp", id, 2, "two", 3);
    upload_part("/bkt/lp", id, 5, "five", 4);
    upload_part("/bkt/lp", id, 9, "nine", 4);
    struct reply r;
    int marker = 0, seen[3], n = 0;
    for (int page = 0; page < 5; page++) {
        snprintf(uri, sizeof uri, "/bkt/lp?uploadId=%s&max-parts=1&part-number-marker=%d", id, marker);
        request(&r, "GET", uri, NULL, 0, NULL);
        ck_assert_int_eq(r.status, 200);
        ck_assert_int_eq(count(r.body, "<Part>"), 1);
        ck_assert_str_eq(element(r.body, "UploadId", got, sizeof got), id);
        ck_assert_str_eq(element(r.body, "MaxParts", got, sizeof got), "1");
        ck_assert_str_eq(element(r.body, "StorageClass", got, sizeof got), "STANDARD");
        ck_assert_ptr_nonnull(strstr(r.body, "<Initiator><ID>"));
        seen[n++] = atoi(element(r.body, "PartNumber", got, sizeof got));
        marker = atoi(element(r.body, "NextPartNumberMarker", got, sizeof got));
        int truncated = strstr(r.body, "<IsTruncated>true</IsTruncated>") != NULL;
        reply_free(&r);
        if (!truncated)
            break;
    }
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(seen[0], 2);
    ck_assert_int_eq(seen[1], 5);
    ck_assert_int_eq(seen[2], 9);
    snprintf(uri, sizeof uri, "/bkt/lp?uploadId=%s", id);
    request(&r, "GET", uri, NULL, 0, NULL);
    ck_assert_int_eq(count(r.body, "<Part>"), 3);
    ck_assert_ptr_nonnull(strstr(r.body, "<IsTruncated>false</IsTruncated>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<MaxParts>1000</MaxParts>"));
    reply_free(&r);
    snprintf(uri, sizeof uri, "/bkt/lp?uploadId=%s&max-parts=x", id);
    expect("GET", uri, NULL, 400, "InvalidArgument", NULL);
}
END_TEST

/* Lists bucket uploads with extra query q; returns the body (caller frees). */
static char *list_uploads(const char *q)
{
    struct reply r;
    char uri[512];
    snprintf(uri, sizeof uri, "/bkt?uploads%s", q);
    request(&r, "GET", uri, NULL, 0, NULL);
    ck_assert_msg(r.status == 200, "%s: %d %s", uri, r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<ListMultipartUploadsResult"));
    return r.body;
}

START_TEST(test_list_uploads)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "b", "a/1", "c/d/e", "a-b", "b", "a/2" };
    char ids[6][64];
    for (int i = 0; i < 6; i++) {
        char path[64];
        snprintf(path, sizeof path, "/bkt/%s", keys[i]);
        create_upload(path, NULL, ids[i]);
    }
    /* S3 order: key bytes, then initiation (the two "b" uploads in creation order) */
    const char *order[] = { "a-b", "a/1", "a/2", "b", "b", "c/d/e" };
    char *body = list_uploads("");
    const char *p = body;
    for (int i = 0; i < 6; i++) {
        char k[64];
        snprintf(k, sizeof k, "<Key>%s</Key>", order[i]);
        const char *q = strstr(p, k);
        ck_assert_msg(q != NULL, "%s missing or out of order in %s", order[i], body);
        p = q + 1;
    }
    const char *b0 = strstr(body, ids[0]), *b4 = strstr(body, ids[4]);
    ck_assert(b0 && b4 && b0 < b4);
    ck_assert_int_eq(count(body, "<Upload>"), 6);
    ck_assert_ptr_nonnull(strstr(body, "<Initiated>"));
    ck_assert_ptr_nonnull(strstr(body, "<IsTruncated>false</IsTruncated>"));
    free(body);

    body = list_uploads("&prefix=a/");
    ck_assert_int_eq(count(body, "<Upload>"), 2);
    ck_assert_ptr_nonnull(strstr(body, "<Prefix>a/</Prefix>"));
    free(body);

    body = list_uploads("&delimiter=/");
    ck_assert_int_eq(count(body, "<Upload>"), 3);       /* a-b, b, b */
    ck_assert_ptr_nonnull(strstr(body, "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"));
    ck_assert_ptr_nonnull(strstr(body, "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>"));
    ck_assert_int_eq(count(body, "<CommonPrefixes>"), 2);
    free(body);

    body = list_uploads("&delimiter=/&prefix=c/");
    ck_assert_int_eq(count(body, "<Upload>"), 0);
    ck_assert_ptr_nonnull(strstr(body, "<CommonPrefixes><Prefix>c/d/</Prefix></CommonPrefixes>"));
    free(body);

    body = list_uploads("&key-marker=b");
    ck_assert_int_eq(count(body, "<Upload>"), 1);
    ck_assert_ptr_nonnull(strstr(body, "<Key>c/d/e</Key>"));
    free(body);

    /* pages of one, resumed with both markers, visit each upload once */
    char q[512] = "&max-uploads=1";
    int n = 0;
    for (int page = 0; page < 10; page++) {
        char km[256], um[128];
        body = list_uploads(q);
        n += count(body, "<Upload>");
        int truncated = strstr(body, "<IsTruncated>true</IsTruncated>") != NULL;
        element(body, "NextKeyMarker", km, sizeof km);
        element(body, "NextUploadIdMarker", um, sizeof um);
        free(body);
        if (!truncated)
            break;
        ck_assert_str_ne(um, "");
        snprintf(q, sizeof q, "&max-uploads=1&key-marker=%s&upload-id-marker=%s", km, um);
    }
    ck_assert_int_eq(n, 6);

    /* delimiter paging counts a common prefix once and skips it on resume */
    body = list_uploads("&max-uploads=1&delimiter=/&key-marker=a-b");
    ck_assert_ptr_nonnull(strstr(body, "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"));
    ck_assert_ptr_nonnull(strstr(body, "<NextKeyMarker>a/</NextKeyMarker>"));
    free(body);
    body = list_uploads("&max-uploads=1&delimiter=/&key-marker=a/");
    ck_assert_ptr_nonnull(strstr(body, "<Key>b</Key>"));
    free(body);

    body = list_uploads("&encoding-type=url&prefix=a%2F");
    ck_assert_ptr_nonnull(strstr(body, "<EncodingType>url</EncodingType>"));
    free(body);
    expect("GET", "/bkt?uploads&max-uploads=-1", NULL, 400, "InvalidArgument", NULL);
    expect("GET", "/nobkt?uploads", NULL, 404, "NoSuchBucket", NULL);
}
END_TEST

START_TEST(test_upload_part_copy)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/src", NULL, 200, NULL, NULL);
    size_t slen = 6 * MIB + 17;
    char *src = pattern(slen, 42);
    expect_n("PUT", "/src/obj%2Bx", src, slen, 200, NULL, NULL);
    char id[64], uri[256], got[128], want[64], md5[33];
    create_upload("/bkt/dst", NULL, id);
    struct reply r;

    /* part 1: bytes 0..5 MiB-1 of the source, part 2: the whole source */
    const char *h1[] = { "HTTP_X_AMZ_COPY_SOURCE=src/obj%2Bx",
                         "HTTP_X_AMZ_COPY_SOURCE_RANGE=bytes=0-5242879", NULL };
    snprintf(uri, sizeof uri, "/bkt/dst?partNumber=1&uploadId=%s", id);
    request(&r, "PUT", uri, NULL, 0, h1);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<CopyPartResult"));
    ck_assert_ptr_nonnull(strstr(r.body, "<LastModified>"));
    md5_hex(src, 5 * MIB, md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), want);
    reply_free(&r);
    const char *h2[] = { "HTTP_X_AMZ_COPY_SOURCE=/src/obj%2Bx?versionId=null", NULL };
    snprintf(uri, sizeof uri, "/bkt/dst?partNumber=2&uploadId=%s", id);
    request(&r, "PUT", uri, NULL, 0, h2);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    md5_hex(src, slen, md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), want);
    reply_free(&r);

    /* errors: range outside the source, malformed range, missing source, conditions */
    const char *e1[] = { "HTTP_X_AMZ_COPY_SOURCE=src/obj%2Bx", "HTTP_X_AMZ_COPY_SOURCE_RANGE=bytes=0-6291473", NULL };
    snprintf(uri, sizeof uri, "/bkt/dst?partNumber=3&uploadId=%s", id);
    expect("PUT", uri, NULL, 400, "InvalidArgument", e1);
    const char *e2[] = { "HTTP_X_AMZ_COPY_SOURCE=src/obj%2Bx", "HTTP_X_AMZ_COPY_SOURCE_RANGE=0-10", NULL };
    expect("PUT", uri, NULL, 400, "InvalidArgument", e2);
    const char *e3[] = { "HTTP_X_AMZ_COPY_SOURCE=src/nothing", NULL };
    expect("PUT", uri, NULL, 404, "NoSuchKey", e3);
    const char *e4[] = { "HTTP_X_AMZ_COPY_SOURCE=nobucket/obj", NULL };
    expect("PUT", uri, NULL, 404, "NoSuchBucket", e4);
    const char *e5[] = { "HTTP_X_AMZ_COPY_SOURCE=src/obj%2Bx", "HTTP_X_AMZ_COPY_SOURCE_IF_MATCH=\"abc\"", NULL };
    expect("PUT", uri, NULL, 412, "PreconditionFailed", e5);
    const char *e6[] = { "HTTP_X_AMZ_COPY_SOURCE=srconly", NULL };
    expect("PUT", uri, NULL, 400, "InvalidArgument", e6);
    char rel[256];
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s/p00003", id);
    ck_assert(!path_exists(rel));
    /* a matching condition copies */
    char cond[80];
    md5_hex(src, slen, md5);
    snprintf(cond, sizeof cond, "HTTP_X_AMZ_COPY_SOURCE_IF_MATCH=\"%s\"", md5);
    const char *h3[] = { "HTTP_X_AMZ_COPY_SOURCE=src/obj%2Bx", "HTTP_X_AMZ_COPY_SOURCE_RANGE=bytes=6291456-6291472",
                         cond, NULL };
    request(&r, "PUT", uri, NULL, 0, h3);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    reply_free(&r);

    int nums[3] = { 1, 2, 3 };
    char *datas[3] = { src, src, src + 6 * MIB };
    size_t lens[3] = { 5 * MIB, slen, 17 };
    char *xml = complete_xml(3, nums, datas, lens);
    snprintf(uri, sizeof uri, "/bkt/dst?uploadId=%s", id);
    expect("POST", uri, xml, 200, NULL, NULL);
    free(xml);
    request(&r, "GET", "/bkt/dst", NULL, 0, NULL);
    ck_assert_uint_eq(r.body_len, 5 * MIB + slen + 17);
    ck_assert_int_eq(memcmp(r.body, src, 5 * MIB), 0);
    ck_assert_int_eq(memcmp(r.body + 5 * MIB, src, slen), 0);
    ck_assert_int_eq(memcmp(r.body + 5 * MIB + slen, src + 6 * MIB, 17), 0);
    reply_free(&r);
    free(src);
}
END_TEST

START_TEST(test_nothing_staged_is_visible)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/visible", "v", 200, NULL, NULL);
    char id[64];
    create_upload("/bkt/hidden", NULL, id);
    upload_part("/bkt/hidden", id, 1, "staged", 6);
    struct reply r;
    request(&r, "GET", "/bkt?list-type=2", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(count(r.body, "<Key>"), 1);
    ck_assert_ptr_nonnull(strstr(r.body, "<Key>visible</Key>"));
    reply_free(&r);
    request(&r, "GET", "/", NULL, 0, NULL);
    ck_assert_int_eq(count(r.body, "<Bucket>"), 1);
    reply_free(&r);
    expect("GET", "/bkt/hidden", NULL, 404, "NoSuchKey", NULL);
    char uri[256];
    snprintf(uri, sizeof uri, "/bkt/.s3cgi/multipart/bkt/%s/p00001", id);
    expect("GET", uri, NULL, 404, NULL, NULL);
    expect("GET", "/.s3cgi/multipart", NULL, 404, NULL, NULL);
    /* a directory key cannot take a multipart body */
    expect("POST", "/bkt/dir/?uploads", NULL, 400, "InvalidArgument", NULL);
}
END_TEST

START_TEST(test_checksums)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], got[128];
    const char *h[] = { "HTTP_X_AMZ_CHECKSUM_ALGORITHM=CRC32", NULL };
    struct reply r;
    request(&r, "POST", "/bkt/ck?uploads", NULL, 0, h);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "x-amz-checksum-algorithm", got, sizeof got), "CRC32");
    element(r.body, "UploadId", id, sizeof id);
    reply_free(&r);
    /* "abc": CRC32 NSRBwg==; a part without a checksum gets one computed */
    const char *ck[] = { "HTTP_X_AMZ_CHECKSUM_CRC32=NSRBwg==", NULL };
    char *p1 = pattern(5 * MIB, 5);
    snprintf(uri, sizeof uri, "/bkt/ck?partNumber=1&uploadId=%s", id);
    request(&r, "PUT", uri, p1, 5 * MIB, NULL);
    ck_assert_int_eq(r.status, 200);
    char ck1[64];
    ck_assert_ptr_nonnull(reply_header(&r, "x-amz-checksum-crc32", ck1, sizeof ck1));
    reply_free(&r);
    snprintf(uri, sizeof uri, "/bkt/ck?partNumber=2&uploadId=%s", id);
    request(&r, "PUT", uri, "abc", 3, ck);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "x-amz-checksum-crc32", got, sizeof got), "NSRBwg==");
    reply_free(&r);
    const char *wrong_alg[] = { "HTTP_X_AMZ_CHECKSUM_SHA1=qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", NULL };
    snprintf(uri, sizeof uri, "/bkt/ck?partNumber=3&uploadId=%s", id);
    expect("PUT", uri, "abc", 400, "InvalidRequest", wrong_alg);
    snprintf(uri, sizeof uri, "/bkt/ck?uploadId=%s", id);
    request(&r, "GET", uri, NULL, 0, NULL);
    ck_assert_str_eq(element(r.body, "ChecksumAlgorithm", got, sizeof got), "CRC32");
    ck_assert_int_eq(count(r.body, "<ChecksumCRC32>"), 2);
    reply_free(&r);

    /* composite: CRC32 over the binary part CRCs, "-2" */
    unsigned char bin[8], d[CHECKSUM_MAX_DIGEST], one_ck[CHECKSUM_MAX_DIGEST];
    char want[64], b64[CHECKSUM_B64_MAX];
    struct checksum c;
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, ck1, strlen(ck1), one_ck), 0);
    memcpy(bin, one_ck, 4);
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSRBwg==", 8, one_ck), 0);
    memcpy(bin + 4, one_ck, 4);
    ck_assert_int_eq(checksum_init(&c, CK_CRC32), 0);
    checksum_update(&c, bin, 8);
    checksum_final(&c, d, b64);
    checksum_free(&c);
    snprintf(want, sizeof want, "%s-2", b64);
    char md5a[33], md5b[33], xml[1024];
    md5_hex(p1, 5 * MIB, md5a);
    md5_hex("abc", 3, md5b);
    snprintf(xml, sizeof xml, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag>"
             "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>", md5a, md5b);
    expect("POST", uri, xml, 400, "InvalidPart", NULL);
    snprintf(xml, sizeof xml, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag>"
             "<ChecksumCRC32>%s</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>", md5a, ck1, md5b);
    request(&r, "POST", uri, xml, strlen(xml), NULL);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_str_eq(element(r.body, "ChecksumCRC32", got, sizeof got), want);
    ck_assert_str_eq(element(r.body, "ChecksumType", got, sizeof got), "COMPOSITE");
    reply_free(&r);
    expect("POST", "/bkt/x?uploads", NULL, 400, "InvalidArgument",
           (const char *[]){ "HTTP_X_AMZ_CHECKSUM_ALGORITHM=MD4", NULL });
    free(p1);
}
END_TEST

START_TEST(test_purge)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char old[64], young[64], uri[256], p[512];
    create_upload("/bkt/old", NULL, old);
    upload_part("/bkt/old", old, 1, "x", 1);
    create_upload("/bkt/young", NULL, young);
    upload_part("/bkt/young", young, 1, "y", 1);
    time_t now = time(NULL);
    /* backdate the old upload's initiation by 8 days */
    struct timespec ts[2] = { { now - 8 * 86400, 0 }, { now - 8 * 86400, 0 } };
    snprintf(p, sizeof p, "%s/.s3cgi/multipart/bkt/%s/info", root, old);
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    /* stale temp files: beside objects, in .s3cgi/tmp, and a part temp in the young upload */
    expect("PUT", "/bkt/d/obj", "o", 200, NULL, NULL);
    const char *tmps[] = { "bkt/d/.s3cgi-tmp-0123456789abcdef", ".s3cgi/tmp/stale" , NULL };
    char fresh[512], parttmp[512];
    snprintf(p, sizeof p, "%s/.s3cgi/tmp", root);
    mkdir(p, 0700);
    for (int i = 0; tmps[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", root, tmps[i]);
        FILE *f = fopen(p, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
        struct timespec t2[2] = { { now - 2 * 86400, 0 }, { now - 2 * 86400, 0 } };
        ck_assert_int_eq(utimensat(AT_FDCWD, p, t2, 0), 0);
    }
    snprintf(parttmp, sizeof parttmp, "%s/.s3cgi/multipart/bkt/%s/.tmp-00", root, young);
    FILE *f = fopen(parttmp, "w");
    fclose(f);
    struct timespec t2[2] = { { now - 2 * 86400, 0 }, { now - 2 * 86400, 0 } };
    utimensat(AT_FDCWD, parttmp, t2, 0);
    snprintf(fresh, sizeof fresh, "%s/bkt/.s3cgi-tmp-fresh", root);
    f = fopen(fresh, "w");
    fclose(f);

    /* the quick (opportunistic) form decides by the id's time: the old id is young */
    struct mp_purge_opts q = { .bucket = "bkt", .quick = 1 };
    struct mp_purge_stats st;
    ck_assert_int_eq(mp_purge(&cfg, &q, now, &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 0);

    struct mp_purge_opts o = { .temp_files = 1 };
    ck_assert_int_eq(mp_purge(&cfg, &o, now, &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 1);
    ck_assert_int_eq(st.tmp_removed, 3);
    snprintf(uri, sizeof uri, "/bkt/old?uploadId=%s", old);
    expect("GET", uri, NULL, 404, "NoSuchUpload", NULL);
    snprintf(p, sizeof p, ".s3cgi/multipart/bkt/%s", old);
    ck_assert(!path_exists(p));
    snprintf(uri, sizeof uri, "/bkt/young?uploadId=%s", young);
    expect("GET", uri, NULL, 200, NULL, NULL);
    ck_assert(access(fresh, F_OK) == 0);
    ck_assert(access(parttmp, F_OK) != 0);
    ck_assert(!path_exists(tmps[0]) && !path_exists(tmps[1]));
    expect("GET", "/bkt/d/obj", NULL, 200, NULL, NULL);

    /* a finished upload's marker goes after a day; a deleted bucket's uploads at once */
    char *d[1] = { "y" };
    size_t l[1] = { 1 };
    int one[1] = { 1 };
    char *xml = complete_xml(1, one, d, l);
    expect("POST", uri, xml, 200, NULL, NULL);
    free(xml);
    ck_assert_int_eq(mp_purge(&cfg, &o, now, &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 0);
    ck_assert_int_eq(mp_purge(&cfg, &o, now + 2 * 86400, &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 1);
    expect("PUT", "/gone", NULL, 200, NULL, NULL);
    char g[64];
    create_upload("/gone/k", NULL, g);
    expect("DELETE", "/gone", NULL, 204, NULL, NULL);
    ck_assert_int_eq(mp_purge(&cfg, &o, now, &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 1);
    ck_assert(!path_exists(".s3cgi/multipart/gone"));
}
END_TEST

/* Entries and bytes in the trash (root/.s3cgi/multipart/.trash). */
static void trash_usage(int *files, long long *bytes)
{
    char p[512];
    snprintf(p, sizeof p, "%s/.s3cgi/multipart/.trash", root);
    *files = 0;
    *bytes = 0;
    DIR *d = opendir(p);
    if (!d)
        return;
    struct dirent *de;
    struct stat st;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
            continue;
        ck_assert_int_eq(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
        (*files)++;
        *bytes += st.st_size;
    }
    closedir(d);
}

/* Complete moves the parts (listed or not) to the trash instead of unlinking them;
 * a retry still answers the same; the trash is freed with bounded work by later
 * requests and by purge (multipart.h). */
/* Creates an upload of path, uploads datas[0..1] as parts 1 and 2, completes it;
 * id gets the upload id. */
static void complete_two_parts(const char *path, char *id, char *const *datas,
                               const size_t *lens)
{
    int nums[2] = { 1, 2 };
    char uri[256];
    create_upload(path, NULL, id);
    upload_part(path, id, 1, datas[0], lens[0]);
    upload_part(path, id, 2, datas[1], lens[1]);
    char *xml = complete_xml(2, nums, datas, lens);
    snprintf(uri, sizeof uri, "%s?uploadId=%s", path, id);
    expect("POST", uri, xml, 200, NULL, NULL);
    free(xml);
}

START_TEST(test_trash)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], rel[256], got[256], first[256];
    create_upload("/bkt/t", NULL, id);
    size_t lens[2] = { 5 * MIB, 5 * MIB };
    char *datas[2] = { pattern(lens[0], 7), pattern(lens[1], 8) };
    upload_part("/bkt/t", id, 1, datas[0], lens[0]);
    upload_part("/bkt/t", id, 2, datas[1], lens[1]);
    upload_part("/bkt/t", id, 3, "unlisted", 8);
    int nums[2] = { 1, 2 };
    char *xml = complete_xml(2, nums, datas, lens);
    snprintf(uri, sizeof uri, "/bkt/t?uploadId=%s", id);
    struct reply r;
    request(&r, "POST", uri, xml, strlen(xml), NULL);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    element(r.body, "ETag", first, sizeof first);
    reply_free(&r);

    /* the upload keeps no part; the trash has all three, whole */
    for (int n = 1; n <= 3; n++) {
        snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s/p%05d", id, n);
        ck_assert(!path_exists(rel));
        snprintf(rel, sizeof rel, ".s3cgi/multipart/.trash/%s-p%05d", id, n);
        ck_assert_msg(path_exists(rel), "%s", rel);
    }
    int files;
    long long bytes, total = 2 * (5 * MIB + MP_TRAILER) + 8 + MP_TRAILER;
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 3);
    ck_assert_int_eq(bytes, total);
    expect("GET", uri, NULL, 404, "NoSuchUpload", NULL);          /* ListParts */
    request(&r, "GET", "/bkt?uploads", NULL, 0, NULL);
    ck_assert_ptr_null(strstr(r.body, id));
    reply_free(&r);
    request(&r, "GET", "/bkt/t", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 10 * MIB);
    ck_assert_int_eq(memcmp(r.body, datas[0], lens[0]), 0);
    ck_assert_int_eq(memcmp(r.body + lens[0], datas[1], lens[1]), 0);
    reply_free(&r);

    /* bounded work: 1 MiB of budget frees about 1 MiB (a file larger than what is
     * left is shortened from its end) */
    long long freed = mp_trash_free(&cfg, MIB);
    ck_assert_int_le(freed, MIB);
    ck_assert_int_ge(freed, MIB - (128 << 10));
    trash_usage(&files, &bytes);
    ck_assert_int_ge(files, 2);
    ck_assert_int_eq(bytes, total - freed);
    ck_assert_int_eq(mp_trash_free(&cfg, 0), 0);

    /* a retried Complete answers the same, and frees (MP_TRASH_BUDGET) the rest */
    request(&r, "POST", uri, xml, strlen(xml), NULL);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), first);
    reply_free(&r);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 0);
    free(xml);

    /* a part upload frees up to twice its size */
    complete_two_parts("/bkt/u", id, datas, lens);
    total = 2 * (5 * MIB + MP_TRAILER);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(bytes, total);
    char other[64];
    create_upload("/bkt/v", NULL, other);       /* Create: MP_TRASH_BUDGET */
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 0);
    complete_two_parts("/bkt/u", id, datas, lens);
    upload_part("/bkt/v", other, 1, "0123456789", 10);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(bytes, total - 2 * (10 + MP_TRAILER));

    /* purge: a DONE upload's leftover part (a crash after "done") goes to the trash,
     * and the full purge frees all of it */
    snprintf(rel, sizeof rel, "%s/.s3cgi/multipart/bkt/%s/p00009", root, id);
    FILE *f = fopen(rel, "w");
    ck_assert_ptr_nonnull(f);
    fputs("left behind", f);
    fclose(f);
    struct mp_purge_opts o = { 0 };
    struct mp_purge_stats st;
    ck_assert_int_eq(mp_purge(&cfg, &o, time(NULL), &st), S3E_OK);
    ck_assert_int_eq(st.uploads_removed, 0);
    ck_assert_int_eq(st.trash_freed, bytes + 11);
    ck_assert(access(rel, F_OK) != 0);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 0);

    /* Abort moves the parts to the trash too, then frees MP_TRASH_BUDGET of it: of
     * 14 x 5 MiB, what is over the budget is still there, the upload is gone */
    create_upload("/bkt/w", NULL, id);
    for (int n = 1; n <= 14; n++)
        upload_part("/bkt/w", id, n, datas[0], lens[0]);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 0);
    snprintf(uri, sizeof uri, "/bkt/w?uploadId=%s", id);
    expect("DELETE", uri, NULL, 204, NULL, NULL);
    expect("DELETE", uri, NULL, 404, "NoSuchUpload", NULL);
    snprintf(rel, sizeof rel, ".s3cgi/multipart/bkt/%s", id);
    ck_assert(!path_exists(rel));
    trash_usage(&files, &bytes);
    ck_assert_int_gt(files, 0);
    /* (each file removed also counts 64 KiB of the budget) */
    ck_assert_int_ge(bytes, 14 * (5 * MIB + MP_TRAILER) - MP_TRASH_BUDGET);
    ck_assert_int_le(bytes, 14 * (5 * MIB + MP_TRAILER) - MP_TRASH_BUDGET + 14 * (64 << 10));
    ck_assert_int_eq(mp_purge(&cfg, &o, time(NULL), &st), S3E_OK);
    trash_usage(&files, &bytes);
    ck_assert_int_eq(files, 0);
    for (int i = 0; i < 2; i++)
        free(datas[i]);
}
END_TEST

/* Runs n children, child i sending method uri with bodies[i]; collects each status
 * and ETag (from the header, else from the XML body) into out[i] as "STATUS ETAG". */
static void run_concurrently(int n, const char *method, const char *uri, char *const *bodies,
                             const size_t *lens, char out[][128])
{
    int fds[8][2];
    pid_t pids[8];
    ck_assert_int_le(n, 8);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(pipe(fds[i]), 0);
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            struct reply r;
            char line[128] = "no-response", etag[96] = "";
            close(fds[i][0]);
            if (request_raw(&r, method, uri, bodies[i], lens[i], NULL) == 0) {
                if (!reply_header(&r, "ETag", etag, sizeof etag))
                    element(r.body, "ETag", etag, sizeof etag);
                snprintf(line, sizeof line, "%d %s", r.status, etag);
                reply_free(&r);
            }
            if (write(fds[i][1], line, strlen(line) + 1) < 0)
                _exit(1);
            _exit(0);
        }
        close(fds[i][1]);
    }
    for (int i = 0; i < n; i++) {
        int status;
        ssize_t got = read(fds[i][0], out[i], 127);
        out[i][got > 0 ? got : 0] = '\0';
        close(fds[i][0]);
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

START_TEST(test_concurrent_completes)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], res[3][128];
    create_upload("/bkt/race", NULL, id);
    size_t lens[2] = { 5 * MIB, 1000 };
    char *datas[2] = { pattern(lens[0], 11), pattern(lens[1], 12) };
    upload_part("/bkt/race", id, 1, datas[0], lens[0]);
    upload_part("/bkt/race", id, 2, datas[1], lens[1]);
    int nums[2] = { 1, 2 };
    char *xml = complete_xml(2, nums, datas, lens);
    char *bodies[3] = { xml, xml, xml };
    size_t bl[3] = { strlen(xml), strlen(xml), strlen(xml) };
    snprintf(uri, sizeof uri, "/bkt/race?uploadId=%s", id);
    run_concurrently(3, "POST", uri, bodies, bl, res);
    char etag[48], want[80];
    multipart_etag(2, datas, lens, etag);
    snprintf(want, sizeof want, "200 &quot;%s&quot;", etag);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(res[i], want);
    struct reply r;
    request(&r, "GET", "/bkt/race", NULL, 0, NULL);
    ck_assert_uint_eq(r.body_len, lens[0] + lens[1]);
    ck_assert_int_eq(memcmp(r.body + lens[0], datas[1], lens[1]), 0);
    reply_free(&r);
    free(xml);
    free(datas[0]);
    free(datas[1]);
}
END_TEST

START_TEST(test_concurrent_same_part)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    char id[64], uri[256], res[4][128], got[128];
    create_upload("/bkt/same", NULL, id);
    char *bodies[4];
    size_t lens[4];
    for (int i = 0; i < 4; i++) {
        lens[i] = MIB + (size_t)i;
        bodies[i] = pattern(lens[i], 100 + (unsigned)i);
    }
    snprintf(uri, sizeof uri, "/bkt/same?partNumber=1&uploadId=%s", id);
    run_concurrently(4, "PUT", uri, bodies, lens, res);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(strncmp(res[i], "200 ", 4) == 0, "%s", res[i]);
    /* one whole part: the size and MD5 of one of the bodies */
    struct reply r;
    snprintf(uri, sizeof uri, "/bkt/same?uploadId=%s", id);
    request(&r, "GET", uri, NULL, 0, NULL);
    ck_assert_int_eq(count(r.body, "<Part>"), 1);
    long size = atol(element(r.body, "Size", got, sizeof got));
    ck_assert(size >= (long)MIB && size < (long)MIB + 4);
    int w = (int)(size - (long)MIB);
    char md5[33], want[64];
    md5_hex(bodies[w], lens[w], md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    ck_assert_str_eq(element(r.body, "ETag", got, sizeof got), want);
    reply_free(&r);
    /* no temp file left behind */
    char p[512];
    snprintf(p, sizeof p, "ls -a '%s/.s3cgi/multipart/bkt/%s' | grep -c tmp", root, id);
    FILE *f = popen(p, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fgetc(f), '0');
    pclose(f);
    for (int i = 0; i < 4; i++)
        free(bodies[i]);
}
END_TEST

START_TEST(test_layout)
{
    long long sizes[5] = { 10, 10, 10, 7, 3 };
    char s[64], tiny[8];
    long long off, len;
    ck_assert_int_eq(mp_layout_encode(sizes, 5, s, sizeof s), 0);
    ck_assert_str_eq(s, "10x3,7x1,3x1");
    ck_assert_int_eq(mp_layout_encode(sizes, 5, tiny, sizeof tiny), -1);
    ck_assert_int_eq(mp_layout_find(s, 5, 40, 2, &off, &len), 0);
    ck_assert(off == 10 && len == 10);
    ck_assert_int_eq(mp_layout_find(s, 5, 40, 4, &off, &len), 0);
    ck_assert(off == 30 && len == 7);
    ck_assert_int_eq(mp_layout_find(s, 5, 40, 5, &off, &len), 0);
    ck_assert(off == 37 && len == 3);
    ck_assert_int_eq(mp_layout_find(s, 5, 41, 1, &off, &len), -1);     /* total disagrees */
    ck_assert_int_eq(mp_layout_find(s, 6, 40, 1, &off, &len), -1);     /* count disagrees */
    ck_assert_int_eq(mp_layout_find(s, 5, 40, 6, &off, &len), -1);
    ck_assert_int_eq(mp_layout_find("10x", 1, 10, 1, &off, &len), -1);
    ck_assert_int_eq(mp_layout_find("99999999999999999999x1", 1, 10, 1, &off, &len), -1);
    ck_assert_int_eq(mp_layout_find("5x9223372036854775807", 1, 10, 1, &off, &len), -1);
    ck_assert(mp_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef"));
    ck_assert(!mp_id_valid("0123456789abcdef0123456789abcdef0123456789abcdeF"));
    ck_assert(!mp_id_valid("0123456789abcdef0123456789abcdef0123456789abcde"));
    ck_assert(!mp_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0"));
    ck_assert(!mp_id_valid("../0123456789abcdef0123456789abcdef0123456789abc"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("multipart");
    TCase *tc = tcase_create("multipart");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_complete_three_parts);
    tcase_add_test(tc, test_part_number_single_part_object);
    tcase_add_test(tc, test_reupload_replaces_part);
    tcase_add_test(tc, test_complete_errors);
    tcase_add_test(tc, test_abort);
    tcase_add_test(tc, test_complete_retry);
    tcase_add_test(tc, test_list_parts_paging);
    tcase_add_test(tc, test_list_uploads);
    tcase_add_test(tc, test_upload_part_copy);
    tcase_add_test(tc, test_nothing_staged_is_visible);
    tcase_add_test(tc, test_checksums);
    tcase_add_test(tc, test_purge);
    tcase_add_test(tc, test_trash);
    tcase_add_test(tc, test_concurrent_completes);
    tcase_add_test(tc, test_concurrent_same_part);
    tcase_add_test(tc, test_layout);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
