/* auth.c - request authentication (AWS Signature Version 4); see auth.h.
 * Spec: S3 API reference "Authenticating Requests (AWS Signature Version 4)":
 * "Using the Authorization Header" and "Using Query Parameters" (presigned URLs).
 * Error codes and messages follow what S3 answers for the same faults.
 * Signature Version 2 ("Authorization: AWS AK:sig", or AWSAccessKeyId/Signature in
 * the query) is dispatched to sigv2.c when cfg->sigv2 is on, else NotImplemented.
 *
 * Order of checks (header form): algorithm, header syntax, request time, credential
 * scope, access key, clock skew, which headers are signed, payload hash, signature.
 * The pure pieces (canonical request, signing key, HMAC) live in sigv4.c.
 */
#include "auth.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sigv2.h"
#include "sigv4.h"
#include "util.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DEFAULT_SKEW 900
#define MAX_EXPIRES 604800          /* presigned URLs live at most 7 days */

#define MSG_HDR "The authorization header is malformed; "
#define MSG_QUERY "Error parsing the X-Amz-Credential parameter; "
#define MSG_NO_DATE "AWS authentication requires a valid Date or x-amz-date header"
#define MSG_UNSIGNED "There were headers present in the request which were not signed"
#define MSG_ONE_MECHANISM "Only one auth mechanism allowed; only the X-Amz-Algorithm query " \
    "parameter, Signature query string parameter or the Authorization header should be specified"
#define MSG_QUERY_PARAMS "Query-string authentication version 4 requires the X-Amz-Algorithm, " \
    "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires " \
    "parameters."
#define MSG_NO_SIGV2 "Signature Version 2 is not supported"
#define MSG_BAD_SHA256 "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, " \
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, " \
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."

/* One verification attempt, header or query form. Strings point into req. */
struct attempt {
    struct sigv4_authz az;          /* credential parts, signed headers, signature */
    char amz_date[17];              /* request time as signed, YYYYMMDDTHHMMSSZ */
    time_t t;                       /* the same, parsed */
    const char *payload;            /* last canonical-request line; NULL = deferred */
    size_t payload_len;
    int presigned;
    const char *msg;                /* S3's <Message> for the failure, or NULL */
};

static enum s3_err fail_msg(struct attempt *at, enum s3_err e, const char *msg)
{
    at->msg = msg;
    return e;
}

static int str_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* "2013-05-24T00:00:00.000Z" -> "20130524T000000Z". */
static void amz_date_of(time_t t, char out[17])
{
    static const int pick[15] = { 0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18 };
    char iso[25];
    time_iso8601(t, iso);
    for (int i = 0; i < 15; i++)
        out[i] = iso[pick[i]];
    out[15] = 'Z';
    out[16] = '\0';
}

static long long skew_limit(const struct s3_request *req)
{
    return req->cfg->max_skew >= 0 ? req->cfg->max_skew : DEFAULT_SKEW;
}

static const char *cfg_region(const struct s3_request *req)
{
    return req->cfg->region && *req->cfg->region ? req->cfg->region : "us-east-1";
}

/* Header form: x-amz-date, else Date (RFC 7231 forms). */
static enum s3_err header_time(const struct s3_request *req, struct attempt *at)
{
    const char *v = s3_req_header(req, "x-amz-date");
    size_t len;
    if (v) {
        len = strlen(v);
        trim(&v, &len);
        if (time_parse_amz(v, len, &at->t) < 0)
            return fail_msg(at, S3E_ACCESS_DENIED, MSG_NO_DATE);
        memcpy(at->amz_date, v, 16);
        at->amz_date[16] = '\0';
        return S3E_OK;
    }
    v = s3_req_header(req, "date");
    if (!v)
        return fail_msg(at, S3E_ACCESS_DENIED, MSG_NO_DATE);
    len = strlen(v);
    trim(&v, &len);
    if (time_parse_http(v, len, &at->t) < 0)
        return fail_msg(at, S3E_ACCESS_DENIED, MSG_NO_DATE);
    amz_date_of(at->t, at->amz_date);
    return S3E_OK;
}

