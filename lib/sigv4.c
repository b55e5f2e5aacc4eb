/* sigv4.c - pure AWS Signature Version 4 building blocks; see sigv4.h.
 * Spec: S3 API reference, "Authenticating Requests (AWS Signature Version 4)",
 * "Signature Calculations for the Authorization Header" (canonical request, string to
 * sign, signing key) and "Authenticating Requests: Using Query Parameters".
 * S3-specific: the path is neither normalised nor double-encoded.
 * No I/O, no clock, no globals: every input is a parameter.
 */
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hash.h"
#include "uri.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SHA256_LEN 32
#define HMAC_BLOCK 64

/* ---------------------------------------------------------------- hashing */

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_LEN];
    hash_once(HASH_SHA256, data, len, md);
    hex_encode(md, SHA256_LEN, out);
}

/* HMAC-SHA256 with an arbitrary key; out gets 32 bytes. */
static void hmac_raw(const void *key, size_t keylen, const void *data, size_t len,
                     unsigned char out[SHA256_LEN])
{
    hash_hmac(HASH_SHA256, key, keylen, data, len, out);
}

void sigv4_hmac_hex(const unsigned char key[32], const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_LEN];
    hmac_raw(key, SHA256_LEN, data, len, md);
    hex_encode(md, SHA256_LEN, out);
}

/* kSecret = "AWS4" + secret. HMAC (RFC 2104) replaces a key longer than the block by
 * its hash, so long secrets are hashed here and no allocation is needed. */
static size_t secret_key(const char *secret, unsigned char k[HMAC_BLOCK])
{
    size_t slen = strlen(secret);
    if (slen <= HMAC_BLOCK - 4) {
        memcpy(k, "AWS4", 4);
        memcpy(k + 4, secret, slen);
        return slen + 4;
    }
    struct hash_ctx h;
    hash_init(&h, HASH_SHA256);
    hash_update(&h, "AWS4", 4);
    hash_update(&h, secret, slen);
    return hash_final(&h, k);
}

void sigv4_signing_key(const char *secret, const char *date, size_t date_len,
                       const char *region, size_t region_len,
                       const char *service, size_t service_len, unsigned char out[32])
{
    unsigned char k[HMAC_BLOCK], a[SHA256_LEN], b[SHA256_LEN];
    size_t klen = secret_key(secret, k);
    hmac_raw(k, klen, date, date_len, a);              /* kDate */
    hmac_raw(a, SHA256_LEN, region, region_len, b);    /* kRegion */
    hmac_raw(b, SHA256_LEN, service, service_len, a);  /* kService */
    hmac_raw(a, SHA256_LEN, "aws4_request", 12, out);  /* kSigning */
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
}

/* ------------------------------------------------------- small validators */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sigv4_is_hex64(const char *s, size_t len)
{
    if (len != 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (hexval((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

/* RFC 7230 tchar. */
static int tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int case_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int sigv4_signed_headers_valid(const char *s, size_t len)
{
    size_t count = 0, entry = 0;
    if (len == 0)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == ';') {
            if (entry == 0 || ++count > SIGV4_MAX_SIGNED_HEADERS)
                return 0;
            entry = 0;
        } else if (!tchar((unsigned char)s[i])) {
            return 0;
        } else {
            entry++;
        }
    }
    return 1;
}

int sigv4_signed_headers_has(const char *list, size_t len, const char *name, size_t name_len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || list[i] == ';') {
            if (case_eq(list + start, i - start, name, name_len))
                return 1;
            start = i + 1;
        }
    }
    return 0;
}

/* ------------------------------------------------- Authorization header */

int sigv4_parse_credential(const char *s, size_t len, struct sigv4_authz *out)
{
    const char *part[5];
    size_t plen[5];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (n == 5 || i == start)
                return -1;
            part[n] = s + start;
            plen[n++] = i - start;
            start = i + 1;
        }
    }
    if (n != 5)
        return -1;
    out->access_key = part[0]; out->access_key_len = plen[0];
    out->date = part[1]; out->date_len = plen[1];
    out->region = part[2]; out->region_len = plen[2];
    out->service = part[3]; out->service_len = plen[3];
    out->terminator = part[4]; out->terminator_len = plen[4];
    return 0;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Stores one "Key=value" component into out; each key at most once (seen bits). */
static int authz_component(const char *p, size_t len, struct sigv4_authz *out, unsigned *seen)
{
    const char *eq = memchr(p, '=', len);
    if (!eq)
        return -1;
    size_t klen = (size_t)(eq - p);
    const char *v = eq + 1;
    size_t vlen = len - klen - 1;
    if (klen == 10 && memcmp(p, "Credential", 10) == 0 && !(*seen & 1)) {
        *seen |= 1;
        return sigv4_parse_credential(v, vlen, out);
    }
    if (klen == 13 && memcmp(p, "SignedHeaders", 13) == 0 && !(*seen & 2)) {
        *seen |= 2;
        out->signed_headers = v;
        out->signed_headers_len = vlen;
        return sigv4_signed_headers_valid(v, vlen) ? 0 : -1;
    }
    if (klen == 9 && memcmp(p, "Signature", 9) == 0 && !(*seen & 4)) {
        *seen |= 4;
        out->signature = v;
        out->signature_len = vlen;
        return sigv4_is_hex64(v, vlen) ? 0 : -1;
    }
    return -1;
}

