/* test_sigv2.c - sigv2.c and the Signature Version 2 paths of auth.c.
 *
 * Vectors (fixed clocks; AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY):
 *  - S3 user guide, "Signing and authenticating REST requests", "Authentication examples"
 *    (Object GET, Object PUT, List, Fetch, Delete, Upload, List all my buckets, Unicode
 *    keys) and "Query string request authentication alternative". The page has been
 *    re-edited over the years and some signatures no longer match the text next to them:
 *      * the older developer guide renamed the bucket johnsmith to awsexamplebucket1 but
 *        kept johnsmith's signatures (bWq2..., MyyxeRY..., htDY..., c2WLP..., ilyl83...),
 *        and the query example's NpgCjnDzrM+WFzoENXmpNDUsSn8= is still johnsmith's in
 *        both guides: those are tested with johnsmith, as originally published;
 *      * the Upload signature dKZcB+... was computed for awsexamplebucket1.net, not for
 *        the example.com now printed beside it;
 *      * the Delete example's StringToSign puts x-amz-date's value on the Date line and
 *        leaves it out of CanonicalizedAmzHeaders, against the page's own "Time stamp
 *        requirement" (and against every client): its HMAC is checked as printed, and
 *        the request itself is checked the way the text specifies.
 *  - Requests signed by the real clients, offline, with the clock fixed: botocore 1.43
 *    (HmacV1Auth and HmacV1QueryAuth, what aws CLI v1 uses; endpoint URL with a /s3 path)
 *    and s3cmd 2.3 (sign_request_v2 with a host_base of host/s3, sign_url_base_v2).
 *  - A few requests signed by an independent Python (hmac/hashlib) implementation.
 *
 * Standalone build (stand-ins for the request.c/config.c look-ups that auth.c and
 * sigv2.c use; in the full build the real ones are linked):
 *   gcc -std=c11 -D_GNU_SOURCE -DSIGV2_STANDALONE_TEST -Ilib lib/sigv2.c lib/auth.c \
 *       lib/sigv4.c lib/uri.c lib/util.c lib/buf.c lib/arena.c lib/errors.c \
 *       tests/unit/test_sigv2.c $(pkg-config --cflags --libs check libcrypto)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "request.h"
#include "sigv2.h"
#include "uri.h"
#include "util.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

#define T_GET ((time_t)1175024202)      /* Tue, 27 Mar 2007 19:36:42 +0000 */
#define T_LIST ((time_t)1175024561)     /* 19:42:41 */
#define T_ACL ((time_t)1175024686)      /* 19:44:46 */
#define T_PUT ((time_t)1175030145)      /* 21:15:45 */
#define T_DEL ((time_t)1175030426)      /* 21:20:26 */
#define T_SVC ((time_t)1175045399)      /* Wed, 28 Mar 2007 01:29:59 +0000 */
#define T_UNI ((time_t)1175046589)      /* 01:49:49 */
#define T_EXP ((time_t)1175139620)      /* Expires of the query examples */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifdef SIGV2_STANDALONE_TEST
/* Stand-ins with the contracts of request.h and config.h. */
const char *s3_req_header(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *s3_req_query(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

const struct s3_credential *s3_config_find_key(const struct s3_config *cfg,
                                               const char *ak, size_t ak_len)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        if (strlen(cfg->creds[i].access_key) == ak_len &&
            memcmp(cfg->creds[i].access_key, ak, ak_len) == 0)
            return &cfg->creds[i];
    return NULL;
}
#endif

/* ================================================================== helpers */

/* One parsed header line; value is raw (untrimmed, folded lines kept with '\n'). */
struct tline {
    char name[64];
    char value[512];
};

/* Parses "Name:value\n..." (a line starting with SP/HT continues the one above).
 * Returns the count; names are lowercased (as request.c rebuilds them). */
static size_t parse_lines(const char *text, struct tline *out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if ((*p == ' ' || *p == '\t') && n > 0) {
            size_t vl = strlen(out[n - 1].value);
            snprintf(out[n - 1].value + vl, sizeof out[0].value - vl, "\n%.*s", (int)len, p);
        } else if (len > 0) {
            const char *colon = memchr(p, ':', len);
            ck_assert_msg(colon && n < max, "bad header line");
            size_t nl = (size_t)(colon - p);
            ck_assert_uint_lt(nl, sizeof out[0].name);
            for (size_t i = 0; i < nl; i++)
                out[n].name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
            out[n].name[nl] = '\0';
            snprintf(out[n].value, sizeof out[0].value, "%.*s", (int)(len - nl - 1), colon + 1);
            n++;
        }
        p = eol ? eol + 1 : NULL;
    }
    return n;
}

