/* test_copy.c - CopyObject and DeleteObjects driven end to end through s3_handle with an
 * in-memory front (as test_core.c), "anonymous = full"; outcomes are checked in the
 * responses and on disk. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "checksum.h"
#include "meta.h"
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

static void expect(const char *method, const char *uri, const char *body, int status,
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
}

/* A copy: PUT uri with x-amz-copy-source src and extra headers (up to 8). */
static void copy(struct reply *r, const char *uri, const char *src, const char *const *extra)
{
    char h[4200];
    const char *hdrs[10];
    size_t n = 0;
    snprintf(h, sizeof h, "HTTP_X_AMZ_COPY_SOURCE=%s", src);
    hdrs[n++] = h;
    for (; extra && *extra && n < 9; extra++)
        hdrs[n++] = *extra;
    hdrs[n] = NULL;
    request(r, "PUT", uri, NULL, 0, hdrs);
}

static void expect_copy(const char *uri, const char *src, const char *const *extra, int status,
                        const char *code)
{
    struct reply r;
    copy(&r, uri, src, extra);
    ck_assert_msg(r.status == status, "copy %s -> %s: status %d, want %d; body %s", src, uri,
                  r.status, status, r.body);
    if (code) {
        char want[128];
        snprintf(want, sizeof want, "<Code>%s</Code>", code);
        ck_assert_msg(strstr(r.body, want) != NULL, "copy %s: want %s in %s", src, code, r.body);
    }
    reply_free(&r);
}

static void md5_hex(const char *s, size_t n, char out[33])
{
    unsigned char md[16];
    unsigned int l;
    EVP_Digest(s, n, md, &l, EVP_md5(), NULL);
    hex_encode(md, 16, out);
}

static void md5_b64(const char *s, size_t n, char out[25])
{
    unsigned char md[16];
    unsigned int l;
    EVP_Digest(s, n, md, &l, EVP_md5(), NULL);
    base64_encode(md, 16, out);
}

