/* fuzz_sigv4.c - libFuzzer target for request authentication: the pure SigV4 and
 * SigV2 parsers and canonicalisers, and the whole check s3_auth_check (+ finish)
 * on a request parsed from the input.
 *
 * Build and run (from the source root; or `make -f fuzz/Makefile.fuzz`):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_sigv4.c lib/[a-z]*.c $(pkg-config --cflags --libs expat libcrypto) \
 *       -o fuzz_sigv4
 *   ./fuzz_sigv4 -dict=fuzz/sigv4.dict -max_total_time=60 fuzz/corpus/sigv4
 *
 * Input: byte 0 selects.
 *   bit 0 = 0: the rest is one raw string (an exact-size heap copy, no NUL, so
 *     overreads trip ASan) given to every pure piece:
 *     sigv4_parse_authorization: on success every part lies inside the input, the
 *       signature is 64 hex, the signed-header list is valid, 5 credential parts;
 *     sigv4_canonical_uri / sigv4_canonical_query: the output is UriEncoded
 *       (unreserved, '/' in the path, %XX uppercase) and canonicalising it again
 *       gives it back (idempotent); the query is sorted and, with drop_signature,
 *       carries no X-Amz-Signature;
 *     sigv4_header_value: trimmed, single spaces, no CR/LF/HT;
 *     sigv2_parse_authorization: both parts non-empty, inside, without blanks;
 *     time_parse_amz / sigv2_parse_date / time_parse_http: no crash, amz shape.
 *   bit 0 = 1: the rest is a CGI environment (fuzz_common.h) checked by
 *     s3_auth_check against a fixed clock (2013-05-24T00:00:00Z) and two keys;
 *     bits 1-4: sigv2 on, anonymous = full, prefix /s3, domain s3.example.org.
 *     A Signature (header or X-Amz-Signature) of 64 'f' is a placeholder the
 *     harness replaces by the correct SigV4 signature, so the success paths are
 *     reached too. Checks: an authenticated result (cred set) only ever comes
 *     from a harness-signed request (no signature forgery); a request that
 *     presents any signature is never let through as anonymous (cred NULL: what
 *     access.c may open to anyone); a deferred payload check fails for another
 *     body; errors are the documented ones and leave req->auth cleared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "fuzz_common.h"
#include "request.h"
#include "sigv2.h"
#include "sigv4.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1369353600      /* 20130524T000000Z, the date of AWS's examples */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PLACEHOLDER "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* ------------------------------------------------------------ pure pieces */

static int inside(const char *p, size_t n, const char *base, size_t len)
{
    return p >= base && p + n <= base + len;
}

static int hexup(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* UriEncode output: unreserved bytes, '/' when allowed, '%' + 2 uppercase hex. */
static void check_encoded(const char *s, size_t n, int slash_ok, int amp_eq_ok)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (slash_ok && c == '/') ||
            (amp_eq_ok && (c == '&' || c == '=')))
            continue;
        FZ_CHECK(c == '%' && i + 2 < n && hexup(s[i + 1]) &&
                 hexup(s[i + 2]), "bad byte 0x%02x at %zu", (unsigned char)c, i);
        i += 2;
    }
}