/* Like parse_lines but keeps the names' case (for the pure functions). */
static size_t parse_lines_raw(const char *text, struct tline *out, size_t max)
{
    size_t n = parse_lines(text, out, max);
    const char *p = text;
    for (size_t i = 0; i < n && p; ) {
        if (*p != ' ' && *p != '\t' && *p != '\n') {
            memcpy(out[i].name, p, strlen(out[i].name));
            i++;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return n;
}

static void to_sigv2_headers(const struct tline *l, size_t n, struct sigv2_header *h)
{
    for (size_t i = 0; i < n; i++) {
        h[i].name = l[i].name;
        h[i].name_len = strlen(l[i].name);
        h[i].value = l[i].value;
        h[i].value_len = strlen(l[i].value);
    }
}

/* A request with config and arena, the way request.c would hand it to auth. */
struct fx {
    struct arena arena;
    struct s3_config cfg;
    struct s3_credential creds[2];
    struct s3_request req;
};

enum tweak {
    TW_PREFIX = 1,          /* mounted under /s3 */
    TW_DOMAINS = 2,         /* virtual-hosted domains configured */
    TW_WRONG_SECRET = 4,
    TW_SIGV2_OFF = 8,
};

static void fx_init(struct fx *f, time_t now, int tweaks)
{
    memset(f, 0, sizeof *f);
    arena_init(&f->arena, 1 << 20);
    f->creds[0].access_key = (char *)AK;
    f->creds[0].secret_key = tweaks & TW_WRONG_SECRET ?
        (char *)"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ" : (char *)SK;
    f->creds[0].display_name = (char *)"example";
    f->creds[1].access_key = (char *)"AKIDOTHER";
    f->creds[1].secret_key = (char *)"other-secret";
    f->cfg.creds = f->creds;
    f->cfg.ncreds = 2;
    f->cfg.region = (char *)"us-east-1";
    f->cfg.prefix = (char *)(tweaks & TW_PREFIX ? "/s3" : "");
    f->cfg.prefix_len = strlen(f->cfg.prefix);
    f->cfg.max_skew = 900;
    f->cfg.sigv2 = !(tweaks & TW_SIGV2_OFF);
    if (tweaks & TW_DOMAINS) {
        f->cfg.domains[0] = (char *)"s3.us-west-1.amazonaws.com";
        f->cfg.domains[1] = (char *)"s3.amazonaws.com";
        f->cfg.domains[2] = (char *)"localhost";
        f->cfg.ndomains = 3;
    }
    f->req.arena = &f->arena;
    f->req.cfg = &f->cfg;
    f->req.now = now;
    f->req.content_length = -1;
    f->req.decoded_length = -1;
}

static void fx_free(struct fx *f)
{
    arena_free(&f->arena);
}

static enum s3_method method_of(const char *m)
{
    static const struct { const char *s; enum s3_method m; } t[] = {
        { "GET", M_GET }, { "HEAD", M_HEAD }, { "PUT", M_PUT }, { "POST", M_POST },
        { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
    };
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        if (strcmp(t[i].s, m) == 0)
            return t[i].m;
    return M_OTHER;
}

/* Form decoding as request.c does it: '+' is a space, then %XX. */
static char *form_decode_dup(struct arena *a, const char *s, size_t len)
{
    char *tmp = arena_strndup(a, s, len), *out = arena_alloc(a, len + 1);
    ck_assert_ptr_nonnull(tmp);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < len; i++)
        if (tmp[i] == '+')
            tmp[i] = ' ';
    ck_assert_int_ge(uri_decode(tmp, len, out), 0);
    return out;
}

static void fx_query(struct fx *f)
{
    struct s3_request *r = &f->req;
    size_t max = 1;
    for (size_t i = 0; i < r->raw_query_len; i++)
        max += r->raw_query[i] == '&';
    r->query = arena_zalloc(&f->arena, max * sizeof *r->query);
    r->nquery = 0;
    const char *p = r->raw_query, *end = p + r->raw_query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if (e > p) {
            const char *eq = memchr(p, '=', (size_t)(e - p));
            struct s3_qparam *q = &r->query[r->nquery++];
            q->name = form_decode_dup(&f->arena, p, (size_t)((eq ? eq : e) - p));
            q->has_value = eq != NULL;
            q->value = eq ? form_decode_dup(&f->arena, eq + 1, (size_t)(e - eq - 1))
                          : arena_strdup(&f->arena, "");
        }
        p = amp ? amp + 1 : end;
    }
}

/* Fills method, URI, query and headers; host without port, lowercased (request.c). */
static void fx_request(struct fx *f, const char *method, const char *uri, const char *headers)
{
    struct tline lines[32];
    struct s3_request *r = &f->req;
    size_t n = parse_lines(headers, lines, ARRAY_LEN(lines));
    const char *q = strchr(uri, '?');

    r->method = method_of(method);
    r->method_str = arena_strdup(&f->arena, method);
    r->raw_uri = arena_strdup(&f->arena, uri);
    r->raw_path_len = q ? (size_t)(q - uri) : strlen(uri);
    r->raw_path = arena_strndup(&f->arena, uri, r->raw_path_len);
    r->raw_query = arena_strdup(&f->arena, q ? q + 1 : "");
    r->raw_query_len = strlen(r->raw_query);
    fx_query(f);
    r->headers = arena_zalloc(&f->arena, (n ? n : 1) * sizeof *r->headers);
    r->nheaders = n;
    for (size_t i = 0; i < n; i++) {
        r->headers[i].name = arena_strdup(&f->arena, lines[i].name);
        r->headers[i].value = arena_strdup(&f->arena, lines[i].value);
        if (strcmp(lines[i].name, "content-length") == 0)
            r->content_length = atoll(lines[i].value);
        if (strcmp(lines[i].name, "host") == 0) {
            const char *v = lines[i].value + strspn(lines[i].value, " ");
            r->host = arena_strndup(&f->arena, v, strcspn(v, ":"));
        }
    }
}

/* ============================================================ pure pieces */

START_TEST(test_hmac_sha1)
{
    /* RFC 2202 test cases 2 and 6 (key longer than the block) */
    unsigned char md[20], key[80];
    char hex[41];
    sigv2_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, md);
    hex_encode(md, 20, hex);
    ck_assert_str_eq(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    memset(key, 0xaa, sizeof key);
    sigv2_hmac_sha1((const char *)key, sizeof key,
                    "Test Using Larger Than Block-Size Key - Hash Key First", 54, md);
    hex_encode(md, 20, hex);
    ck_assert_str_eq(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}
END_TEST

START_TEST(test_subresources)
{
    static const char *const yes[] = {
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
        "partNumber", "policy", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
        "restore", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website", "accelerate", "analytics", "inventory", "metrics",
        "object-lock", "replication", "select", "select-type", "storageClass",
        "defaultObjectAcl",
    };
    static const char *const no[] = {
        "", "ACL", "Acl", "uploadid", "prefix", "max-keys", "marker", "delimiter",
        "encoding-type", "list-type", "continuation-token", "AWSAccessKeyId", "Signature",
        "Expires", "x-id", "acl ", "versionIdx", "response-content", "legal-hold",
        "retention", "encryption",
    };
    for (size_t i = 0; i < ARRAY_LEN(yes); i++)
        ck_assert_msg(sigv2_is_subresource(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < ARRAY_LEN(no); i++)
        ck_assert_msg(!sigv2_is_subresource(no[i], strlen(no[i])), "%s", no[i]);
}
END_TEST

static const struct {
    const char *headers, *want;
} amz_cases[] = {
    { "", "" },
    { "Content-Type: text/plain\nDate: x\nHost: h\n", "" },
    { "X-Amz-Meta-B: 2\nx-amz-meta-a:1\n", "x-amz-meta-a:1\nx-amz-meta-b:2\n" },
    /* repeated names: one line, values in arrival order, no space after ',' */
    { "x-amz-meta-d: one \nX-AMZ-META-D:two\nx-amz-acl:private\n",
      "x-amz-acl:private\nx-amz-meta-d:one,two\n" },
    /* inner white space kept (botocore strips the ends only) */
    { "x-amz-meta-s: a  b\t c \n", "x-amz-meta-s:a  b\t c\n" },
    /* a folded value is unfolded to one space */
    { "x-amz-meta-f: first \n   second\n", "x-amz-meta-f:first second\n" },
    { "x-amz-meta-f:a\n\tb\n c\n", "x-amz-meta-f:a b c\n" },
    /* order is by name: '-' sorts before letters, a prefix before its extensions */
    { "x-amz-meta-ab:3\nx-amz-meta-a-b:2\nx-amz-meta-a:1\nx-amz-date:0\n",
      "x-amz-date:0\nx-amz-meta-a:1\nx-amz-meta-a-b:2\nx-amz-meta-ab:3\n" },
    { "x-amz-meta-e:\nx-amz-meta-e2:   \n", "x-amz-meta-e:\nx-amz-meta-e2:\n" },
    { "x-amzfoo:1\nxx-amz-a:2\nx-amz-:3\n", "" },
    { "X-Amz-Meta-ReviewedBy: joe@johnsmith.net\nX-Amz-Meta-ReviewedBy: jane@johnsmith.net\n",
      "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n" },
};

START_TEST(test_amz_headers)
{
    struct tline lines[16];
    struct sigv2_header hs[16];
    struct buf b;
    size_t n = parse_lines_raw(amz_cases[_i].headers, lines, ARRAY_LEN(lines));
    to_sigv2_headers(lines, n, hs);
    buf_init(&b, 4096);
    ck_assert_int_eq(sigv2_canonical_amz_headers(&b, hs, n), 0);
    ck_assert_str_eq(buf_str(&b), amz_cases[_i].want);
    buf_free(&b);
}
END_TEST

static const struct {
    const char *bucket, *path, *query, *want;   /* want NULL: must fail */
} res_cases[] = {
    { NULL, "", "", "/" },
    { NULL, "/", "", "/" },
    { "b", "/", "", "/b/" },
    { "b", "", "", "/b/" },
    { NULL, "/b/fran%C3%A7ais/pr%c3%a9f+x", "", "/b/fran%C3%A7ais/pr%c3%a9f+x" },
    { NULL, "/b/k", "prefix=a&max-keys=2&delimiter=%2F&marker=x", "/b/k" },
    { NULL, "/b/k", "versionId=1&acl", "/b/k?acl&versionId=1" },
    { NULL, "/b/k", "uploadId=a%2Bb&partNumber=2", "/b/k?partNumber=2&uploadId=a+b" },
    { NULL, "/b/k", "uploadId=a+b", "/b/k?uploadId=a+b" },           /* '+' as sent */
    { NULL, "/b/k", "uploads&uploadId=x", "/b/k?uploadId=x&uploads" },
    { NULL, "/b/", "versions&versioning&versionId=3", "/b/?versionId=3&versioning&versions" },
    { NULL, "/b/k", "acl=", "/b/k?acl=" },
    { NULL, "/b/k", "&&acl&", "/b/k?acl" },
    { NULL, "/b/k", "tagging=b&tagging=a", "/b/k?tagging=b&tagging=a" },   /* stable */
    { NULL, "/b/k",
      "response-content-disposition=attachment%3B%20filename%3D%22a%2Bb.txt%22&x=1"
      "&response-content-type=text%2Fplain",
      "/b/k?response-content-disposition=attachment; filename=\"a+b.txt\""
      "&response-content-type=text/plain" },
    { NULL, "/b/k", "AWSAccessKeyId=AK&Expires=1&Signature=x%3D&versionId=null",
      "/b/k?versionId=null" },
    { NULL, "/b", "delete", "/b?delete" },
    { NULL, "/b/k", "versionId=%G1", NULL },
    { NULL, "/b/k", "versionId=%4", NULL },
    { NULL, "/b/k", "prefix=%G1&acl", "/b/k?acl" },     /* only kept values are decoded */
};

START_TEST(test_canonical_resource)
{
    struct buf b;
    struct sigv2_request r;
    memset(&r, 0, sizeof r);
    r.bucket = res_cases[_i].bucket;
    r.bucket_len = r.bucket ? strlen(r.bucket) : 0;
    r.path = res_cases[_i].path;
    r.path_len = strlen(r.path);
    r.raw_query = res_cases[_i].query;
    r.raw_query_len = strlen(r.raw_query);
    buf_init(&b, 4096);
    int rc = sigv2_canonical_resource(&b, &r);
    if (res_cases[_i].want) {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(buf_str(&b), res_cases[_i].want);
    } else {
        ck_assert_int_eq(rc, -1);
    }
    buf_free(&b);
}
END_TEST

START_TEST(test_resource_cap)
{
    struct buf b;
    struct sigv2_request r;
    memset(&r, 0, sizeof r);
    r.path = "/bucket/key";
    r.path_len = 11;
    buf_init(&b, 8);
    ck_assert_int_eq(sigv2_canonical_resource(&b, &r), -1);
    ck_assert_int_eq(b.failed, 1);
    buf_free(&b);
}
END_TEST

static const struct {
    const char *in, *ak, *sig;      /* ak NULL: malformed */
} authz_cases[] = {
    { AK ":frJIUN8DYpKDtOLCwo//yllqDzg=", AK, "frJIUN8DYpKDtOLCwo//yllqDzg=" },
    { "  " AK ":abc= \t", AK, "abc=" },
    { "AK:a:b", "AK", "a:b" },
    { "", NULL, NULL },
    { "   ", NULL, NULL },
    { AK, NULL, NULL },
    { ":sig", NULL, NULL },
    { AK ":", NULL, NULL },
    { "AK ID:sig", NULL, NULL },
    { "AK:si g", NULL, NULL },
    { "AK :sig", NULL, NULL },
};

START_TEST(test_parse_authorization)
{
    const char *in = authz_cases[_i].in, *ak = NULL, *sig = NULL;
    size_t len = strlen(in), ak_len = 0, sig_len = 0;
    char *copy = malloc(len ? len : 1);     /* exact size: ASan sees any overread */
    memcpy(copy, in, len);
    int rc = sigv2_parse_authorization(copy, len, &ak, &ak_len, &sig, &sig_len);
    if (!authz_cases[_i].ak) {
        ck_assert_msg(rc == -1, "%s", in);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(ak_len, strlen(authz_cases[_i].ak));
        ck_assert_mem_eq(ak, authz_cases[_i].ak, ak_len);
        ck_assert_uint_eq(sig_len, strlen(authz_cases[_i].sig));
        ck_assert_mem_eq(sig, authz_cases[_i].sig, sig_len);
    }
    free(copy);
}
END_TEST

static const struct {
    const char *in;
    long long want;     /* -1: invalid */
} date_cases[] = {
    { "Tue, 27 Mar 2007 19:36:42 +0000", 1175024202 },
    { "Tue, 27 Mar 2007 19:36:42 GMT", 1175024202 },
    { "  Tue, 27 Mar 2007 19:36:42 GMT \t", 1175024202 },
    { "Tue, 27 Mar 2007 19:36:42 UTC", 1175024202 },
    { "Tue, 27 Mar 2007 20:36:42 +0100", 1175024202 },
    { "Tue, 27 Mar 2007 17:06:42 -0230", 1175024202 },
    { "Tuesday, 27-Mar-07 19:36:42 GMT", 1175024202 },
    { "Tue Mar 27 19:36:42 2007", 1175024202 },
    { "20070327T193642Z", 1175024202 },
    { "", -1 },
    { "yesterday", -1 },
    { "Tue, 27 Mar 2007 19:36:42", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +000", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +00000", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +2400", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +0060", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +00a0", -1 },
    { "Tue, 27 Mar 2007 19:36:42 EST", -1 },
    { "Tue, 27 Mar 2007 19:36:42 +0000 +0000", -1 },
    { "+0000", -1 },
    { " +0000", -1 },
    { "Tue, 32 Mar 2007 19:36:42 +0000", -1 },
};

START_TEST(test_parse_date)
{
    const char *in = date_cases[_i].in;
    size_t len = strlen(in);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, in, len);
    time_t t = 0;
    int rc = sigv2_parse_date(copy, len, &t);
    if (date_cases[_i].want < 0) {
        ck_assert_msg(rc == -1, "%s", in);
    } else {
        ck_assert_msg(rc == 0, "%s", in);
        ck_assert_int_eq((long long)t, date_cases[_i].want);
    }
    free(copy);
}
END_TEST

/* ================================================ published examples: pure */

struct example {
    const char *name;
    const char *method, *uri;       /* path?query as sent */
    const char *bucket;             /* virtual-hosted bucket, or NULL */
    const char *date_line;          /* what the Date line must carry */
    const char *headers;
    const char *sts, *sig;
};

#define GUIDE_UPLOAD_HDRS(d) \
    "User-Agent: curl/7.15.5\nHost: static." d ":8080\nDate: Tue, 27 Mar 2007 21:06:08 +0000\n" \
    "x-amz-acl: public-read\ncontent-type: application/x-download\n" \
    "Content-MD5: 4gJE4saaMU4BqNR0kLY+lw==\nX-Amz-Meta-ReviewedBy: joe@" d "\n" \
    "X-Amz-Meta-ReviewedBy: jane@" d "\nX-Amz-Meta-FileChecksum: 0x02661779\n" \
    "X-Amz-Meta-ChecksumAlgorithm: crc32\nContent-Disposition: attachment; filename=database.dat\n" \
    "Content-Encoding: gzip\nContent-Length: 5913339\n"
#define GUIDE_UPLOAD_STS(d) \
    "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" \
    "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n" \
    "x-amz-meta-filechecksum:0x02661779\nx-amz-meta-reviewedby:joe@" d ",jane@" d "\n" \
    "/static." d "/db-backup.dat.gz"

static const struct example examples[] = {
    /* S3 user guide, current text */
    { "Object GET", "GET", "/photos/puppy.jpg", "awsexamplebucket1",
      "Tue, 27 Mar 2007 19:36:42 +0000",
      "Host: awsexamplebucket1.us-west-1.s3.amazonaws.com\nDate: Tue, 27 Mar 2007 19:36:42 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
      "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=" },
    { "Object PUT", "PUT", "/photos/puppy.jpg", "awsexamplebucket1",
      "Tue, 27 Mar 2007 21:15:45 +0000",
      "Content-Type: image/jpeg\nContent-Length: 94328\n"
      "Host: awsexamplebucket1.s3.us-west-1.amazonaws.com\nDate: Tue, 27 Mar 2007 21:15:45 +0000\n",
      "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg",
      "iqRzw+ileNPu1fhspnRs8nOjjIA=" },
    { "List", "GET", "/?prefix=photos&max-keys=50&marker=puppy", "awsexamplebucket1",
      "Tue, 27 Mar 2007 19:42:41 +0000",
      "User-Agent: Mozilla/5.0\nHost: awsexamplebucket1.s3.us-west-1.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 19:42:41 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/",
      "m0WP8eCtspQl5Ahe6L1SozdX9YA=" },
    { "Fetch", "GET", "/?acl", "awsexamplebucket1", "Tue, 27 Mar 2007 19:44:46 +0000",
      "Host: awsexamplebucket1.s3.us-west-1.amazonaws.com\nDate: Tue, 27 Mar 2007 19:44:46 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl",
      "82ZHiFIjc+WbcwFKGUVEQspPn+0=" },
    { "Upload (signature of the awsexamplebucket1.net rendition)", "PUT", "/db-backup.dat.gz",
      "static.awsexamplebucket1.net", "Tue, 27 Mar 2007 21:06:08 +0000",
      GUIDE_UPLOAD_HDRS("awsexamplebucket1.net"), GUIDE_UPLOAD_STS("awsexamplebucket1.net"),
      "dKZcB+bz2EPXgSdXZp9ozGeOM4I=" },
    { "List all my buckets", "GET", "/", NULL, "Wed, 28 Mar 2007 01:29:59 +0000",
      "Host: s3.us-west-1.amazonaws.com\nDate: Wed, 28 Mar 2007 01:29:59 +0000\n",
      "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/", "qGdzdERIC03wnaRNKh6OqZehG9s=" },
    { "Unicode keys", "GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", NULL,
      "Wed, 28 Mar 2007 01:49:49 +0000",
      "Host: s3.us-west-1.amazonaws.com\nDate: Wed, 28 Mar 2007 01:49:49 +0000\n",
      "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
      "DNEZGsoieTZ92F3bUfSPQcbGmlM=" },
    /* the same examples as first published, bucket johnsmith */
    { "Object GET (johnsmith)", "GET", "/photos/puppy.jpg", "johnsmith",
      "Tue, 27 Mar 2007 19:36:42 +0000",
      "Host: johnsmith.s3.amazonaws.com\nDate: Tue, 27 Mar 2007 19:36:42 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
      "bWq2s1WEIj+Ydj0vQ697zp+IXMU=" },
    { "Object PUT (johnsmith)", "PUT", "/photos/puppy.jpg", "johnsmith",
      "Tue, 27 Mar 2007 21:15:45 +0000",
      "Content-Type: image/jpeg\nContent-Length: 94328\nHost: johnsmith.s3.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 21:15:45 +0000\n",
      "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
      "MyyxeRY7whkBe+bq8fHCL/2kKUg=" },
    { "List (johnsmith)", "GET", "/?prefix=photos&max-keys=50&marker=puppy", "johnsmith",
      "Tue, 27 Mar 2007 19:42:41 +0000",
      "User-Agent: Mozilla/5.0\nHost: johnsmith.s3.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 19:42:41 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/", "htDYFYduRNen8P9ZfE/s9SuKy0U=" },
    { "Fetch (johnsmith)", "GET", "/?acl", "johnsmith", "Tue, 27 Mar 2007 19:44:46 +0000",
      "Host: johnsmith.s3.amazonaws.com\nDate: Tue, 27 Mar 2007 19:44:46 +0000\n",
      "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl", "c2WLPFtWHVgbEmeEG93a4cG37dM=" },
    { "Upload (johnsmith)", "PUT", "/db-backup.dat.gz", "static.johnsmith.net",
      "Tue, 27 Mar 2007 21:06:08 +0000", GUIDE_UPLOAD_HDRS("johnsmith.net"),
      GUIDE_UPLOAD_STS("johnsmith.net"), "ilyl83RwaSoYIEdixDQcA4OnAnc=" },
    /* query string authentication: the Date line carries Expires */
    { "Query string request authentication", "GET",
      "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
      "&Expires=1175139620", "johnsmith", "1175139620", "Host: johnsmith.s3.amazonaws.com\n",
      "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8=" },
    /* Delete as the text specifies (x-amz-date given: empty Date line); python-signed */
    { "Delete, x-amz-date as specified", "DELETE", "/awsexamplebucket1/photos/puppy.jpg", NULL,
      "", "User-Agent: dotnet\nHost: s3.us-west-1.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 21:20:27 +0000\nx-amz-date: Tue, 27 Mar 2007 21:20:26 +0000\n",
      "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
      "/awsexamplebucket1/photos/puppy.jpg", "Ri1hpB1zpS9pGqR7y8kuNFCl4sE=" },
};

static const char *line_value(const struct tline *l, size_t n, const char *name, size_t *len)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(l[i].name, name) == 0) {
            const char *v = l[i].value;
            while (*v == ' ')
                v++;
            *len = strlen(v);
            while (*len && v[*len - 1] == ' ')
                (*len)--;
            return v;
        }
    *len = 0;
    return "";
}

START_TEST(test_example_pure)
{
    const struct example *e = &examples[_i];
    struct tline lines[20];
    struct sigv2_header hs[20];
    struct sigv2_request r;
    struct buf b;
    char sig[SIGV2_SIG_LEN + 1];
    size_t n = parse_lines_raw(e->headers, lines, ARRAY_LEN(lines));
    const char *q = strchr(e->uri, '?');

    to_sigv2_headers(lines, n, hs);
    memset(&r, 0, sizeof r);
    r.method = e->method;
    r.method_len = strlen(e->method);
    r.content_md5 = line_value(lines, n, "content-md5", &r.content_md5_len);
    r.content_type = line_value(lines, n, "content-type", &r.content_type_len);
    r.date = e->date_line;
    r.date_len = strlen(e->date_line);
    r.headers = hs;
    r.nheaders = n;
    r.bucket = e->bucket;
    r.bucket_len = e->bucket ? strlen(e->bucket) : 0;
    r.path = e->uri;
    r.path_len = q ? (size_t)(q - e->uri) : strlen(e->uri);
    r.raw_query = q ? q + 1 : "";
    r.raw_query_len = strlen(r.raw_query);

    buf_init(&b, SIGV2_MAX_STS);
    ck_assert_int_eq(sigv2_string_to_sign(&b, &r), 0);
    ck_assert_msg(strcmp(buf_str(&b), e->sts) == 0, "%s:\n%s", e->name, buf_str(&b));
    buf_free(&b);
    ck_assert_int_eq(sigv2_signature(&r, SK, strlen(SK), sig), 0);
    ck_assert_msg(strcmp(sig, e->sig) == 0, "%s: %s", e->name, sig);
}
END_TEST

/* The guide's Delete example as printed (see the file comment). */
START_TEST(test_guide_delete_as_printed)
{
    static const char sts[] = "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n"
                              "/awsexamplebucket1/photos/puppy.jpg";
    static const char sts_js[] = "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n"
                                 "/johnsmith/photos/puppy.jpg";
    unsigned char md[20];
    char b64[29];
    sigv2_hmac_sha1(SK, strlen(SK), sts, sizeof sts - 1, md);
    base64_encode(md, 20, b64);
    ck_assert_str_eq(b64, "XbyTlbQdu9Xw5o8P4iMwPktxQd8=");
    sigv2_hmac_sha1(SK, strlen(SK), sts_js, sizeof sts_js - 1, md);
    base64_encode(md, 20, b64);
    ck_assert_str_eq(b64, "lx3byBScXR6KzyMaifNkardMwNk=");
}
END_TEST

/* ================================================= s3_auth_check end to end */

struct auth_case {
    const char *name;
    time_t now;
    int tweaks;
    const char *method, *uri, *headers;
    enum s3_err want;
    const char *msg;        /* expected message, or NULL for "don't care" */
};

#define AUTHZ(sig) "Authorization: AWS " AK ":" sig "\n"
#define DATE_GET "Date: Tue, 27 Mar 2007 19:36:42 +0000\n"
#define GET_PATH "/awsexamplebucket1/photos/puppy.jpg"
#define GET_HDRS "Host: s3.us-west-1.amazonaws.com\n" DATE_GET
#define GET_OK GET_HDRS AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=")
#define VHOST "Host: awsexamplebucket1.s3.us-west-1.amazonaws.com\n"
#define MSG_NO_DATE "AWS authentication requires a valid Date or x-amz-date header"
#define MSG_BAD_HDR "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"
#define MSG_QPARAMS "Query-string authentication requires the Signature, Expires and " \
    "AWSAccessKeyId parameters"
/* the query example, signed over /johnsmith/photos/puppy.jpg */
#define QSIG "NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
#define QEX(path, sig) path "?AWSAccessKeyId=" AK "&Signature=" sig "&Expires=1175139620"
#define JS_HOST "Host: johnsmith.s3.amazonaws.com\n"
/* s3cmd 2.3, host_base localhost:8080/s3: sends /s3/..., signs below the prefix */
#define S3CMD_DATE "x-amz-date: Tue, 27 Mar 2007 19:36:42 +0000\n"
#define S3CMD_PUT_HDRS "Host: localhost:8080\n" S3CMD_DATE "Content-Type: text/plain\n" \
    "x-amz-meta-s3cmd-attrs: uid:0/gid:0\nContent-Length: 5\n"
#define S3CMD_PUT_SIG AUTHZ("wNb+rywRXgHTXKAWJo2dWUpKxbs=")
/* botocore 1.43 HmacV1Auth, endpoint http://localhost:8080/s3: signs the full path */
#define BOTO_PUT_URI "/s3/bucket/dir/%C3%A9t%C3%A9.txt?partNumber=3&uploadId=VXBsb2Fk%2BSUQ"
#define BOTO_PUT_HDRS "Host: localhost:8080\nContent-Type: application/octet-stream\n" \
    "Content-MD5: 1B2M2Y8AsgTpgAZPLfM2aQ==\nx-amz-meta-color:  blue \n" \
    "x-amz-checksum-crc32: AAAAAA==\nDate: Tue, 27 Mar 2007 19:36:42 GMT\n" \
    AUTHZ("UMXODROXdKWMG4BzLKhZCxU2kDk=")
/* botocore 1.43 HmacV1QueryAuth (aws CLI v1 presign), expires 3600 from 1175136020 */
#define BOTO_GET_URI "/s3/bucket/photos/a%2Bb%20c.jpg?response-content-type=text%2Fplain" \
    "%3B%20charset%3Dutf-8&versionId=null&AWSAccessKeyId=" AK \
    "&Signature=nOerx%2BVPq3XXbuBnKCys8KVj4sI%3D&Expires=1175139620"
#define BOTO_PUTQ_URI "/s3/bucket/up.txt?AWSAccessKeyId=" AK \
    "&Signature=jtPhcQ70tPCfrpa3bsSh9Frsg0M%3D&content-type=text%2Fplain" \
    "&x-amz-security-token=TOK&Expires=1175139620"

static const struct auth_case auth_cases[] = {
    /* ---- header form, the guide's examples ---- */
    { "guide GET, path-style", T_GET, 0, "GET", GET_PATH, GET_OK, S3E_OK, NULL },
    { "guide GET, virtual-hosted", T_GET, TW_DOMAINS, "GET", "/photos/puppy.jpg",
      VHOST DATE_GET AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g="), S3E_OK, NULL },
    { "guide GET, virtual-hosted without the domain configured", T_GET, 0, "GET",
      "/photos/puppy.jpg", VHOST DATE_GET AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
      S3E_SIGNATURE_MISMATCH, NULL },
    { "guide PUT", T_PUT, TW_DOMAINS, "PUT", "/photos/puppy.jpg",
      "Content-Type: image/jpeg\nContent-Length: 94328\n" VHOST
      "Date: Tue, 27 Mar 2007 21:15:45 +0000\n" AUTHZ("iqRzw+ileNPu1fhspnRs8nOjjIA="),
      S3E_OK, NULL },
    { "guide List", T_LIST, TW_DOMAINS, "GET", "/?prefix=photos&max-keys=50&marker=puppy",
      "User-Agent: Mozilla/5.0\n" VHOST "Date: Tue, 27 Mar 2007 19:42:41 +0000\n"
      AUTHZ("m0WP8eCtspQl5Ahe6L1SozdX9YA="), S3E_OK, NULL },
    { "guide Fetch", T_ACL, TW_DOMAINS, "GET", "/?acl",
      VHOST "Date: Tue, 27 Mar 2007 19:44:46 +0000\n" AUTHZ("82ZHiFIjc+WbcwFKGUVEQspPn+0="),
      S3E_OK, NULL },
    { "guide List all my buckets", T_SVC, TW_DOMAINS, "GET", "/",
      "Host: s3.us-west-1.amazonaws.com\nDate: Wed, 28 Mar 2007 01:29:59 +0000\n"
      AUTHZ("qGdzdERIC03wnaRNKh6OqZehG9s="), S3E_OK, NULL },
    { "guide Unicode keys", T_UNI, 0, "GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
      "Host: s3.us-west-1.amazonaws.com\nDate: Wed, 28 Mar 2007 01:49:49 +0000\n"
      AUTHZ("DNEZGsoieTZ92F3bUfSPQcbGmlM="), S3E_OK, NULL },
    { "guide Delete, x-amz-date as specified (python-signed)", T_DEL, 0, "DELETE", GET_PATH,
      "User-Agent: dotnet\nHost: s3.us-west-1.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 21:20:27 +0000\nx-amz-date: Tue, 27 Mar 2007 21:20:26 +0000\n"
      AUTHZ("Ri1hpB1zpS9pGqR7y8kuNFCl4sE="), S3E_OK, NULL },
    { "guide Delete, signature as printed", T_DEL, 0, "DELETE", GET_PATH,
      "User-Agent: dotnet\nHost: s3.us-west-1.amazonaws.com\n"
      "Date: Tue, 27 Mar 2007 21:20:27 +0000\nx-amz-date: Tue, 27 Mar 2007 21:20:26 +0000\n"
      AUTHZ("XbyTlbQdu9Xw5o8P4iMwPktxQd8="), S3E_SIGNATURE_MISMATCH, NULL },
    /* ---- header form, faults ---- */
    { "wrong secret", T_GET, TW_WRONG_SECRET, "GET", GET_PATH, GET_OK,
      S3E_SIGNATURE_MISMATCH, NULL },
    { "unknown key", T_GET, 0, "GET", GET_PATH,
      GET_HDRS "Authorization: AWS AKIDUNKNOWN:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=\n",
      S3E_INVALID_ACCESS_KEY, NULL },
    { "other key's signature", T_GET, 0, "GET", GET_PATH,
      GET_HDRS "Authorization: AWS AKIDOTHER:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=\n",
      S3E_SIGNATURE_MISMATCH, NULL },
    { "tampered path", T_GET, 0, "GET", "/awsexamplebucket1/photos/puppy.jpeg", GET_OK,
      S3E_SIGNATURE_MISMATCH, NULL },
    { "tampered path encoding", T_GET, 0, "GET", "/awsexamplebucket1/photos/puppy%2Ejpg", GET_OK,
      S3E_SIGNATURE_MISMATCH, NULL },
    { "sub-resource added", T_GET, 0, "GET", GET_PATH "?acl", GET_OK,
      S3E_SIGNATURE_MISMATCH, NULL },
    { "other query parameters are not signed in V2", T_GET, 0, "GET", GET_PATH "?foo=bar",
      GET_OK, S3E_OK, NULL },
    { "tampered Content-Type", T_PUT, TW_DOMAINS, "PUT", "/photos/puppy.jpg",
      "Content-Type: image/png\n" VHOST "Date: Tue, 27 Mar 2007 21:15:45 +0000\n"
      AUTHZ("iqRzw+ileNPu1fhspnRs8nOjjIA="), S3E_SIGNATURE_MISMATCH, NULL },
    { "unsigned x-amz header added", T_GET, 0, "GET", GET_PATH,
      GET_OK "x-amz-meta-a: b\n", S3E_SIGNATURE_MISMATCH, NULL },
    { "clock 900 s ahead", T_GET + 900, 0, "GET", GET_PATH, GET_OK, S3E_OK, NULL },
    { "clock 901 s ahead", T_GET + 901, 0, "GET", GET_PATH, GET_OK,
      S3E_REQUEST_TIME_SKEWED, NULL },
    { "clock 901 s behind", T_GET - 901, 0, "GET", GET_PATH, GET_OK,
      S3E_REQUEST_TIME_SKEWED, NULL },
    { "no date", T_GET, 0, "GET", GET_PATH,
      "Host: s3.us-west-1.amazonaws.com\n" AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
      S3E_ACCESS_DENIED, MSG_NO_DATE },
    { "bad Date", T_GET, 0, "GET", GET_PATH,
      "Date: yesterday\n" AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g="), S3E_ACCESS_DENIED, MSG_NO_DATE },
    { "bad x-amz-date beside a good Date", T_GET, 0, "GET", GET_PATH,
      GET_HDRS "x-amz-date: soon\n" AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
      S3E_ACCESS_DENIED, MSG_NO_DATE },
    { "malformed: no colon", T_GET, 0, "GET", GET_PATH, GET_HDRS "Authorization: AWS " AK "\n",
      S3E_INVALID_ARGUMENT, MSG_BAD_HDR },
    { "malformed: empty signature", T_GET, 0, "GET", GET_PATH,
      GET_HDRS "Authorization: AWS " AK ":\n", S3E_INVALID_ARGUMENT, MSG_BAD_HDR },
    { "malformed: empty key", T_GET, 0, "GET", GET_PATH,
      GET_HDRS "Authorization: AWS :qgk2+6Sv9/oM7G3qLEjTH1a1l1g=\n", S3E_INVALID_ARGUMENT,
      MSG_BAD_HDR },
    { "signature not base64", T_GET, 0, "GET", GET_PATH, GET_HDRS AUTHZ("!!!!"),
      S3E_SIGNATURE_MISMATCH, NULL },
    { "signature truncated", T_GET, 0, "GET", GET_PATH, GET_HDRS AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1"),
      S3E_SIGNATURE_MISMATCH, NULL },
    { "signature overlong", T_GET, 0, "GET", GET_PATH,
      GET_HDRS AUTHZ("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=qgk2+6Sv9/oM7G3qLEjTH1a1l1g=qgk2+6Sv9/oM7G3qL"),
      S3E_SIGNATURE_MISMATCH, NULL },
    { "signature with a space from the query rules is not fixed in a header", T_GET, 0, "GET",
      GET_PATH, GET_HDRS "Authorization: AWS " AK ":qgk2 6Sv9/oM7G3qLEjTH1a1l1g=\n",
      S3E_INVALID_ARGUMENT, MSG_BAD_HDR },
    { "V2 off: header", T_GET, TW_SIGV2_OFF, "GET", GET_PATH, GET_OK, S3E_NOT_IMPLEMENTED, NULL },
    { "header and V2 query", T_GET, 0, "GET", QEX(GET_PATH, QSIG), GET_OK,
      S3E_INVALID_ARGUMENT, NULL },
    /* ---- real clients, mount prefix /s3 ---- */
    { "botocore PUT part, prefix /s3 (signed over the full path)", T_GET, TW_PREFIX, "PUT",
      BOTO_PUT_URI, BOTO_PUT_HDRS, S3E_OK, NULL },
    { "botocore PUT part, no prefix configured", T_GET, 0, "PUT", BOTO_PUT_URI, BOTO_PUT_HDRS,
      S3E_OK, NULL },
    { "botocore PUT part, other uploadId", T_GET, TW_PREFIX, "PUT",
      "/s3/bucket/dir/%C3%A9t%C3%A9.txt?partNumber=3&uploadId=VXBsb2Fk%2BSUR", BOTO_PUT_HDRS,
      S3E_SIGNATURE_MISMATCH, NULL },
    { "s3cmd PUT, prefix /s3 (signed below the prefix)", T_GET, TW_PREFIX, "PUT",
      "/s3/bucket/dir/a%20b%2Bc.txt", S3CMD_PUT_HDRS S3CMD_PUT_SIG, S3E_OK, NULL },
    { "s3cmd PUT, prefix not configured", T_GET, 0, "PUT", "/s3/bucket/dir/a%20b%2Bc.txt",
      S3CMD_PUT_HDRS S3CMD_PUT_SIG, S3E_SIGNATURE_MISMATCH, NULL },
    { "s3cmd PUT, another prefix", T_GET, TW_PREFIX, "PUT", "/s4/bucket/dir/a%20b%2Bc.txt",
      S3CMD_PUT_HDRS S3CMD_PUT_SIG, S3E_SIGNATURE_MISMATCH, NULL },
    { "s3cmd PUT, x-amz-date wins over a stale Date", T_GET, TW_PREFIX, "PUT",
      "/s3/bucket/dir/a%20b%2Bc.txt",
      S3CMD_PUT_HDRS "Date: Mon, 01 Jan 2001 00:00:00 GMT\n" S3CMD_PUT_SIG, S3E_OK, NULL },
    { "s3cmd PUT, x-amz-date skewed", T_GET + 3600, TW_PREFIX, "PUT",
      "/s3/bucket/dir/a%20b%2Bc.txt", S3CMD_PUT_HDRS S3CMD_PUT_SIG,
      S3E_REQUEST_TIME_SKEWED, NULL },
    { "s3cmd PUT with a signed aws-chunked payload", T_GET, TW_PREFIX, "PUT",
      "/s3/bucket/dir/a%20b%2Bc.txt", S3CMD_PUT_HDRS
      "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n" S3CMD_PUT_SIG,
      S3E_INVALID_ARGUMENT, NULL },
    { "s3cmd initiate multipart", T_GET, TW_PREFIX, "POST", "/s3/bucket/big.bin?uploads",
      "Host: localhost:8080\n" S3CMD_DATE AUTHZ("aLywwiz6ls1lqz8zqdiA41RpowY="), S3E_OK, NULL },
    { "s3cmd upload part", T_GET, TW_PREFIX, "PUT",
      "/s3/bucket/big.bin?partNumber=1&uploadId=2~abc",
      "Host: localhost:8080\n" S3CMD_DATE "Content-Length: 5\n"
      AUTHZ("lVoA6mJhIW7o9+6B1jsFW2hzKMo="), S3E_OK, NULL },
    /* ---- query form ---- */
    { "guide query, virtual-hosted", T_EXP - 600, TW_DOMAINS, "GET",
      QEX("/photos/puppy.jpg", QSIG), JS_HOST, S3E_OK, NULL },
    { "guide query, path-style", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", QSIG), "Host: s3.amazonaws.com\n", S3E_OK, NULL },
    { "guide query, last second", T_EXP, 0, "GET", QEX("/johnsmith/photos/puppy.jpg", QSIG),
      "", S3E_OK, NULL },
    { "guide query, expired", T_EXP + 1, 0, "GET", QEX("/johnsmith/photos/puppy.jpg", QSIG),
      "", S3E_EXPIRED_REQUEST, NULL },
    { "guide query, Date header ignored", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", QSIG), "Date: Mon, 01 Jan 2001 00:00:00 GMT\n",
      S3E_OK, NULL },
    { "unencoded '+' in Signature (arrives as ' ')", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8%3D"), "", S3E_OK, NULL },
    { "unencoded '+' and '=' in Signature", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8="), "", S3E_OK, NULL },
    { "encoded space in Signature", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", "NpgCjnDzrM%20WFzoENXmpNDUsSn8%3D"), "", S3E_OK, NULL },
    { "query, tampered path", T_EXP - 600, 0, "GET", QEX("/johnsmith/photos/kitten.jpg", QSIG),
      "", S3E_SIGNATURE_MISMATCH, NULL },
    { "query, wrong method", T_EXP - 600, 0, "DELETE", QEX("/johnsmith/photos/puppy.jpg", QSIG),
      "", S3E_SIGNATURE_MISMATCH, NULL },
    { "query, wrong secret", T_EXP - 600, TW_WRONG_SECRET, "GET",
      QEX("/johnsmith/photos/puppy.jpg", QSIG), "", S3E_SIGNATURE_MISMATCH, NULL },
    { "query, unknown key", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIDUNKNOWN&Signature=" QSIG
      "&Expires=1175139620", "", S3E_INVALID_ACCESS_KEY, NULL },
    { "query, other Expires", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=" QSIG "&Expires=1175139621",
      "", S3E_SIGNATURE_MISMATCH, NULL },
    { "query, no Expires", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=" QSIG, "",
      S3E_ACCESS_DENIED, MSG_QPARAMS },
    { "query, no AWSAccessKeyId", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?Signature=" QSIG "&Expires=1175139620", "",
      S3E_ACCESS_DENIED, MSG_QPARAMS },
    { "query, no Signature", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Expires=1175139620", "",
      S3E_ACCESS_DENIED, MSG_QPARAMS },
    { "query, empty Signature", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=&Expires=1175139620", "",
      S3E_ACCESS_DENIED, MSG_QPARAMS },
    { "query, Expires not a number", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=" QSIG "&Expires=soon", "",
      S3E_ACCESS_DENIED, "Invalid date (should be seconds since epoch): soon" },
    { "query, negative Expires", T_EXP - 600, 0, "GET",
      "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=" QSIG "&Expires=-1", "",
      S3E_ACCESS_DENIED, "Invalid date (should be seconds since epoch): -1" },
    { "query, signed aws-chunked payload", T_EXP - 600, 0, "PUT",
      QEX("/johnsmith/photos/puppy.jpg", QSIG),
      "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\n",
      S3E_INVALID_ARGUMENT, NULL },
    { "V2 off: query", T_EXP - 600, TW_SIGV2_OFF, "GET", QEX("/johnsmith/photos/puppy.jpg", QSIG),
      "", S3E_NOT_IMPLEMENTED, NULL },
    { "V4 and V2 query", T_EXP - 600, 0, "GET",
      QEX("/johnsmith/photos/puppy.jpg", QSIG) "&X-Amz-Algorithm=AWS4-HMAC-SHA256", "",
      S3E_INVALID_ARGUMENT, NULL },
    { "botocore presigned GET, prefix /s3", 1175136020, TW_PREFIX, "GET", BOTO_GET_URI,
      "Host: localhost:8080\n", S3E_OK, NULL },
    { "botocore presigned GET, response-content-type changed", 1175136020, TW_PREFIX, "GET",
      "/s3/bucket/photos/a%2Bb%20c.jpg?response-content-type=text%2Fhtml"
      "&versionId=null&AWSAccessKeyId=" AK "&Signature=nOerx%2BVPq3XXbuBnKCys8KVj4sI%3D"
      "&Expires=1175139620", "Host: localhost:8080\n", S3E_SIGNATURE_MISMATCH, NULL },
    { "botocore presigned PUT, Content-Type and token in the query", 1175136020, TW_PREFIX,
      "PUT", BOTO_PUTQ_URI, "Host: localhost:8080\nContent-Length: 3\n", S3E_OK, NULL },
    { "botocore presigned PUT, same Content-Type header", 1175136020, TW_PREFIX, "PUT",
      BOTO_PUTQ_URI, "Host: localhost:8080\nContent-Type: text/plain\n", S3E_OK, NULL },
    { "botocore presigned PUT, other Content-Type header", 1175136020, TW_PREFIX, "PUT",
      BOTO_PUTQ_URI, "Host: localhost:8080\nContent-Type: image/png\n",
      S3E_SIGNATURE_MISMATCH, NULL },
    { "botocore presigned PUT, token header overrides", 1175136020, TW_PREFIX, "PUT",
      BOTO_PUTQ_URI, "Host: localhost:8080\nx-amz-security-token: OTHER\n",
      S3E_SIGNATURE_MISMATCH, NULL },
    { "s3cmd signurl, virtual-hosted", T_EXP - 600, TW_DOMAINS, "GET",
      "/photos/a%20b.jpg?AWSAccessKeyId=" AK "&Expires=1175139620"
      "&Signature=4huH6wxdFQGhK4n%2BBHKCwgy9PwI%3D", "Host: bucket.localhost:8080\n",
      S3E_OK, NULL },
};

START_TEST(test_auth_case)
{
    const struct auth_case *c = &auth_cases[_i];
    struct fx f;
    int deferred = -1;
    const char *msg = (const char *)1;

    fx_init(&f, c->now, c->tweaks);
    fx_request(&f, c->method, c->uri, c->headers);
    enum s3_err e = s3_auth_check_ex(&f.req, &deferred, &msg);
    ck_assert_msg(e == c->want, "%s: got %d (%s), want %d", c->name, (int)e,
                  msg ? msg : "-", (int)c->want);
    ck_assert_int_eq(deferred, 0);
    if (c->msg)
        ck_assert_str_eq(msg, c->msg);
    if (e != S3E_OK) {
        ck_assert_ptr_null(f.req.auth.cred);
    } else {
        ck_assert_ptr_null(msg);
        ck_assert_ptr_eq(f.req.auth.cred, &f.creds[0]);
        ck_assert_int_eq(f.req.auth.presigned, strstr(c->uri, "Signature=") != NULL);
        ck_assert_int_eq(f.req.auth.deferred, 0);
    }
    fx_free(&f);
}
END_TEST

START_TEST(test_auth_check_plain_api)
{
    struct fx f;
    int deferred = -1;
    fx_init(&f, T_GET, 0);
    fx_request(&f, "GET", GET_PATH, GET_OK);
    ck_assert_int_eq(s3_auth_check(&f.req, &deferred), S3E_OK);
    ck_assert_int_eq(deferred, 0);
    ck_assert_ptr_eq(f.req.auth.cred, &f.creds[0]);
    fx_free(&f);
}
END_TEST

/* sigv2_auth_* directly: the length bounds the header, not a NUL. */
START_TEST(test_auth_header_length_bound)
{
    struct fx f;
    const char *msg = NULL;
    static const char hdr[] = AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=" "TRAILING";
    fx_init(&f, T_GET, 0);
    fx_request(&f, "GET", GET_PATH, GET_HDRS);
    ck_assert_int_eq(sigv2_auth_header(&f.req, hdr, sizeof hdr - 1 - 8, &msg), S3E_OK);
    ck_assert_ptr_null(msg);
    ck_assert_ptr_eq(f.req.auth.cred, &f.creds[0]);
    fx_free(&f);
}
END_TEST

/* ==================================================================== main */

static Suite *make_suite(void)
{
    Suite *s = suite_create("sigv2");
    TCase *t = tcase_create("pieces");
    tcase_add_test(t, test_hmac_sha1);
    tcase_add_test(t, test_subresources);
    tcase_add_loop_test(t, test_amz_headers, 0, (int)ARRAY_LEN(amz_cases));
    tcase_add_loop_test(t, test_canonical_resource, 0, (int)ARRAY_LEN(res_cases));
    tcase_add_test(t, test_resource_cap);
    tcase_add_loop_test(t, test_parse_authorization, 0, (int)ARRAY_LEN(authz_cases));
    tcase_add_loop_test(t, test_parse_date, 0, (int)ARRAY_LEN(date_cases));
    suite_add_tcase(s, t);

    t = tcase_create("vectors");
    tcase_add_loop_test(t, test_example_pure, 0, (int)ARRAY_LEN(examples));
    tcase_add_test(t, test_guide_delete_as_printed);
    suite_add_tcase(s, t);

    t = tcase_create("auth");
    tcase_add_loop_test(t, test_auth_case, 0, (int)ARRAY_LEN(auth_cases));
    tcase_add_test(t, test_auth_check_plain_api);
    tcase_add_test(t, test_auth_header_length_bound);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(make_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