/* Whole file root/rel into a malloc'd buffer; NULL when absent. */
static char *slurp(const char *rel, size_t *len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    struct stat st;
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    char *b = malloc((size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(b);
    *len = fread(b, 1, (size_t)st.st_size, f);
    ck_assert_uint_eq(*len, (size_t)st.st_size);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static int exists(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return lstat(p, &st) == 0;
}

/* Text between <tag> and </tag> in s (first occurrence) into out. */
static const char *xml_value(const char *s, const char *tag, char *out, size_t cap)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(s, open), *b;
    if (!a || !(b = strstr(a += strlen(open), close)))
        return NULL;
    size_t n = (size_t)(b - a) < cap - 1 ? (size_t)(b - a) : cap - 1;
    memcpy(out, a, n);
    out[n] = '\0';
    return out;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---------------- CopyObject ---------------- */

START_TEST(test_copy_within_and_across)
{
    expect("PUT", "/src", NULL, 200, NULL, NULL);
    expect("PUT", "/dst", NULL, 200, NULL, NULL);
    const char *data = "copy me, please\n";
    char md5[33], want_etag[64], got[256];
    md5_hex(data, strlen(data), md5);
    snprintf(want_etag, sizeof want_etag, "&quot;%s&quot;", md5);
    const char *h[] = { "CONTENT_TYPE=text/plain", "HTTP_X_AMZ_META_COLOR=red",
                        "HTTP_CONTENT_DISPOSITION=attachment", NULL };
    expect("PUT", "/src/a", data, 200, NULL, h);

    struct reply r;
    copy(&r, "/src/b", "src/a", NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
    ck_assert_str_eq(xml_value(r.body, "ETag", got, sizeof got), want_etag);
    ck_assert_ptr_nonnull(xml_value(r.body, "LastModified", got, sizeof got));
    ck_assert_uint_eq(strlen(got), 24);             /* 2025-01-01T00:00:00.000Z */
    ck_assert_str_eq(reply_header(&r, "Content-Type", got, sizeof got), "application/xml");
    reply_free(&r);

    /* across buckets, leading '/', into a new directory */
    copy(&r, "/dst/deep/er/c", "/src/a", NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    reply_free(&r);

    size_t n;
    char *b = slurp("src/b", &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, strlen(data));
    ck_assert_mem_eq(b, data, n);
    free(b);
    b = slurp("dst/deep/er/c", &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_mem_eq(b, data, n);
    free(b);

    /* COPY (the default): the source's metadata travels, this request's is ignored */
    const char *ignored[] = { "CONTENT_TYPE=image/png", "HTTP_X_AMZ_META_COLOR=green", NULL };
    expect_copy("/dst/d", "src/a", ignored, 200, NULL);
    request(&r, "GET", "/dst/d", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_mem_eq(r.body, data, strlen(data));
    snprintf(want_etag, sizeof want_etag, "\"%s\"", md5);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want_etag);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "text/plain");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-color", got, sizeof got), "red");
    ck_assert_str_eq(reply_header(&r, "content-disposition", got, sizeof got), "attachment");
    reply_free(&r);

    /* REPLACE: only this request's metadata */
    const char *repl[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=REPLACE", "CONTENT_TYPE=image/png",
                           "HTTP_X_AMZ_META_SHAPE=round", NULL };
    expect_copy("/dst/e", "src/a", repl, 200, NULL);
    request(&r, "GET", "/dst/e", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_mem_eq(r.body, data, strlen(data));
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "image/png");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-shape", got, sizeof got), "round");
    ck_assert_ptr_null(reply_header(&r, "x-amz-meta-color", got, sizeof got));
    ck_assert_ptr_null(reply_header(&r, "content-disposition", got, sizeof got));
    reply_free(&r);

    /* REPLACE without a Content-Type: S3's default */
    const char *bare[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=REPLACE", NULL };
    expect_copy("/dst/f", "src/a", bare, 200, NULL);
    request(&r, "HEAD", "/dst/f", NULL, 0, NULL);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "binary/octet-stream");
    ck_assert_ptr_null(reply_header(&r, "x-amz-meta-color", got, sizeof got));
    reply_free(&r);

    /* a copy over an existing object replaces it */
    expect("PUT", "/dst/g", "old contents", 200, NULL, NULL);
    expect_copy("/dst/g", "src/a", NULL, 200, NULL);
    b = slurp("dst/g", &n);
    ck_assert_mem_eq(b, data, n);
    free(b);

    /* 2 KB of user metadata at most, as PutObject */
    static char big[2200];
    memset(big, 'v', sizeof big - 1);
    memcpy(big, "HTTP_X_AMZ_META_BIG=", 20);
    const char *toobig[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=REPLACE", big, NULL };
    expect_copy("/dst/h", "src/a", toobig, 400, "MetadataTooLarge");
    ck_assert(!exists("dst/h"));
}
END_TEST

START_TEST(test_copy_self)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *h[] = { "CONTENT_TYPE=text/plain", "HTTP_X_AMZ_META_V=1", NULL };
    expect("PUT", "/bkt/k", "same bytes", 200, NULL, h);
    struct reply r;
    char got[256], etag[64];
    copy(&r, "/bkt/k", "bkt/k", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "<Code>InvalidRequest</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "This copy request is illegal because it is trying to "
                                         "copy an object to itself without changing the object&apos;s "
                                         "metadata, storage class, website redirect location or "
                                         "encryption attributes."));
    reply_free(&r);
    const char *copydir[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=COPY", NULL };
    expect_copy("/bkt/k", "/bkt/k", copydir, 400, "InvalidRequest");

    request(&r, "HEAD", "/bkt/k", NULL, 0, NULL);
    reply_header(&r, "ETag", etag, sizeof etag);
    reply_free(&r);

    const char *repl[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=REPLACE", "CONTENT_TYPE=text/html",
                           "HTTP_X_AMZ_META_V=2", NULL };
    expect_copy("/bkt/k", "bkt/k", repl, 200, NULL);
    request(&r, "GET", "/bkt/k", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "same bytes");
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "text/html");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-v", got, sizeof got), "2");
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), etag);
    reply_free(&r);

    /* a storage-class change counts as a change */
    const char *sc[] = { "HTTP_X_AMZ_STORAGE_CLASS=STANDARD", NULL };
    expect_copy("/bkt/k", "bkt/k", sc, 200, NULL);
    request(&r, "GET", "/bkt/k", NULL, 0, NULL);
    ck_assert_str_eq(r.body, "same bytes");
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-v", got, sizeof got), "2");
    reply_free(&r);
    /* no temp file left beside it */
    size_t n;
    char *b = slurp("bkt/k", &n);
    ck_assert_str_eq(b, "same bytes");
    free(b);
}
END_TEST

START_TEST(test_copy_conditions)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/s", "source", 200, NULL, NULL);
    char md5[33], ifm[128], ifnm[128];
    md5_hex("source", 6, md5);
    snprintf(ifm, sizeof ifm, "HTTP_X_AMZ_COPY_SOURCE_IF_MATCH=\"%s\"", md5);
    snprintf(ifnm, sizeof ifnm, "HTTP_X_AMZ_COPY_SOURCE_IF_NONE_MATCH=\"%s\"", md5);
    char past[30], future[30], ims_past[80], ims_future[80], ius_past[80], ius_future[80];
    time_http(time(NULL) - 86400, past);
    time_http(time(NULL) + 86400, future);
    snprintf(ims_past, sizeof ims_past, "HTTP_X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE=%s", past);
    snprintf(ims_future, sizeof ims_future, "HTTP_X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE=%s", future);
    snprintf(ius_past, sizeof ius_past, "HTTP_X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE=%s", past);
    snprintf(ius_future, sizeof ius_future, "HTTP_X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE=%s", future);

    const char *m_ok[] = { ifm, NULL };
    const char *m_bad[] = { "HTTP_X_AMZ_COPY_SOURCE_IF_MATCH=\"0123\"", NULL };
    const char *nm_ok[] = { "HTTP_X_AMZ_COPY_SOURCE_IF_NONE_MATCH=\"0123\"", NULL };
    const char *nm_bad[] = { ifnm, NULL };
    const char *ms_ok[] = { ims_past, NULL };
    const char *ms_bad[] = { ims_future, NULL };
    const char *us_ok[] = { ius_future, NULL };
    const char *us_bad[] = { ius_past, NULL };
    expect_copy("/bkt/d1", "bkt/s", m_ok, 200, NULL);
    expect_copy("/bkt/d2", "bkt/s", m_bad, 412, "PreconditionFailed");
    expect_copy("/bkt/d3", "bkt/s", nm_ok, 200, NULL);
    expect_copy("/bkt/d4", "bkt/s", nm_bad, 412, "PreconditionFailed");
    expect_copy("/bkt/d5", "bkt/s", ms_ok, 200, NULL);
    expect_copy("/bkt/d6", "bkt/s", ms_bad, 412, "PreconditionFailed");
    expect_copy("/bkt/d7", "bkt/s", us_ok, 200, NULL);
    expect_copy("/bkt/d8", "bkt/s", us_bad, 412, "PreconditionFailed");
    /* S3: if-match true and if-unmodified-since false -> copied */
    const char *combo[] = { ifm, ius_past, NULL };
    expect_copy("/bkt/d9", "bkt/s", combo, 200, NULL);
    ck_assert(exists("bkt/d1") && exists("bkt/d3") && exists("bkt/d5") && exists("bkt/d7"));
    ck_assert(!exists("bkt/d2") && !exists("bkt/d4") && !exists("bkt/d6") && !exists("bkt/d8"));

    /* destination conditions, as PutObject */
    const char *inm[] = { "HTTP_IF_NONE_MATCH=*", NULL };
    expect_copy("/bkt/d1", "bkt/s", inm, 412, "PreconditionFailed");
    expect_copy("/bkt/new", "bkt/s", inm, 200, NULL);
    const char *im_bad[] = { "HTTP_IF_MATCH=\"0123\"", NULL };
    expect_copy("/bkt/d1", "bkt/s", im_bad, 412, "PreconditionFailed");
    char im[128];
    snprintf(im, sizeof im, "HTTP_IF_MATCH=\"%s\"", md5);
    const char *im_ok[] = { im, NULL };
    expect_copy("/bkt/d1", "bkt/s", im_ok, 200, NULL);
}
END_TEST

START_TEST(test_copy_errors)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/s", "x", 200, NULL, NULL);
    expect_copy("/bkt/d", "bkt/missing", NULL, 404, "NoSuchKey");
    expect_copy("/bkt/d", "nobucket/s", NULL, 404, "NoSuchBucket");
    expect_copy("/bkt/d", "bkt/a/../s", NULL, 404, "NoSuchKey");
    expect_copy("/bkt/d", "bkt", NULL, 400, "InvalidArgument");
    expect_copy("/bkt/d", "bkt/", NULL, 400, "InvalidArgument");
    expect_copy("/bkt/d", "/s", NULL, 400, "InvalidArgument");
    expect_copy("/bkt/d", "bkt/%zz", NULL, 400, "InvalidArgument");
    const char *dir[] = { "HTTP_X_AMZ_METADATA_DIRECTIVE=MOVE", NULL };
    expect_copy("/bkt/d", "bkt/s", dir, 400, "InvalidArgument");
    const char *alg[] = { "HTTP_X_AMZ_CHECKSUM_ALGORITHM=MD4", NULL };
    expect_copy("/bkt/d", "bkt/s", alg, 400, "InvalidRequest");
    const char *inm[] = { "HTTP_IF_NONE_MATCH=\"abc\"", NULL };
    expect_copy("/bkt/d", "bkt/s", inm, 501, "NotImplemented");
    ck_assert(!exists("bkt/d"));

    struct reply r;
    char got[64];
    copy(&r, "/bkt/v", "bkt/s?versionId=null", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "x-amz-copy-source-version-id", got, sizeof got), "null");
    reply_free(&r);
    copy(&r, "/bkt/w", "bkt/s?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "<Code>InvalidArgument</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "Invalid version id specified"));
    reply_free(&r);

    /* a destination under a file, and an unmappable destination */
    expect_copy("/bkt/s/under", "bkt/s", NULL, 409, NULL);
    expect_copy("/bkt/a/../b", "bkt/s", NULL, 400, "InvalidArgument");
}
END_TEST