static void pure(const char *in, size_t len)
{
    struct sigv4_authz az;
    if (sigv4_parse_authorization(in, len, &az) == 0) {
        FZ_CHECK(inside(az.access_key, az.access_key_len, in, len) && az.access_key_len &&
                 inside(az.date, az.date_len, in, len) && az.date_len &&
                 inside(az.region, az.region_len, in, len) && az.region_len &&
                 inside(az.service, az.service_len, in, len) && az.service_len &&
                 inside(az.terminator, az.terminator_len, in, len) && az.terminator_len,
                 "credential parts");
        FZ_CHECK(inside(az.signature, az.signature_len, in, len) &&
                 sigv4_is_hex64(az.signature, az.signature_len), "signature");
        FZ_CHECK(inside(az.signed_headers, az.signed_headers_len, in, len) &&
                 sigv4_signed_headers_valid(az.signed_headers, az.signed_headers_len),
                 "signed headers");
    }

    struct buf a, b;
    buf_init(&a, 1 << 20);
    buf_init(&b, 1 << 20);
    if (sigv4_canonical_uri(&a, in, len) == 0) {
        check_encoded(a.data, a.len, 1, 0);
        FZ_CHECK(sigv4_canonical_uri(&b, a.data, a.len) == 0 && a.len == b.len &&
                 memcmp(a.data, b.data, a.len) == 0, "canonical URI not idempotent");
    }
    for (int drop = 0; drop < 2; drop++) {
        buf_free(&a);
        buf_free(&b);
        if (sigv4_canonical_query(&a, in, len, drop) != 0 || !a.data)
            continue;
        check_encoded(a.data, a.len, 0, 1);
        FZ_CHECK(sigv4_canonical_query(&b, a.data, a.len, 0) == 0 && a.len == b.len &&
                 memcmp(a.data, b.data, a.len) == 0, "canonical query not idempotent");
        /* sorted by name then value: the pairs, compared as "name=value", ascend */
        const char *prev = NULL;
        size_t prev_len = 0, start = 0;
        for (size_t i = 0; i <= a.len; i++) {
            if (i < a.len && a.data[i] != '&')
                continue;
            const char *p = a.data + start;
            size_t n = i - start;
            const char *eq = memchr(p, '=', n);
            FZ_CHECK(eq, "pair without '='");
            size_t nl = (size_t)(eq - p);
            if (drop)
                FZ_CHECK(!(nl == 15 && memcmp(p, "X-Amz-Signature", 15) == 0), "signature kept");
            if (prev) {
                const char *peq = memchr(prev, '=', prev_len);
                size_t pnl = (size_t)(peq - prev), m = pnl < nl ? pnl : nl;
                int c = memcmp(prev, p, m);
                FZ_CHECK(c < 0 || (c == 0 && pnl <= nl), "query not sorted by name");
            }
            prev = p;
            prev_len = n;
            start = i + 1;
        }
    }
    buf_free(&a);
    if (sigv4_header_value(&a, in, len) == 0 && a.data) {
        FZ_CHECK(strlen(a.data) <= a.len, "length");
        for (size_t i = 0; i < a.len; i++)
            FZ_CHECK(a.data[i] != '\r' && a.data[i] != '\n' && a.data[i] != '\t' &&
                     !(a.data[i] == ' ' && (i == 0 || i + 1 == a.len || a.data[i + 1] == ' ')),
                     "header value not trimmed");
    }
    buf_free(&a);
    buf_free(&b);

    const char *ak, *sig;
    size_t akl, sigl;
    if (sigv2_parse_authorization(in, len, &ak, &akl, &sig, &sigl) == 0)
        FZ_CHECK(akl && sigl && inside(ak, akl, in, len) && inside(sig, sigl, in, len) &&
                 !memchr(ak, ' ', akl) && !memchr(sig, ' ', sigl) && !memchr(ak, ':', akl),
                 "sigv2 credentials");

    time_t t;
    if (time_parse_amz(in, len, &t) == 0)
        FZ_CHECK(len == 16 && in[8] == 'T' && in[15] == 'Z', "amz date shape");
    (void)sigv2_parse_date(in, len, &t);
    (void)time_parse_http(in, len, &t);
    (void)time_parse_iso8601(in, len, &t);
}

/* --------------------------------------------------- the whole check */