/* Credential scope: date of the request, our region, "s3", "aws4_request". */
static enum s3_err check_scope(struct s3_request *req, struct attempt *at)
{
    const struct sigv4_authz *az = &at->az;
    const char *pre = at->presigned ? MSG_QUERY : MSG_HDR;
    const char *region = cfg_region(req);
    if (az->date_len != 8 || memcmp(az->date, at->amz_date, 8) != 0)
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED,
                        arena_printf(req->arena, "%sInvalid credential date \"%.*s\". This date is "
                                     "not the same as X-Amz-Date: \"%.8s\".", pre,
                                     (int)az->date_len, az->date, at->amz_date));
    if (!str_is(az->region, az->region_len, region))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED,
                        arena_printf(req->arena, "%sthe region '%.*s' is wrong; expecting '%s'",
                                     pre, (int)az->region_len, az->region, region));
    if (!str_is(az->service, az->service_len, "s3"))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED,
                        arena_printf(req->arena, "%sincorrect service \"%.*s\". This endpoint "
                                     "belongs to \"s3\".", pre,
                                     (int)az->service_len, az->service));
    if (!str_is(az->terminator, az->terminator_len, "aws4_request"))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED,
                        arena_printf(req->arena, "%sincorrect terminal \"%.*s\". This endpoint "
                                     "uses \"aws4_request\".", pre,
                                     (int)az->terminator_len, az->terminator));
    return S3E_OK;
}

/* host and every x-amz-* header present must be signed. x-amz-content-sha256 and
 * x-amz-date are bound by the signature anyway (payload line, string to sign), so
 * clients that leave them out of SignedHeaders are accepted. */
static enum s3_err check_signed_set(const struct s3_request *req, struct attempt *at)
{
    const char *sh = at->az.signed_headers;
    size_t shlen = at->az.signed_headers_len;
    if (!sigv4_signed_headers_has(sh, shlen, "host", 4))
        return fail_msg(at, S3E_ACCESS_DENIED, MSG_UNSIGNED);
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name;
        size_t nlen = strlen(n);
        if (nlen < 6 || strncmp(n, "x-amz-", 6) != 0 ||
            strcmp(n, "x-amz-content-sha256") == 0 || strcmp(n, "x-amz-date") == 0)
            continue;
        if (!sigv4_signed_headers_has(sh, shlen, n, nlen))
            return fail_msg(at, S3E_ACCESS_DENIED, MSG_UNSIGNED);
    }
    return S3E_OK;
}

/* Checks an x-amz-content-sha256 value (header or presigned query parameter). */
static enum s3_err payload_value(struct attempt *at, const char *v, size_t len)
{
    static const char *const ok[] = {
        "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    };
    at->payload = v;
    at->payload_len = len;
    if (sigv4_is_hex64(v, len))
        return S3E_OK;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (str_is(v, len, ok[i]))
            return S3E_OK;
    if (len > 26 && memcmp(v, "STREAMING-AWS4-ECDSA-P256-", 26) == 0)
        return fail_msg(at, S3E_NOT_IMPLEMENTED, "SigV4a (ECDSA) signing is not supported");
    return fail_msg(at, S3E_INVALID_ARGUMENT, MSG_BAD_SHA256);
}

static int body_is_empty(const struct s3_request *req)
{
    if (req->content_length >= 0)
        return req->content_length == 0;
    return req->method == M_GET || req->method == M_HEAD || req->method == M_DELETE ||
           req->method == M_OPTIONS;
}

/* Header form payload line: the header verbatim, else override (s3_auth_finish),
 * else the empty-body hash, else deferred (payload NULL). */
static enum s3_err header_payload(const struct s3_request *req, struct attempt *at,
                                  const char *override)
{
    const char *v = s3_req_header(req, "x-amz-content-sha256");
    if (v) {
        size_t len = strlen(v);
        trim(&v, &len);
        return payload_value(at, v, len);
    }
    if (override || body_is_empty(req)) {
        at->payload = override ? override : EMPTY_SHA256;
        at->payload_len = 64;
    }
    return S3E_OK;
}

static void lower_hex(const char *in, char out[65])
{
    for (int i = 0; i < 64; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] + ('a' - 'A') : in[i]);
    out[64] = '\0';
}