START_TEST(test_copy_encoded_keys)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    /* key "dir/a b+c ü&.txt" */
    expect("PUT", "/bkt/dir/a%20b+c%20%C3%BC%26.txt", "encoded", 200, NULL, NULL);
    expect_copy("/bkt/out%201", "bkt/dir/a%20b%2Bc%20%C3%BC%26.txt", NULL, 200, NULL);
    expect_copy("/bkt/out%202", "/bkt/dir/a%20b+c%20%C3%BC%26.txt", NULL, 200, NULL);
    /* '+' is a plus, never a space */
    expect_copy("/bkt/out3", "bkt/dir/a%20b%20c%20%C3%BC%26.txt", NULL, 404, "NoSuchKey");
    size_t n;
    char *b = slurp("bkt/out 1", &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b, "encoded");
    free(b);
    b = slurp("bkt/out 2", &n);
    ck_assert_ptr_nonnull(b);
    free(b);
    /* a '?' inside the key is encoded; a raw one starts the query */
    expect("PUT", "/bkt/q%3Fx", "question", 200, NULL, NULL);
    expect_copy("/bkt/q2", "bkt/q%3Fx", NULL, 200, NULL);
    b = slurp("bkt/q2", &n);
    ck_assert_str_eq(b, "question");
    free(b);
}
END_TEST