static char ak1[] = "AKIDEXAMPLE", sk1[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static char ak2[] = "AKIAIOSFODNN7EXAMPLE",
            sk2[] = "a-secret-longer-than-one-HMAC-block-so-that-it-is-hashed-first-0123456789";
static char name1[] = "alice", name2[] = "bob";
static struct s3_credential creds[2] = {
    { .access_key = ak1, .secret_key = sk1, .display_name = name1, .id = name1 },
    { .access_key = ak2, .secret_key = sk2, .display_name = name2, .id = name2, .read_only = 1 },
};

static const char *trimmed(const char *v, size_t *len)
{
    *len = strlen(v);
    while (*len && (*v == ' ' || *v == '\t'))
        v++, (*len)--;
    while (*len && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
        (*len)--;
    return v;
}

/* The SigV4 signature auth.c must compute for req (header or presigned form), as
 * far as the harness can tell; 0 and out set, or -1 when the request is too broken
 * to sign. It reuses the pure pieces, so it does not test them: it only opens the
 * paths behind a good signature. */
static int oracle(const struct s3_request *req, char out[65])
{
    struct sigv4_authz az;
    char amz[17];
    const char *payload = EMPTY_SHA256;
    size_t payload_len = 64, len;
    const char *v;
    int presigned = 0;
    memset(&az, 0, sizeof az);

    if ((v = s3_req_header(req, "authorization"))) {
        v = trimmed(v, &len);
        if (sigv4_parse_authorization(v, len, &az) < 0)
            return -1;
        time_t t;
        if ((v = s3_req_header(req, "x-amz-date"))) {
            v = trimmed(v, &len);
            if (len != 16)
                return -1;
            memcpy(amz, v, 16);
        } else if ((v = s3_req_header(req, "date"))) {
            v = trimmed(v, &len);
            char iso[25];
            if (time_parse_http(v, len, &t) < 0)
                return -1;
            time_iso8601(t, iso);   /* 2013-05-24T00:00:00.000Z -> 20130524T000000Z */
            static const int pick[15] = { 0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18 };
            for (int i = 0; i < 15; i++)
                amz[i] = iso[pick[i]];
            amz[15] = 'Z';
        } else {
            return -1;
        }
        if ((v = s3_req_header(req, "x-amz-content-sha256")))
            payload = trimmed(v, &payload_len);
    } else {
        const char *c = s3_req_query(req, "X-Amz-Credential");
        const char *sh = s3_req_query(req, "X-Amz-SignedHeaders");
        const char *d = s3_req_query(req, "X-Amz-Date");
        if (!c || !sh || !d || strlen(d) != 16 || sigv4_parse_credential(c, strlen(c), &az) < 0)
            return -1;
        az.signed_headers = sh;
        az.signed_headers_len = strlen(sh);
        memcpy(amz, d, 16);
        payload = s3_req_query(req, "X-Amz-Content-Sha256");
        if (!payload)
            payload = "UNSIGNED-PAYLOAD";
        payload_len = strlen(payload);
        presigned = 1;
    }
    amz[16] = '\0';
    const struct s3_credential *cred = s3_config_find_key(req->cfg, az.access_key, az.access_key_len);
    if (!cred)
        return -1;

    struct sigv4_header hs[300];
    size_t n = req->nheaders < 300 ? req->nheaders : 300;
    for (size_t i = 0; i < n; i++) {
        hs[i].name = req->headers[i].name;
        hs[i].name_len = strlen(hs[i].name);
        hs[i].value = req->headers[i].value;
        hs[i].value_len = strlen(hs[i].value);
    }
    struct sigv4_request sr = {
        .method = req->method_str, .method_len = strlen(req->method_str),
        .raw_path = req->raw_path, .raw_path_len = req->raw_path_len,
        .raw_query = req->raw_query, .raw_query_len = req->raw_query_len,
        .drop_signature = presigned, .headers = hs, .nheaders = n,
        .signed_headers = az.signed_headers, .signed_headers_len = az.signed_headers_len,
        .payload_hash = payload, .payload_hash_len = payload_len,
    };
    char scope[64];
    int sl = snprintf(scope, sizeof scope, "%.8s/%s/s3/aws4_request", amz, req->cfg->region);
    unsigned char key[32];
    sigv4_signing_key(cred->secret_key, amz, 8, req->cfg->region, strlen(req->cfg->region),
                      "s3", 2, key);
    return sigv4_signature(&sr, amz, scope, (size_t)sl, key, out);
}

/* 1 when req offers any signature: an Authorization header or SigV4/SigV2 query
 * parameters. Such a request is authenticated or refused, never served as
 * anonymous (which public-read ACLs or "anonymous = full" may let through). */
static int presents_credentials(const struct s3_request *req)
{
    const char *h = s3_req_header(req, "authorization");
    size_t len = 0;
    if (h)
        (void)trimmed(h, &len);
    return len || s3_req_query(req, "X-Amz-Algorithm") || s3_req_query(req, "X-Amz-Credential") ||
           s3_req_query(req, "X-Amz-Signature") || s3_req_query(req, "AWSAccessKeyId") ||
           s3_req_query(req, "Signature");
}

static int known_error(enum s3_err e)
{
    switch (e) {
    case S3E_ACCESS_DENIED: case S3E_AUTH_HEADER_MALFORMED: case S3E_INVALID_ACCESS_KEY:
    case S3E_SIGNATURE_MISMATCH: case S3E_REQUEST_TIME_SKEWED: case S3E_MISSING_SECURITY_HEADER:
    case S3E_INVALID_ARGUMENT: case S3E_SHA256_MISMATCH: case S3E_NOT_IMPLEMENTED:
    case S3E_EXPIRED_REQUEST: case S3E_INVALID_URI:
        return 1;
    default:
        return 0;
    }
}

static void whole(const uint8_t *data, size_t size, unsigned sel)
{
    static char region[] = "us-east-1", prefix[] = "/s3", dom[] = "s3.example.org";
    struct s3_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_fd = -1;
    cfg.creds = creds;
    cfg.ncreds = 2;
    cfg.region = region;
    cfg.max_skew = 900;
    cfg.sigv2 = (sel >> 1) & 1;
    cfg.anonymous_full = (sel >> 2) & 1;
    cfg.prefix = (sel & 8) ? prefix : "";
    cfg.prefix_len = strlen(cfg.prefix);
    if (sel & 16) {
        cfg.domains[0] = dom;
        cfg.ndomains = 1;
    }

    struct fz_env env;
    fz_env_build(&env, data, size);
    struct s3_io io = { NULL, env.env, NULL, NULL, NULL, NULL };
    struct arena a;
    struct s3_request req;
    arena_init(&a, 64u << 20);
    enum s3_err e = s3_request_parse(&req, &a, &io, &cfg, NOW);

    /* sign with the oracle where the input asks for it, and parse again */
    int signed_by_us = 0;
    char sig[65];
    if (e == S3E_OK && env.text && memmem(env.text, size, PLACEHOLDER, 64) &&
        oracle(&req, sig) == 0) {
        for (size_t i = 0; i < env.n; i++)
            for (char *p = env.env[i]; (p = strstr(p, PLACEHOLDER)); p += 64)
                memcpy(p, sig, 64);
        signed_by_us = 1;
        arena_free(&a);
        arena_init(&a, 64u << 20);
        e = s3_request_parse(&req, &a, &io, &cfg, NOW);
    }
    if (e == S3E_OK) {
        int deferred = -1;
        const char *msg = NULL;
        e = s3_auth_check_ex(&req, &deferred, &msg);
        FZ_CHECK(deferred == 0 || deferred == 1, "deferred not set");
#ifdef FZ_VERBOSE   /* -DFZ_VERBOSE: what each input gets, for checking the seeds */
        fprintf(stderr, "auth: %s%s%s\n", s3_err_info(e)->code, signed_by_us ? " (signed)" : "",
                deferred ? " (deferred)" : "");
#endif
        if (e != S3E_OK) {
            FZ_CHECK(known_error(e), "undocumented auth error %d", (int)e);
            FZ_CHECK(!req.auth.cred && !deferred, "failed auth left state");
            if (msg)
                (void)strlen(msg);
        } else {
            if (deferred) {
                /* the payload hash is bound: another body must not pass */
                char other[65];
                sigv4_sha256_hex("x", 1, other);
                struct s3_auth_result saved = req.auth;
                enum s3_err f = s3_auth_finish(&req, other);
                FZ_CHECK(f != S3E_OK || s3_req_header(&req, "x-amz-content-sha256"),
                         "deferred check accepted a different body");
                req.auth = saved;
                e = s3_auth_finish(&req, EMPTY_SHA256);
            }
            if (e == S3E_OK) {
                FZ_CHECK(!req.auth.cred || signed_by_us,
                         "request authenticated without a harness signature");
                FZ_CHECK(req.auth.cred || !presents_credentials(&req),
                         "a request carrying a signature passed as anonymous");
            }
        }
    }
    arena_free(&a);
    fz_env_free(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;
    if (sel & 1) {
        whole(data, size, sel);
    } else {
        char *in = malloc(size ? size : 1);
        memcpy(in, data, size);
        pure(in, size);
        free(in);
    }
    return 0;
}