int sigv4_parse_authorization(const char *hdr, size_t len, struct sigv4_authz *out)
{
    const char *p = hdr, *end = hdr + len;
    unsigned seen = 0;
    memset(out, 0, sizeof *out);
    while (p < end && is_ows(*p))
        p++;
    while (end > p && is_ows(end[-1]))
        end--;
    size_t alen = sizeof ALGORITHM - 1;
    if ((size_t)(end - p) <= alen || memcmp(p, ALGORITHM, alen) != 0 || !is_ows(p[alen]))
        return -1;
    p += alen;
    for (;;) {
        while (p < end && is_ows(*p))
            p++;
        size_t rest = p < end ? (size_t)(end - p) : 0;   /* p <= end; stated for the optimiser */
        const char *comma = rest ? memchr(p, ',', rest) : NULL;
        const char *cend = comma ? comma : end;
        const char *t = cend;
        while (t > p && is_ows(t[-1]))
            t--;
        if (t == p || authz_component(p, (size_t)(t - p), out, &seen) < 0)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return seen == 7 ? 0 : -1;
}

/* ------------------------------------------------------ canonical request */

/* S3 keeps '/' literal and re-encodes each segment: a literal '/' separates segments,
 * an encoded "%2F" is data and stays "%2F". No normalisation of "." or "//". */
int sigv4_canonical_uri(struct buf *out, const char *raw_path, size_t len)
{
    size_t run = 0;     /* start of the literal bytes not yet emitted */
    if (len == 0)
        return buf_addc(out, '/');
    for (size_t i = 0; i < len; i++) {
        if (raw_path[i] != '%')
            continue;
        int h, l;
        if (len - i < 3 || (h = hexval((unsigned char)raw_path[i + 1])) < 0 ||
            (l = hexval((unsigned char)raw_path[i + 2])) < 0)
            return -1;
        char c = (char)(h << 4 | l);
        if (uri_encode(out, raw_path + run, i - run, 1) < 0 || uri_encode(out, &c, 1, 0) < 0)
            return -1;
        i += 2;
        run = i + 1;
    }
    return uri_encode(out, raw_path + run, len - run, 1);
}

/* One query parameter, both parts UriEncoded, as offsets into a scratch buffer
 * (the buffer may move while it grows). */
struct qpair {
    size_t name, name_len, value, value_len;
    const char *base;
};

static int qpair_cmp(const void *pa, const void *pb)
{
    const struct qpair *a = pa, *b = pb;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->base + a->name, b->base + b->name, n);
    if (c || a->name_len != b->name_len)
        return c ? c : (a->name_len < b->name_len ? -1 : 1);
    n = a->value_len < b->value_len ? a->value_len : b->value_len;
    c = memcmp(a->base + a->value, b->base + b->value, n);
    if (c || a->value_len != b->value_len)
        return c ? c : (a->value_len < b->value_len ? -1 : 1);
    return 0;
}

/* Decodes in[0..len) and appends its UriEncode ('/' encoded too) to scratch. */
static int recode(struct buf *scratch, const char *in, size_t len, char *tmp)
{
    long n = uri_decode(in, len, tmp);
    return n < 0 ? -1 : uri_encode(scratch, tmp, (size_t)n, 0);
}