START_TEST(test_copy_large)
{
    size_t size = 12u << 20;
    char *data = malloc(size);
    ck_assert_ptr_nonnull(data);
    unsigned int x = 12345;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (char)(x >> 16);
    }
    char md5[33], want[64], got[128];
    md5_hex(data, size, md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/other", NULL, 200, NULL, NULL);
    struct reply r;
    request(&r, "PUT", "/bkt/big", data, size, NULL);
    ck_assert_int_eq(r.status, 200);
    reply_free(&r);
    copy(&r, "/other/big-copy", "bkt/big", NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(xml_value(r.body, "ETag", got, sizeof got), want);
    reply_free(&r);
    size_t n;
    char *b = slurp("other/big-copy", &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, size);
    ck_assert(memcmp(b, data, size) == 0);
    free(b);
    free(data);
}
END_TEST

START_TEST(test_copy_directory_objects)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *h[] = { "HTTP_X_AMZ_META_KIND=folder", NULL };
    expect("PUT", "/bkt/d/", "", 200, NULL, h);
    /* directory object onto a directory object */
    expect_copy("/bkt/e/", "bkt/d/", NULL, 200, NULL);
    struct reply r;
    char got[64];
    request(&r, "HEAD", "/bkt/e/", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(reply_header(&r, "x-amz-meta-kind", got, sizeof got), "folder");
    ck_assert_str_eq(reply_header(&r, "Content-Length", got, sizeof got), "0");
    reply_free(&r);
    struct stat st;
    char p[128];
    snprintf(p, sizeof p, "%s/bkt/e", root);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    /* directory object onto a file key: zero bytes */
    expect_copy("/bkt/f", "bkt/d/", NULL, 200, NULL);
    size_t n;
    char *b = slurp("bkt/f", &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, 0);
    free(b);
    /* an empty file onto a directory object key is fine; bytes cannot go there */
    expect("PUT", "/bkt/empty", "", 200, NULL, NULL);
    expect_copy("/bkt/g/", "bkt/empty", NULL, 200, NULL);
    expect("PUT", "/bkt/full", "data", 200, NULL, NULL);
    expect_copy("/bkt/h/", "bkt/full", NULL, 400, "InvalidArgument");
    ck_assert(!exists("bkt/h"));
    /* a plain directory is no object */
    expect("PUT", "/bkt/plain/x", "x", 200, NULL, NULL);
    expect_copy("/bkt/i", "bkt/plain/", NULL, 404, "NoSuchKey");
    expect_copy("/bkt/i", "bkt/plain", NULL, 404, "NoSuchKey");
}
END_TEST

/* A source with a multipart ETag and a composite checksum (made by hand: the
 * multipart operations have their own suite): the copy gets the MD5 of its bytes
 * and no composite checksum (API reference, Object.ETag). */
START_TEST(test_copy_multipart_source)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/mp", "multipart data", 200, NULL, NULL);
    char p[128];
    snprintf(p, sizeof p, "%s/bkt", root);
    int bfd = open(p, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(bfd, 0);
    int fd = openat(bfd, "mp", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    struct s3_meta_kv kv[] = { { "content-type", "text/x-mp" },
                               { "x-amz-checksum-crc32", "AAAAAA==-2" } };
    struct s3_meta m;
    memset(&m, 0, sizeof m);
    strcpy(m.etag, "0123456789abcdef0123456789abcdef-2");
    m.parts_count = 2;
    m.hdrs = kv;
    m.nhdrs = 2;
    ck_assert_int_eq(meta_store(&cfg, bfd, "mp", 2, fd, &st, &m), S3E_OK);
    close(fd);
    close(bfd);

    struct reply r;
    char got[128], md5[33], want[64];
    request(&r, "HEAD", "/bkt/mp", NULL, 0, NULL);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), "\"0123456789abcdef0123456789abcdef-2\"");
    reply_free(&r);

    md5_hex("multipart data", 14, md5);
    snprintf(want, sizeof want, "&quot;%s&quot;", md5);
    copy(&r, "/bkt/single", "bkt/mp", NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(xml_value(r.body, "ETag", got, sizeof got), want);
    ck_assert_ptr_null(strstr(r.body, "ChecksumCRC32"));
    reply_free(&r);
    request(&r, "GET", "/bkt/single", NULL, 0, NULL);
    snprintf(want, sizeof want, "\"%s\"", md5);
    ck_assert_str_eq(reply_header(&r, "ETag", got, sizeof got), want);
    ck_assert_str_eq(reply_header(&r, "content-type", got, sizeof got), "text/x-mp");
    ck_assert_str_eq(r.body, "multipart data");
    reply_free(&r);
}
END_TEST

START_TEST(test_copy_checksum_algorithm)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/abc", "abc", 200, NULL, NULL);
    struct reply r;
    char got[64];
    const char *crc[] = { "HTTP_X_AMZ_CHECKSUM_ALGORITHM=CRC32", NULL };
    copy(&r, "/bkt/c1", "bkt/abc", crc);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(xml_value(r.body, "ChecksumCRC32", got, sizeof got), "NSRBwg==");
    reply_free(&r);
    /* the copy of a copy keeps it without asking */
    copy(&r, "/bkt/c2", "bkt/c1", NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(xml_value(r.body, "ChecksumCRC32", got, sizeof got), "NSRBwg==");
    reply_free(&r);
    const char *sha[] = { "HTTP_X_AMZ_CHECKSUM_ALGORITHM=sha256", NULL };
    copy(&r, "/bkt/c3", "bkt/c1", sha);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(xml_value(r.body, "ChecksumSHA256", got, sizeof got),
                     "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    ck_assert_ptr_null(strstr(r.body, "ChecksumCRC32"));
    reply_free(&r);
}
END_TEST

/* ---------------- DeleteObjects ---------------- */

static void put_keys(const char *const *keys)
{
    for (; *keys; keys++) {
        char uri[256];
        snprintf(uri, sizeof uri, "/bkt/%s", *keys);
        expect("PUT", uri, "x", 200, NULL, NULL);
    }
}

START_TEST(test_delete_objects)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "a/b/k1", "k2", "a/keep", NULL };
    put_keys(keys);
    const char *body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Object><Key>a/b/k1</Key></Object><Object><Key>k2</Key></Object>"
        "<Object><Key>missing/x</Key></Object></Delete>";
    struct reply r;
    request(&r, "POST", "/bkt?delete", body, strlen(body), NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
    ck_assert_int_eq(count(r.body, "<Deleted>"), 3);
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>a/b/k1</Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>k2</Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>missing/x</Key></Deleted>"));
    ck_assert_ptr_null(strstr(r.body, "<Error>"));
    reply_free(&r);
    ck_assert(!exists("bkt/a/b/k1") && !exists("bkt/k2"));
    ck_assert(!exists("bkt/a/b"));                  /* emptied parent pruned */
    ck_assert(exists("bkt/a/keep"));                /* a parent still holding a key stays */
    ck_assert(exists("bkt"));

    /* the last key of a/ takes a/ with it */
    const char *last = "<Delete><Object><Key>a/keep</Key></Object></Delete>";
    expect("POST", "/bkt?delete", last, 200, NULL, NULL);
    ck_assert(!exists("bkt/a"));
    ck_assert(exists("bkt"));
}
END_TEST

START_TEST(test_delete_objects_quiet)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "q1", "q2", NULL };
    put_keys(keys);
    const char *body = "<Delete><Quiet>true</Quiet><Object><Key>q1</Key></Object>"
                       "<Object><Key>q2</Key></Object><Object><Key>a/../b</Key></Object></Delete>";
    struct reply r;
    request(&r, "POST", "/bkt?delete", body, strlen(body), NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_null(strstr(r.body, "<Deleted>"));
    ck_assert_int_eq(count(r.body, "<Error>"), 1);       /* errors are reported even when quiet */
    reply_free(&r);
    ck_assert(!exists("bkt/q1") && !exists("bkt/q2"));
    const char *loud = "<Delete><Quiet>false</Quiet><Object><Key>q1</Key></Object></Delete>";
    request(&r, "POST", "/bkt?delete", loud, strlen(loud), NULL);
    ck_assert_int_eq(count(r.body, "<Deleted>"), 1);
    reply_free(&r);
}
END_TEST