/* Computes the signature (unless deferred), compares it, and fills req->auth. */
/* kSigning for cred at date8/region/s3, from the front's cache when it holds this
 * secret, date and region (io.h), else derived and remembered. */
static void signing_key(const struct s3_request *req, const struct s3_credential *cred,
                        const char *date8, unsigned char key[32])
{
    struct s3_cache *c = req->io ? req->io->cache : NULL;
    const char *region = cfg_region(req);
    size_t sl = strlen(cred->secret_key), rl = strlen(region);
    if (c && c->valid && c->secret_len == sl && c->region_len == rl &&
        memcmp(c->secret, cred->secret_key, sl) == 0 && memcmp(c->date, date8, 8) == 0 &&
        memcmp(c->region, region, rl) == 0) {
        memcpy(key, c->key, 32);
        return;
    }
    sigv4_signing_key(cred->secret_key, date8, 8, region, rl, "s3", 2, key);
    if (c && sl < sizeof c->secret && rl < sizeof c->region) {
        c->secret_len = sl;
        c->region_len = rl;
        memcpy(c->secret, cred->secret_key, sl);
        memcpy(c->date, date8, 8);
        memcpy(c->region, region, rl);
        memcpy(c->key, key, 32);
        c->valid = 1;
    }
}

static enum s3_err verify(struct s3_request *req, struct attempt *at,
                          const struct s3_credential *cred, int *deferred)
{
    const struct sigv4_authz *az = &at->az;
    struct sigv4_header *hs = NULL;
    struct s3_auth_result *res = &req->auth;
    char given[65], want[65];
    unsigned char key[32];
    const char *method = req->method_str ? req->method_str : "";

    if (req->nheaders) {
        hs = arena_alloc(req->arena, req->nheaders * sizeof *hs);
        if (!hs)
            return S3E_INTERNAL;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        hs[i].name = req->headers[i].name;
        hs[i].name_len = strlen(req->headers[i].name);
        hs[i].value = req->headers[i].value;
        hs[i].value_len = strlen(req->headers[i].value);
    }
    struct sigv4_request sr = {
        .method = method, .method_len = strlen(method),
        .raw_path = req->raw_path, .raw_path_len = req->raw_path_len,
        .raw_query = req->raw_query, .raw_query_len = req->raw_query_len,
        .drop_signature = at->presigned,
        .headers = hs, .nheaders = req->nheaders,
        .signed_headers = az->signed_headers, .signed_headers_len = az->signed_headers_len,
        .payload_hash = at->payload, .payload_hash_len = at->payload_len,
    };
    char scope[128];
    int n = snprintf(scope, sizeof scope, "%.8s/%s/s3/aws4_request", at->amz_date,
                     cfg_region(req));
    if (n < 0 || (size_t)n >= sizeof scope)
        return S3E_INTERNAL;

    signing_key(req, cred, at->amz_date, key);
    lower_hex(az->signature, given);
    if (at->payload) {
        if (sigv4_signature(&sr, at->amz_date, scope, (size_t)n, key, want) < 0)
            return fail_msg(at, S3E_INVALID_URI, NULL);
        if (!ct_memeq(want, given, 64))
            return S3E_SIGNATURE_MISMATCH;
    } else {
        *deferred = 1;
    }
    res->cred = cred;
    memcpy(res->signing_key, key, sizeof key);
    memcpy(res->seed_signature, given, sizeof given);
    memcpy(res->amz_date, at->amz_date, sizeof res->amz_date);
    memcpy(res->scope, scope, (size_t)n + 1);
    res->presigned = at->presigned;
    res->deferred = at->payload == NULL;
    return S3E_OK;
}

static enum s3_err lookup_key(const struct s3_request *req, struct attempt *at,
                              const struct s3_credential **cred)
{
    *cred = s3_config_find_key(req->cfg, at->az.access_key, at->az.access_key_len);
    if (!*cred)
        return S3E_INVALID_ACCESS_KEY;
    return S3E_OK;
}

/* Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */
static enum s3_err auth_header(struct s3_request *req, const char *hdr, const char *override,
                               int *deferred, struct attempt *at)
{
    const struct s3_credential *cred;
    size_t len = strlen(hdr);
    enum s3_err e;
    trim(&hdr, &len);
    if (len > 4 && memcmp(hdr, "AWS ", 4) == 0) {
        if (!req->cfg->sigv2)
            return fail_msg(at, S3E_NOT_IMPLEMENTED, MSG_NO_SIGV2);
        return sigv2_auth_header(req, hdr + 4, len - 4, &at->msg);
    }
    if (len < 16 || memcmp(hdr, "AWS4-HMAC-SHA256", 16) != 0)
        return fail_msg(at, S3E_INVALID_ARGUMENT, "Unsupported Authorization Type");
    if (sigv4_parse_authorization(hdr, len, &at->az) < 0)
        return S3E_AUTH_HEADER_MALFORMED;
    if ((e = header_time(req, at)) != S3E_OK || (e = check_scope(req, at)) != S3E_OK ||
        (e = lookup_key(req, at, &cred)) != S3E_OK)
        return e;
    long long d = (long long)req->now - (long long)at->t;
    if (d > skew_limit(req) || -d > skew_limit(req))
        return S3E_REQUEST_TIME_SKEWED;
    if ((e = check_signed_set(req, at)) != S3E_OK ||
        (e = header_payload(req, at, override)) != S3E_OK)
        return e;
    return verify(req, at, cred, deferred);
}

static int query_param(const struct s3_request *req, const char *name, const char **v, size_t *len)
{
    *v = s3_req_query(req, name);
    *len = *v ? strlen(*v) : 0;
    return *v != NULL;
}

/* Presigned URL: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
 * -Signature in the query; payload "UNSIGNED-PAYLOAD" unless X-Amz-Content-Sha256. */
static enum s3_err auth_query(struct s3_request *req, int *deferred, struct attempt *at)
{
    const char *alg, *cred_s, *date, *exp, *sh, *sig, *cs;
    size_t alg_len, cred_len, date_len, exp_len, sh_len, sig_len, cs_len;
    unsigned long long expires;
    const struct s3_credential *cred;
    enum s3_err e;

    at->presigned = 1;
    if (!query_param(req, "X-Amz-Algorithm", &alg, &alg_len) ||
        !query_param(req, "X-Amz-Credential", &cred_s, &cred_len) ||
        !query_param(req, "X-Amz-Date", &date, &date_len) ||
        !query_param(req, "X-Amz-Expires", &exp, &exp_len) ||
        !query_param(req, "X-Amz-SignedHeaders", &sh, &sh_len) ||
        !query_param(req, "X-Amz-Signature", &sig, &sig_len))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, MSG_QUERY_PARAMS);
    if (!str_is(alg, alg_len, "AWS4-HMAC-SHA256"))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED,
                        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    if (sigv4_parse_credential(cred_s, cred_len, &at->az) < 0)
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, MSG_QUERY "the Credential is mal-formed; "
                        "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    if (!sigv4_signed_headers_valid(sh, sh_len) || !sigv4_is_hex64(sig, sig_len))
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, MSG_QUERY_PARAMS);
    at->az.signed_headers = sh;
    at->az.signed_headers_len = sh_len;
    at->az.signature = sig;
    at->az.signature_len = sig_len;
    if (time_parse_amz(date, date_len, &at->t) < 0)
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, "X-Amz-Date must be in the ISO8601 "
                        "Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    memcpy(at->amz_date, date, 16);
    at->amz_date[16] = '\0';
    if (parse_u64(exp, exp_len, ~0ULL, &expires) < 0)
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, "X-Amz-Expires should be a number");
    if (expires < 1 || expires > MAX_EXPIRES)
        return fail_msg(at, S3E_AUTH_HEADER_MALFORMED, expires < 1 ?
                        "X-Amz-Expires must be non-negative" :
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if ((e = check_scope(req, at)) != S3E_OK || (e = lookup_key(req, at, &cred)) != S3E_OK)
        return e;
    long long now = (long long)req->now, t = (long long)at->t;
    if (t - now > skew_limit(req))
        return fail_msg(at, S3E_ACCESS_DENIED, "Request is not yet valid");
    if (now > t + (long long)expires)
        return S3E_EXPIRED_REQUEST;
    if ((e = check_signed_set(req, at)) != S3E_OK)
        return e;
    if (query_param(req, "X-Amz-Content-Sha256", &cs, &cs_len)) {
        if ((e = payload_value(at, cs, cs_len)) != S3E_OK)
            return e;
    } else {
        at->payload = "UNSIGNED-PAYLOAD";
        at->payload_len = 16;
    }
    return verify(req, at, cred, deferred);
}

