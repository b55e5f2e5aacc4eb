/* test_range.c - Range parsing (range.c), conditional requests (cond.c) and the
 * error table (errors.c). Table-driven; expectations cite the S3 or RFC rule. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "errors.h"
#include "range.h"

/* ---- range ----------------------------------------------------------------- */

#define BIG "99999999999999999999"      /* > LLONG_MAX */

static const struct {
    const char *hdr;
    long long size;
    enum range_result want;
    long long start, end;
} range_cases[] = {
    /* the three forms */
    { "bytes=0-0", 10, RANGE_OK, 0, 0 },
    { "bytes=0-9", 10, RANGE_OK, 0, 9 },
    { "bytes=2-5", 10, RANGE_OK, 2, 5 },
    { "bytes=0-", 10, RANGE_OK, 0, 9 },
    { "bytes=5-", 10, RANGE_OK, 5, 9 },
    { "bytes=9-", 10, RANGE_OK, 9, 9 },
    { "bytes=9-9", 10, RANGE_OK, 9, 9 },
    { "bytes=-3", 10, RANGE_OK, 7, 9 },
    { "bytes=-1", 10, RANGE_OK, 9, 9 },
    { "bytes=-10", 10, RANGE_OK, 0, 9 },
    { "bytes=-11", 10, RANGE_OK, 0, 9 },
    /* last-byte-pos past the end is clamped (RFC 7233 2.1) */
    { "bytes=3-100", 10, RANGE_OK, 3, 9 },
    { "bytes=0-10", 10, RANGE_OK, 0, 9 },
    /* first-byte-pos at or past the end: 416 */
    { "bytes=10-", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=10-20", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=11-11", 10, RANGE_UNSATISFIABLE, 0, 0 },
    /* suffix of 0 selects nothing: 416 */
    { "bytes=-0", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-000", 10, RANGE_UNSATISFIABLE, 0, 0 },
    /* last < first: invalid, ignored (S3 sends the whole object) */
    { "bytes=5-2", 10, RANGE_NONE, 0, 0 },
    { "bytes=1-0", 10, RANGE_NONE, 0, 0 },
    { "bytes=15-1", 10, RANGE_NONE, 0, 0 },
    /* empty object */
    { "bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-0", 0, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=1-2", 0, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-1", 0, RANGE_NONE, 0, 0 },
    { "bytes=-100", 0, RANGE_NONE, 0, 0 },
    { "bytes=-0", 0, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=1-0", 0, RANGE_NONE, 0, 0 },
    /* one-byte object */
    { "bytes=0-0", 1, RANGE_OK, 0, 0 },
    { "bytes=0-", 1, RANGE_OK, 0, 0 },
    { "bytes=0-5", 1, RANGE_OK, 0, 0 },
    { "bytes=1-", 1, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-1", 1, RANGE_OK, 0, 0 },
    { "bytes=-5", 1, RANGE_OK, 0, 0 },
    /* huge numbers */
    { "bytes=" BIG "-", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=" BIG "-" BIG "9", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=" BIG "-" BIG, 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-" BIG, 10, RANGE_OK, 0, 9 },
    { "bytes=-" BIG, 10, RANGE_OK, 0, 9 },
    { "bytes=-" BIG, 0, RANGE_NONE, 0, 0 },
    { "bytes=" BIG "-1", 10, RANGE_NONE, 0, 0 },
    { "bytes=99999999999999999999-99999999999999999998", 10, RANGE_NONE, 0, 0 },
    { "bytes=000099999999999999999999-99999999999999999998", 10, RANGE_NONE, 0, 0 },
    { "bytes=99999999999999999998-0099999999999999999999", 10, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=9223372036854775807-", LLONG_MAX, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=9223372036854775806-", LLONG_MAX, RANGE_OK, LLONG_MAX - 1, LLONG_MAX - 1 },
    { "bytes=9223372036854775808-", LLONG_MAX, RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-9223372036854775808", LLONG_MAX, RANGE_OK, 0, LLONG_MAX - 1 },
    { "bytes=-9223372036854775807", LLONG_MAX, RANGE_OK, 0, LLONG_MAX - 1 },
    { "bytes=-1", LLONG_MAX, RANGE_OK, LLONG_MAX - 1, LLONG_MAX - 1 },
    { "bytes=00000000000000000000000005-", 10, RANGE_OK, 5, 9 },
    { "bytes=0000000000000000000000000-000000000000000000000000003", 10, RANGE_OK, 0, 3 },
    /* multiple ranges: S3 ignores the header */
    { "bytes=0-1,2-3", 10, RANGE_NONE, 0, 0 },
    { "bytes=0-1, 5-", 10, RANGE_NONE, 0, 0 },
    { "bytes=-1,-2", 10, RANGE_NONE, 0, 0 },
    { "bytes=0-1,20-30", 10, RANGE_NONE, 0, 0 },
    { "bytes=20-30,40-", 10, RANGE_NONE, 0, 0 },
    /* empty list elements are skipped (RFC 7230 7) */
    { "bytes=0-1,", 10, RANGE_OK, 0, 1 },
    { "bytes=, 0-1", 10, RANGE_OK, 0, 1 },
    { "bytes=,,0-1 , ,", 10, RANGE_OK, 0, 1 },
    /* whitespace and case */
    { " bytes=0-1 ", 10, RANGE_OK, 0, 1 },
    { "Bytes=0-1", 10, RANGE_OK, 0, 1 },
    { "BYTES=-2", 10, RANGE_OK, 8, 9 },
    { "bytes = 0 - 1", 10, RANGE_OK, 0, 1 },
    { "bytes=\t-3", 10, RANGE_OK, 7, 9 },
    /* garbage */
    { "", 10, RANGE_NONE, 0, 0 },
    { "   ", 10, RANGE_NONE, 0, 0 },
    { "bytes", 10, RANGE_NONE, 0, 0 },
    { "bytes=", 10, RANGE_NONE, 0, 0 },
    { "bytes=,", 10, RANGE_NONE, 0, 0 },
    { "bytes=-", 10, RANGE_NONE, 0, 0 },
    { "bytes=--1", 10, RANGE_NONE, 0, 0 },
    { "bytes=1--2", 10, RANGE_NONE, 0, 0 },
    { "bytes=-1-2", 10, RANGE_NONE, 0, 0 },
    { "bytes=+1-2", 10, RANGE_NONE, 0, 0 },
    { "bytes=a-b", 10, RANGE_NONE, 0, 0 },
    { "bytes=1-2x", 10, RANGE_NONE, 0, 0 },
    { "bytes=0x1-2", 10, RANGE_NONE, 0, 0 },
    { "bytes=1 2-3", 10, RANGE_NONE, 0, 0 },
    { "bytes=1.5-3", 10, RANGE_NONE, 0, 0 },
    { "bytes=0-1;", 10, RANGE_NONE, 0, 0 },
    { "bytes=0-1,x", 10, RANGE_NONE, 0, 0 },
    { "bytes 0-1", 10, RANGE_NONE, 0, 0 },
    { "bytes:0-1", 10, RANGE_NONE, 0, 0 },
    { "bytesx=0-1", 10, RANGE_NONE, 0, 0 },
    { "items=0-1", 10, RANGE_NONE, 0, 0 },
    { "=0-1", 10, RANGE_NONE, 0, 0 },
    { "0-1", 10, RANGE_NONE, 0, 0 },
    { "bytes=0-1", -1, RANGE_NONE, 0, 0 },
};

START_TEST(t_range)
{
    const char *h = range_cases[_i].hdr;
    size_t n = strlen(h);
    char *copy = malloc(n ? n : 1);     /* exactly n bytes: no NUL to lean on */
    memcpy(copy, h, n);
    struct s3_range r = { -7, -7 };
    enum range_result got = s3_range_parse(copy, n, range_cases[_i].size, &r);
    free(copy);
    ck_assert_msg(got == range_cases[_i].want, "\"%s\" size %lld: got %d want %d", h,
                  range_cases[_i].size, (int)got, (int)range_cases[_i].want);
    if (got == RANGE_OK) {
        ck_assert_int_eq(r.start, range_cases[_i].start);
        ck_assert_int_eq(r.end, range_cases[_i].end);
    } else {
        ck_assert_int_eq(r.start, -7);      /* untouched */
        ck_assert_int_eq(r.end, -7);
    }
}
END_TEST

/* Only len bytes are read. */
START_TEST(t_range_len)
{
    struct s3_range r;
    ck_assert_int_eq(s3_range_parse("bytes=0-15", 8, 10, &r), RANGE_OK);
    ck_assert_int_eq(r.start, 0);
    ck_assert_int_eq(r.end, 9);
    ck_assert_int_eq(s3_range_parse("bytes=0-1\0", 10, 10, &r), RANGE_NONE);
    ck_assert_int_eq(s3_range_parse("bytes=0-1", 0, 10, &r), RANGE_NONE);
    ck_assert_int_eq(s3_range_parse(NULL, 0, 10, &r), RANGE_NONE);
}
END_TEST

/* ---- cond ------------------------------------------------------------------ */

#define MTIME 1000000000
#define D_BEFORE "Sun, 09 Sep 2001 01:46:39 GMT"
#define D_AT "Sun, 09 Sep 2001 01:46:40 GMT"
#define D_AFTER "Sun, 09 Sep 2001 01:46:41 GMT"
#define D850_BEFORE "Sunday, 09-Sep-01 01:46:39 GMT"
#define DASC_AT "Sun Sep  9 01:46:40 2001"

enum mode { READ, WRITE, COPY };

static const struct {
    enum mode mode;
    const char *im, *inm, *ims, *ius;
    const char *etag;
    enum s3_err want;
} cond_cases[] = {
    { READ, NULL, NULL, NULL, NULL, "abc", S3E_OK },
    { WRITE, NULL, NULL, NULL, NULL, "abc", S3E_OK },
    /* If-Match: strong comparison */
    { READ, "\"abc\"", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, "abc", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, " \"abc\" ", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, "\"xyz\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"ab\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"abcd\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"ABC\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "*", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, " * ", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, "\"x\", \"abc\"", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, "\"x\",\"y\" ,abc", NULL, NULL, NULL, "abc", S3E_OK },
    { READ, "\"x\", \"y\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "W/\"abc\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"abc\" junk", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"abc", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"a,b\"", NULL, NULL, NULL, "a,b", S3E_OK },
    { READ, "\"d41d8cd98f00b204e9800998ecf8427e-2\"", NULL, NULL, NULL,
      "d41d8cd98f00b204e9800998ecf8427e-2", S3E_OK },
    { READ, "abc", NULL, NULL, NULL, "\"abc\"", S3E_OK },    /* quoted etag argument */
    { WRITE, "\"xyz\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { WRITE, "\"abc\"", NULL, NULL, NULL, "abc", S3E_OK },
    /* If-Unmodified-Since */
    { READ, NULL, NULL, NULL, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    { READ, NULL, NULL, NULL, D_AT, "abc", S3E_OK },
    { READ, NULL, NULL, NULL, D_AFTER, "abc", S3E_OK },
    { READ, NULL, NULL, NULL, D850_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    { READ, NULL, NULL, NULL, "yesterday", "abc", S3E_OK },
    { READ, NULL, NULL, NULL, "2001-09-09T01:46:39Z", "abc", S3E_OK },
    { WRITE, NULL, NULL, NULL, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    /* S3: If-Match true + If-Unmodified-Since false -> 200 */
    { READ, "\"abc\"", NULL, NULL, D_BEFORE, "abc", S3E_OK },
    { READ, "\"xyz\"", NULL, NULL, D_AFTER, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"xyz\"", NULL, NULL, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    /* If-None-Match: weak comparison */
    { READ, NULL, "\"abc\"", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, "abc", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, "W/\"abc\"", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, "\"x\", W/\"abc\"", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, "*", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, "\"xyz\"", NULL, NULL, "abc", S3E_OK },
    { READ, NULL, "\"abc\" junk", NULL, NULL, "abc", S3E_OK },
    { WRITE, NULL, "\"abc\"", NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { WRITE, NULL, "*", NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { WRITE, NULL, "\"xyz\"", NULL, NULL, "abc", S3E_OK },
    /* If-Modified-Since: GET/HEAD only */
    { READ, NULL, NULL, D_BEFORE, NULL, "abc", S3E_OK },
    { READ, NULL, NULL, D_AT, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, NULL, D_AFTER, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, NULL, DASC_AT, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, NULL, D850_BEFORE, NULL, "abc", S3E_OK },
    { READ, NULL, NULL, "garbage", NULL, "abc", S3E_OK },
    { READ, NULL, NULL, "Sun, 09 Sep 2001 01:46:40 GMT x", NULL, "abc", S3E_OK },
    { WRITE, NULL, NULL, D_AT, NULL, "abc", S3E_OK },
    { WRITE, NULL, NULL, D_AFTER, NULL, "abc", S3E_OK },
    /* S3: If-None-Match false + If-Modified-Since true -> 304 */
    { READ, NULL, "\"abc\"", D_BEFORE, NULL, "abc", S3E_NOT_MODIFIED },
    /* If-None-Match present (true): If-Modified-Since is not evaluated */
    { READ, NULL, "\"xyz\"", D_AFTER, NULL, "abc", S3E_OK },
    { READ, NULL, "\"xyz\"", D_BEFORE, NULL, "abc", S3E_OK },
    /* step order across the pairs */
    { READ, "\"xyz\"", "\"xyz\"", NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"xyz\"", "\"abc\"", NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { READ, "\"abc\"", "\"abc\"", NULL, NULL, "abc", S3E_NOT_MODIFIED },
    { READ, "\"abc\"", "\"xyz\"", NULL, NULL, "abc", S3E_OK },
    { READ, NULL, "\"abc\"", NULL, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    { READ, NULL, NULL, D_AT, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    { READ, NULL, NULL, D_AT, D_AT, "abc", S3E_NOT_MODIFIED },
    { READ, NULL, NULL, D_BEFORE, D_AFTER, "abc", S3E_OK },
    { READ, "*", "\"xyz\"", D_AFTER, D_BEFORE, "abc", S3E_OK },
    { READ, "\"abc\"", "\"abc\"", D_BEFORE, D_BEFORE, "abc", S3E_NOT_MODIFIED },
    { WRITE, "\"abc\"", "\"abc\"", D_BEFORE, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    /* empty headers count as absent */
    { READ, "", "", "", "", "abc", S3E_OK },
    { READ, " ", "\t", NULL, NULL, "abc", S3E_OK },
    /* x-amz-copy-source-if-*: If-Modified-Since evaluated, failures are 412 */
    { COPY, NULL, NULL, NULL, NULL, "abc", S3E_OK },
    { COPY, "\"abc\"", NULL, NULL, D_BEFORE, "abc", S3E_OK },
    { COPY, "\"xyz\"", NULL, NULL, NULL, "abc", S3E_PRECONDITION_FAILED },
    { COPY, NULL, NULL, NULL, D_BEFORE, "abc", S3E_PRECONDITION_FAILED },
    { COPY, NULL, "\"abc\"", D_BEFORE, NULL, "abc", S3E_PRECONDITION_FAILED },
    { COPY, NULL, "\"xyz\"", D_AFTER, NULL, "abc", S3E_OK },
    { COPY, NULL, NULL, D_AT, NULL, "abc", S3E_PRECONDITION_FAILED },
    { COPY, NULL, NULL, D_BEFORE, NULL, "abc", S3E_OK },
};

START_TEST(t_cond)
{
    struct s3_cond c = {
        .if_match = cond_cases[_i].im,
        .if_none_match = cond_cases[_i].inm,
        .if_modified_since = cond_cases[_i].ims,
        .if_unmodified_since = cond_cases[_i].ius,
    };
    enum s3_err got;
    if (cond_cases[_i].mode == COPY)
        got = s3_cond_eval_copy(&c, cond_cases[_i].etag, MTIME);
    else
        got = s3_cond_eval(&c, cond_cases[_i].etag, MTIME, cond_cases[_i].mode == READ);
    ck_assert_msg(got == cond_cases[_i].want, "case %d: got %d want %d", _i, (int)got,
                  (int)cond_cases[_i].want);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

START_TEST(t_err_all)
{
    for (int e = 0; e < S3E__COUNT; e++) {
        const struct s3_err_info *i = s3_err_info((enum s3_err)e);
        ck_assert_ptr_nonnull(i);
        ck_assert_msg(i->code && i->code[0], "enum %d has no code", e);
        ck_assert_msg(i->message && i->message[0], "enum %d has no message", e);
        ck_assert_msg(i->reason && i->reason[0], "enum %d has no reason", e);
        ck_assert_msg(i->status >= 200 && i->status < 600, "enum %d status %d", e, i->status);
        ck_assert_str_eq(i->reason, s3_http_reason(i->status));
        /* only S3E_INTERNAL may map onto InternalError: a missing entry would too */
        if (e != S3E_INTERNAL)
            ck_assert_msg(strcmp(i->code, "InternalError") != 0, "enum %d missing", e);
        if (e != S3E_OK && e != S3E_NOT_MODIFIED)
            ck_assert_int_ge(i->status, 400);
    }
}
END_TEST

static const struct {
    enum s3_err e;
    int status;
    const char *code;
    const char *message;        /* NULL: not checked */
} err_cases[] = {
    { S3E_OK, 200, "OK", NULL },
    { S3E_ACCESS_DENIED, 403, "AccessDenied", "Access Denied" },
    { S3E_AUTH_HEADER_MALFORMED, 400, "AuthorizationHeaderMalformed", NULL },
    { S3E_BAD_DIGEST, 400, "BadDigest",
      "The Content-MD5 you specified did not match what we received." },
    { S3E_BUCKET_ALREADY_EXISTS, 409, "BucketAlreadyExists", NULL },
    { S3E_BUCKET_ALREADY_OWNED, 409, "BucketAlreadyOwnedByYou", NULL },
    { S3E_BUCKET_NOT_EMPTY, 409, "BucketNotEmpty", NULL },
    { S3E_ENTITY_TOO_LARGE, 400, "EntityTooLarge", NULL },
    { S3E_ENTITY_TOO_SMALL, 400, "EntityTooSmall", NULL },
    { S3E_EXPIRED_REQUEST, 403, "AccessDenied", "Request has expired" },
    { S3E_INCOMPLETE_BODY, 400, "IncompleteBody", NULL },
    { S3E_INTERNAL, 500, "InternalError", NULL },
    { S3E_INVALID_ACCESS_KEY, 403, "InvalidAccessKeyId", NULL },
    { S3E_INVALID_ARGUMENT, 400, "InvalidArgument", NULL },
    { S3E_INVALID_BUCKET_NAME, 400, "InvalidBucketName", NULL },
    { S3E_INVALID_DIGEST, 400, "InvalidDigest", NULL },
    { S3E_INVALID_LOCATION_CONSTRAINT, 400, "InvalidLocationConstraint", NULL },
    { S3E_INVALID_PART, 400, "InvalidPart", NULL },
    { S3E_INVALID_PART_ORDER, 400, "InvalidPartOrder", NULL },
    { S3E_INVALID_PART_NUMBER, 416, "InvalidPartNumber", "The requested partnumber is not satisfiable" },
    { S3E_INVALID_RANGE, 416, "InvalidRange", "The requested range is not satisfiable" },
    { S3E_INVALID_REQUEST, 400, "InvalidRequest", NULL },
    { S3E_INVALID_URI, 400, "InvalidURI", NULL },
    { S3E_KEY_TOO_LONG, 400, "KeyTooLongError", NULL },
    { S3E_KEY_CONFLICT, 409, "ObjectNameConflict",
      "The object key conflicts with an existing object: a parent path is an object, "
      "or the key names a directory." },
    { S3E_KEY_UNMAPPABLE, 400, "InvalidArgument",
      "Object key cannot be stored: empty, '.' or '..' segments, a leading '/', NUL or "
      "reserved names are not supported." },
    { S3E_MALFORMED_XML, 400, "MalformedXML", NULL },
    { S3E_METHOD_NOT_ALLOWED, 405, "MethodNotAllowed", NULL },
    { S3E_MISSING_CONTENT_LENGTH, 411, "MissingContentLength", NULL },
    { S3E_MISSING_REQUEST_BODY, 400, "MissingRequestBodyError", NULL },
    { S3E_MISSING_SECURITY_HEADER, 400, "MissingSecurityHeader", NULL },
    { S3E_NOT_MODIFIED, 304, "NotModified", NULL },
    { S3E_NOT_IMPLEMENTED, 501, "NotImplemented", NULL },
    { S3E_NO_SPACE, 507, "InsufficientStorage", "The server's storage is full." },
    { S3E_NO_SUCH_BUCKET, 404, "NoSuchBucket", NULL },
    { S3E_NO_SUCH_KEY, 404, "NoSuchKey", NULL },
    { S3E_NO_SUCH_UPLOAD, 404, "NoSuchUpload", NULL },
    { S3E_NO_SUCH_BUCKET_POLICY, 404, "NoSuchBucketPolicy", NULL },
    { S3E_NO_SUCH_CORS, 404, "NoSuchCORSConfiguration", NULL },
    { S3E_NO_SUCH_LIFECYCLE, 404, "NoSuchLifecycleConfiguration", NULL },
    { S3E_NO_SUCH_TAG_SET, 404, "NoSuchTagSet", NULL },
    { S3E_NO_SUCH_WEBSITE, 404, "NoSuchWebsiteConfiguration", NULL },
    { S3E_NO_SUCH_ENCRYPTION, 404, "ServerSideEncryptionConfigurationNotFoundError", NULL },
    { S3E_NO_SUCH_OBJECT_LOCK, 404, "ObjectLockConfigurationNotFoundError", NULL },
    { S3E_NO_SUCH_PUBLIC_ACCESS_BLOCK, 404, "NoSuchPublicAccessBlockConfiguration", NULL },
    { S3E_PRECONDITION_FAILED, 412, "PreconditionFailed", NULL },
    { S3E_CONDITIONAL_CONFLICT, 409, "ConditionalRequestConflict", NULL },
    { S3E_REQUEST_TIME_SKEWED, 403, "RequestTimeTooSkewed", NULL },
    { S3E_REQUEST_TIMEOUT, 400, "RequestTimeout", NULL },
    { S3E_SIGNATURE_MISMATCH, 403, "SignatureDoesNotMatch", NULL },
    { S3E_SHA256_MISMATCH, 400, "XAmzContentSHA256Mismatch", NULL },
    { S3E_INVALID_CHUNK_SIZE, 400, "InvalidChunkSizeError", NULL },
    { S3E_TOO_MANY_BUCKETS, 400, "TooManyBuckets", NULL },
    { S3E_HEADERS_TOO_LARGE, 400, "RequestHeaderSectionTooLarge", NULL },
    { S3E_SERVICE_UNAVAILABLE, 503, "ServiceUnavailable", NULL },
    { S3E_METADATA_TOO_LARGE, 400, "MetadataTooLarge", NULL },
    { S3E_MALFORMED_TRAILER, 400, "MalformedTrailerError", NULL },
};

START_TEST(t_err_table)
{
    const struct s3_err_info *i = s3_err_info(err_cases[_i].e);
    ck_assert_int_eq(i->status, err_cases[_i].status);
    ck_assert_str_eq(i->code, err_cases[_i].code);
    if (err_cases[_i].message)
        ck_assert_str_eq(i->message, err_cases[_i].message);
}
END_TEST

START_TEST(t_err_misc)
{
    /* every value is listed above */
    ck_assert_int_eq(sizeof(err_cases) / sizeof(err_cases[0]), S3E__COUNT);
    ck_assert_str_eq(s3_err_info(S3E__COUNT)->code, "InternalError");
    ck_assert_str_eq(s3_err_info((enum s3_err)-1)->code, "InternalError");
    ck_assert_str_eq(s3_err_info((enum s3_err)1000)->code, "InternalError");

    static const struct { int status; const char *reason; } r[] = {
        { 200, "OK" }, { 204, "No Content" }, { 206, "Partial Content" },
        { 304, "Not Modified" }, { 400, "Bad Request" }, { 403, "Forbidden" },
        { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
        { 411, "Length Required" }, { 412, "Precondition Failed" },
        { 416, "Requested Range Not Satisfiable" }, { 500, "Internal Server Error" },
        { 501, "Not Implemented" }, { 503, "Service Unavailable" },
        { 507, "Insufficient Storage" }, { 299, "Success" }, { 499, "Client Error" },
        { 599, "Server Error" },
    };
    for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++)
        ck_assert_str_eq(s3_http_reason(r[k].status), r[k].reason);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("range");
    TCase *t = tcase_create("range");
    tcase_add_loop_test(t, t_range, 0, sizeof(range_cases) / sizeof(range_cases[0]));
    tcase_add_test(t, t_range_len);
    suite_add_tcase(s, t);
    t = tcase_create("cond");
    tcase_add_loop_test(t, t_cond, 0, sizeof(cond_cases) / sizeof(cond_cases[0]));
    suite_add_tcase(s, t);
    t = tcase_create("errors");
    tcase_add_test(t, t_err_all);
    tcase_add_loop_test(t, t_err_table, 0, sizeof(err_cases) / sizeof(err_cases[0]));
    tcase_add_test(t, t_err_misc);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