START_TEST(test_delete_objects_malformed)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "k0", NULL };
    put_keys(keys);
    /* 1001 objects, the first a real key: refused as a whole */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "<Delete>");
    for (int i = 0; i < 1001; i++) {
        char o[64];
        snprintf(o, sizeof o, "<Object><Key>k%d</Key></Object>", i);
        buf_adds(&b, o);
    }
    buf_adds(&b, "</Delete>");
    expect("POST", "/bkt?delete", buf_str(&b), 400, "MalformedXML", NULL);
    ck_assert(exists("bkt/k0"));
    /* exactly 1000 are fine */
    b.len -= strlen("<Object><Key>k1000</Key></Object></Delete>");
    buf_adds(&b, "</Delete>");
    struct reply r;
    request(&r, "POST", "/bkt?delete", buf_str(&b), b.len, NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_int_eq(count(r.body, "<Deleted>"), 1000);
    reply_free(&r);
    ck_assert(!exists("bkt/k0"));
    buf_free(&b);

    put_keys(keys);
    expect("POST", "/bkt?delete", "<Delete><Object><Key>k0</Key></Object>", 400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete></Delete>", 400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete><Quiet>true</Quiet></Delete>", 400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "", 400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Remove><Object><Key>k0</Key></Object></Remove>", 400,
           "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete><Quiet>maybe</Quiet><Object><Key>k0</Key></Object></Delete>",
           400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete><Object><VersionId>null</VersionId></Object></Delete>",
           400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete><Object><Key>k0</Key><Key>k1</Key></Object></Delete>",
           400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete", "<Delete><Object><Key>k0</Key><Bogus/></Object></Delete>",
           400, "MalformedXML", NULL);
    expect("POST", "/bkt?delete",
           "<!DOCTYPE d [<!ENTITY e \"k0\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
           400, "MalformedXML", NULL);
    ck_assert(exists("bkt/k0"));
    /* a body over the cap: refused without reading it all */
    size_t big = (3u << 20);
    char *huge = malloc(big + 1);
    ck_assert_ptr_nonnull(huge);
    memset(huge, ' ', big);
    memcpy(huge, "<Delete>", 8);
    huge[big] = '\0';
    expect("POST", "/bkt?delete", huge, 400, "MalformedXML", NULL);
    free(huge);
    expect("POST", "/nobucket?delete", "<Delete><Object><Key>k0</Key></Object></Delete>", 404,
           "NoSuchBucket", NULL);
    ck_assert(exists("bkt/k0"));
}
END_TEST