static int has_v4_query(const struct s3_request *req)
{
    return s3_req_query(req, "X-Amz-Algorithm") || s3_req_query(req, "X-Amz-Credential") ||
           s3_req_query(req, "X-Amz-Signature");
}

/* Either V2 parameter makes a V2 attempt, so a URL missing the other one is told
 * which parameters it needs rather than treated as anonymous. */
static int has_v2_query(const struct s3_request *req)
{
    return s3_req_query(req, "AWSAccessKeyId") || s3_req_query(req, "Signature");
}

/* The Authorization header, or NULL when absent or blank. */
static const char *authz_header(const struct s3_request *req)
{
    const char *h = s3_req_header(req, "authorization");
    if (!h)
        return NULL;
    size_t len = strlen(h);
    trim(&h, &len);
    return len ? h : NULL;
}

enum s3_err s3_auth_check_ex(struct s3_request *req, int *deferred, const char **message)
{
    struct attempt at;
    enum s3_err e;
    memset(&at, 0, sizeof at);
    memset(&req->auth, 0, sizeof req->auth);
    *deferred = 0;

    const char *hdr = authz_header(req);
    int v4q = has_v4_query(req), v2q = has_v2_query(req);
    if ((hdr && (v4q || v2q)) || (v4q && v2q))
        e = fail_msg(&at, S3E_INVALID_ARGUMENT, MSG_ONE_MECHANISM);
    else if (hdr)
        e = auth_header(req, hdr, NULL, deferred, &at);
    else if (v4q)
        e = auth_query(req, deferred, &at);
    else if (v2q && !req->cfg->sigv2)
        e = fail_msg(&at, S3E_NOT_IMPLEMENTED, MSG_NO_SIGV2);
    else if (v2q)
        e = sigv2_auth_query(req, &at.msg);
    else
        e = S3E_OK;     /* anonymous: cred stays NULL, access.c decides what it may do */
    if (e != S3E_OK) {
        memset(&req->auth, 0, sizeof req->auth);
        *deferred = 0;
    }
    if (message)
        *message = e == S3E_OK ? NULL : at.msg;
    return e;
}

enum s3_err s3_auth_check(struct s3_request *req, int *deferred)
{
    return s3_auth_check_ex(req, deferred, NULL);
}

/* 1 when the two 64-hex strings are equal ignoring case. */
static int hex_eq(const char *a, const char *b)
{
    char la[65], lb[65];
    lower_hex(a, la);
    lower_hex(b, lb);
    return ct_memeq(la, lb, 64);
}

enum s3_err s3_auth_finish(struct s3_request *req, const char *payload_sha256_hex)
{
    struct attempt at;
    const char *v;
    size_t len;
    int deferred = 0;
    char hex[65];

    if (!payload_sha256_hex || !sigv4_is_hex64(payload_sha256_hex, strlen(payload_sha256_hex)))
        return S3E_INTERNAL;
    lower_hex(payload_sha256_hex, hex);
    memset(&at, 0, sizeof at);
    if (req->auth.presigned)
        v = s3_req_query(req, "X-Amz-Content-Sha256");
    else
        v = s3_req_header(req, "x-amz-content-sha256");
    if (v) {
        len = strlen(v);
        trim(&v, &len);
        return sigv4_is_hex64(v, len) && !hex_eq(v, hex) ? S3E_SHA256_MISMATCH : S3E_OK;
    }
    const char *hdr = authz_header(req);
    if (!hdr || req->auth.presigned)
        return S3E_OK;
    enum s3_err e = auth_header(req, hdr, hex, &deferred, &at);
    if (e != S3E_OK)
        memset(&req->auth, 0, sizeof req->auth);
    return e;
}