int sigv4_canonical_query(struct buf *out, const char *raw_query, size_t len, int drop_signature)
{
    static const char sig[] = "X-Amz-Signature";
    struct buf scratch;
    struct qpair *pairs = NULL;
    char *tmp = NULL;
    size_t npairs = 0, maxpairs = 1;
    int rc = -1;

    for (size_t i = 0; i < len; i++)
        maxpairs += raw_query[i] == '&';
    buf_init(&scratch, 3 * len + 16);
    pairs = calloc(maxpairs, sizeof *pairs);
    tmp = malloc(len + 1);
    if (!pairs || !tmp || buf_add(&scratch, "", 0) < 0)   /* scratch.data never NULL */
        goto fail;

    for (size_t start = 0, i = 0; i <= len; i++) {
        if (i < len && raw_query[i] != '&')
            continue;
        const char *p = raw_query + start;
        size_t plen = i - start;
        start = i + 1;
        if (plen == 0)
            continue;
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        struct qpair *q = &pairs[npairs];
        q->name = scratch.len;
        if (recode(&scratch, p, nlen, tmp) < 0)
            goto fail;
        q->name_len = scratch.len - q->name;
        q->value = scratch.len;
        if (eq && recode(&scratch, eq + 1, plen - nlen - 1, tmp) < 0)
            goto fail;
        q->value_len = scratch.len - q->value;
        if (drop_signature && q->name_len == sizeof sig - 1 &&
            memcmp(scratch.data + q->name, sig, sizeof sig - 1) == 0) {
            scratch.len = q->name;
            continue;
        }
        npairs++;
    }
    for (size_t k = 0; k < npairs; k++)
        pairs[k].base = scratch.data;
    qsort(pairs, npairs, sizeof *pairs, qpair_cmp);
    for (size_t k = 0; k < npairs; k++) {
        const struct qpair *q = &pairs[k];
        if ((k && buf_addc(out, '&') < 0) ||
            buf_add(out, scratch.data + q->name, q->name_len) < 0 ||
            buf_addc(out, '=') < 0 ||
            buf_add(out, scratch.data + q->value, q->value_len) < 0)
            goto fail;
    }
    rc = out->failed ? -1 : 0;
fail:
    buf_free(&scratch);
    free(pairs);
    free(tmp);
    return rc;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sigv4_header_value(struct buf *out, const char *v, size_t len)
{
    size_t i = 0;
    while (len > 0 && is_ws(v[len - 1]))
        len--;
    while (i < len && is_ws(v[i]))
        i++;
    while (i < len) {
        size_t run = i;
        while (i < len && !is_ws(v[i]))
            i++;
        if (buf_add(out, v + run, i - run) < 0)
            return -1;
        if (i < len && buf_addc(out, ' ') < 0)
            return -1;
        while (i < len && is_ws(v[i]))
            i++;
    }
    return out->failed ? -1 : 0;
}

/* Appends the values of every header named name, joined with ','. */
static int header_values(struct buf *out, const struct sigv4_request *r,
                         const char *name, size_t name_len)
{
    int first = 1;
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct sigv4_header *h = &r->headers[i];
        if (!case_eq(h->name, h->name_len, name, name_len))
            continue;
        if ((!first && buf_addc(out, ',') < 0) ||
            sigv4_header_value(out, h->value, h->value_len) < 0)
            return -1;
        first = 0;
    }
    return 0;
}

int sigv4_canonical_headers(struct buf *out, const struct sigv4_request *r)
{
    const char *list = r->signed_headers;
    size_t len = r->signed_headers_len, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && list[i] != ';')
            continue;
        const char *name = list + start;
        size_t nlen = i - start;
        start = i + 1;
        if (buf_add(out, name, nlen) < 0 || buf_addc(out, ':') < 0 ||
            header_values(out, r, name, nlen) < 0 || buf_addc(out, '\n') < 0)
            return -1;
    }
    return out->failed ? -1 : 0;
}

int sigv4_canonical_request(struct buf *out, const struct sigv4_request *r)
{
    if (buf_add(out, r->method, r->method_len) < 0 || buf_addc(out, '\n') < 0 ||
        sigv4_canonical_uri(out, r->raw_path, r->raw_path_len) < 0 || buf_addc(out, '\n') < 0 ||
        sigv4_canonical_query(out, r->raw_query, r->raw_query_len, r->drop_signature) < 0 ||
        buf_addc(out, '\n') < 0 || sigv4_canonical_headers(out, r) < 0 ||
        buf_addc(out, '\n') < 0 ||
        buf_add(out, r->signed_headers, r->signed_headers_len) < 0 || buf_addc(out, '\n') < 0 ||
        buf_add(out, r->payload_hash, r->payload_hash_len) < 0)
        return -1;
    return 0;
}

int sigv4_string_to_sign(struct buf *out, const char *amz_date, const char *scope,
                         size_t scope_len, const char *creq, size_t creq_len)
{
    char hash[65];
    sigv4_sha256_hex(creq, creq_len, hash);
    if (buf_adds(out, ALGORITHM "\n") < 0 || buf_adds(out, amz_date) < 0 ||
        buf_addc(out, '\n') < 0 || buf_add(out, scope, scope_len) < 0 ||
        buf_addc(out, '\n') < 0 || buf_add(out, hash, 64) < 0)
        return -1;
    return 0;
}

int sigv4_signature(const struct sigv4_request *r, const char *amz_date,
                    const char *scope, size_t scope_len, const unsigned char key[32],
                    char out[65])
{
    struct buf creq, sts;
    int rc = -1;
    buf_init(&creq, SIGV4_MAX_CANONICAL);
    buf_init(&sts, 512);
    out[0] = '\0';
    if (sigv4_canonical_request(&creq, r) < 0 ||
        sigv4_string_to_sign(&sts, amz_date, scope, scope_len, buf_str(&creq), creq.len) < 0)
        goto fail;
    sigv4_hmac_hex(key, sts.data, sts.len, out);
    rc = 0;
fail:
    buf_free(&creq);
    buf_free(&sts);
    return rc;
}