START_TEST(test_delete_objects_integrity)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    const char *keys[] = { "m1", "m2", NULL };
    put_keys(keys);
    const char *body = "<Delete><Object><Key>m1</Key></Object><Object><Key>m2</Key></Object></Delete>";
    char b64[25], good[64];
    md5_b64(body, strlen(body), b64);
    snprintf(good, sizeof good, "HTTP_CONTENT_MD5=%s", b64);
    const char *bad[] = { "HTTP_CONTENT_MD5=1B2M2Y8AsgTpgAmY7PhCfg==", NULL };
    expect("POST", "/bkt?delete", body, 400, "BadDigest", bad);
    ck_assert(exists("bkt/m1") && exists("bkt/m2"));
    const char *junk[] = { "HTTP_CONTENT_MD5=zz", NULL };
    expect("POST", "/bkt?delete", body, 400, "InvalidDigest", junk);
    ck_assert(exists("bkt/m1"));
    const char *ok[] = { good, NULL };
    expect("POST", "/bkt?delete", body, 200, NULL, ok);
    ck_assert(!exists("bkt/m1") && !exists("bkt/m2"));

    /* what 2025 SDKs send instead of Content-MD5: CRC32 of the body, base64 */
    put_keys(keys);
    struct checksum ck;
    unsigned char digest[CHECKSUM_MAX_DIGEST];
    char crc[CHECKSUM_B64_MAX], crc_hdr[96];
    memset(&ck, 0, sizeof ck);
    ck_assert_int_eq(checksum_init(&ck, CK_CRC32), 0);
    ck_assert_int_eq(checksum_update(&ck, body, strlen(body)), 0);
    ck_assert_int_eq(checksum_final(&ck, digest, crc), 0);
    checksum_free(&ck);
    snprintf(crc_hdr, sizeof crc_hdr, "HTTP_X_AMZ_CHECKSUM_CRC32=%s", crc);
    const char *crc_bad[] = { "HTTP_X_AMZ_CHECKSUM_CRC32=AAAAAA==", "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM=CRC32",
                              NULL };
    expect("POST", "/bkt?delete", body, 400, "BadDigest", crc_bad);
    ck_assert(exists("bkt/m1") && exists("bkt/m2"));
    const char *crc_ok[] = { crc_hdr, "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM=CRC32", NULL };
    expect("POST", "/bkt?delete", body, 200, NULL, crc_ok);
    ck_assert(!exists("bkt/m1") && !exists("bkt/m2"));
    put_keys(keys);
    expect("POST", "/bkt?delete", body, 200, NULL, NULL);      /* neither: accepted */
    ck_assert(!exists("bkt/m1"));
}
END_TEST

START_TEST(test_delete_objects_per_key)
{
    expect("PUT", "/bkt", NULL, 200, NULL, NULL);
    expect("PUT", "/bkt/a%26b%3Cc", "x", 200, NULL, NULL);     /* key "a&b<c" */
    expect("PUT", "/bkt/%20sp%20", "x", 200, NULL, NULL);      /* key " sp " */
    const char *keys[] = { "v1", "v2", "good", "e1", "e2", NULL };
    put_keys(keys);
    char md5[33], body[1024];
    md5_hex("x", 1, md5);
    snprintf(body, sizeof body,
             "<Delete>"
             "<Object><Key>a/../good</Key></Object>"
             "<Object><Key>good</Key></Object>"
             "<Object><Key>a&amp;b&lt;c</Key></Object>"
             "<Object><Key> sp </Key></Object>"
             "<Object><Key>v1</Key><VersionId>null</VersionId></Object>"
             "<Object><Key>v2</Key><VersionId>3HL4kqtJlcpXroDTDmJ</VersionId></Object>"
             "<Object><Key>e1</Key><ETag>\"0123\"</ETag></Object>"
             "<Object><Key>e2</Key><ETag>\"%s\"</ETag></Object>"
             "<Object><Key>gone</Key><ETag>*</ETag></Object>"
             "</Delete>", md5);
    struct reply r;
    request(&r, "POST", "/bkt?delete", body, strlen(body), NULL);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<Error><Key>a/../good</Key><Code>InvalidArgument</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>good</Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>a&amp;b&lt;c</Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key> sp </Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>v1</Key><VersionId>null</VersionId></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Error><Key>v2</Key><VersionId>3HL4kqtJlcpXroDTDmJ</VersionId>"
                                         "<Code>NoSuchVersion</Code><Message>The specified version does "
                                         "not exist.</Message></Error>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Error><Key>e1</Key><Code>PreconditionFailed</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Deleted><Key>e2</Key></Deleted>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<Error><Key>gone</Key><Code>NoSuchKey</Code>"));
    /* in request order */
    ck_assert(strstr(r.body, "a/../good") < strstr(r.body, "<Key>good</Key>"));
    reply_free(&r);
    ck_assert(!exists("bkt/good") && !exists("bkt/a&b<c") && !exists("bkt/ sp ") &&
              !exists("bkt/v1") && !exists("bkt/e2"));
    ck_assert(exists("bkt/v2") && exists("bkt/e1"));

    /* a key too long for S3 */
    static char longkey[1200 + 64];
    strcpy(longkey, "<Delete><Object><Key>");
    memset(longkey + strlen(longkey), 'k', 1100);
    strcpy(longkey + strlen("<Delete><Object><Key>") + 1100, "</Key></Object></Delete>");
    request(&r, "POST", "/bkt?delete", longkey, strlen(longkey), NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "<Code>KeyTooLongError</Code>"));
    reply_free(&r);

    /* a directory object, and a plain directory (no object: reported deleted, kept) */
    expect("PUT", "/bkt/dir/", "", 200, NULL, NULL);
    expect("PUT", "/bkt/plain/inner", "x", 200, NULL, NULL);
    const char *dirs = "<Delete><Object><Key>dir/</Key></Object><Object><Key>plain/</Key></Object>"
                       "<Object><Key>plain</Key></Object></Delete>";
    request(&r, "POST", "/bkt?delete", dirs, strlen(dirs), NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(count(r.body, "<Deleted>"), 3);
    reply_free(&r);
    ck_assert(!exists("bkt/dir"));
    ck_assert(exists("bkt/plain/inner"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("copy");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_copy_within_and_across);
    tcase_add_test(tc, test_copy_self);
    tcase_add_test(tc, test_copy_conditions);
    tcase_add_test(tc, test_copy_errors);
    tcase_add_test(tc, test_copy_encoded_keys);
    tcase_add_test(tc, test_copy_large);
    tcase_add_test(tc, test_copy_directory_objects);
    tcase_add_test(tc, test_copy_multipart_source);
    tcase_add_test(tc, test_copy_checksum_algorithm);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("delete");
    tcase_set_timeout(td, 120);
    tcase_add_checked_fixture(td, setup, teardown);
    tcase_add_test(td, test_delete_objects);
    tcase_add_test(td, test_delete_objects_quiet);
    tcase_add_test(td, test_delete_objects_malformed);
    tcase_add_test(td, test_delete_objects_integrity);
    tcase_add_test(td, test_delete_objects_per_key);
    suite_add_tcase(s, td);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
