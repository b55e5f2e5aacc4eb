/* sigv2.c - AWS Signature Version 2 for S3; see sigv2.h.
 * Spec: S3 developer guide, "Signing and authenticating REST requests" and its
 * "Query string request authentication alternative". Where the guide is silent the
 * clients that still sign V2 decide: botocore's HmacV1Auth/HmacV1QueryAuth (aws CLI v1
 * presign) and s3cmd's sign_request_v2/sign_url_base_v2.
 *
 * The path that was signed. The guide signs "the path part of the un-decoded HTTP
 * Request-URI" literally (with "/" + bucket in front for virtual-hosted requests).
 * When s3cgi is mounted under a prefix (cfg->prefix, e.g. "/s3") clients disagree:
 * botocore signs the URL path it sends ("/s3/bucket/key"), s3cmd with a host_base of
 * "host/s3" sends "/s3/bucket/key" but signs "/bucket/key" (format_uri adds base_path
 * to the request only). Both are accepted: the signature is checked over the full raw
 * path and over the path below the prefix; every candidate is computed and the
 * results OR-ed, so the time taken does not tell which one matched. Either way the
 * signature binds the bucket and key the request is routed to.
 */
#include "sigv2.h"

#include <string.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "config.h"
#include "hash.h"
#include "request.h"
#include "util.h"

#define SHA1_LEN 20
#define DEFAULT_SKEW 900
#define MAX_SIG_TEXT 64             /* longer Signature values cannot be a 20-byte HMAC */

#define MSG_BAD_HEADER "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"
#define MSG_NO_DATE "AWS authentication requires a valid Date or x-amz-date header"
#define MSG_QUERY_PARAMS "Query-string authentication requires the Signature, Expires and " \
    "AWSAccessKeyId parameters"
#define MSG_STREAMING "Signed aws-chunked payloads (x-amz-content-sha256: STREAMING-AWS4-...) " \
    "require AWS Signature Version 4"

/* ================================================================ pure part */

/* CanonicalizedResource parameters: the guide's list, "delete", the response-*
 * overrides, and what botocore's HmacV1Auth.QSAOfInterest adds (s3cmd's list is a
 * subset). Exact case, as the clients compare them. */
static const char *const subresources[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
    "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
    "partNumber", "policy", "replication", "requestPayment", "response-cache-control",
    "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore",
    "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
    "versionId", "versioning", "versions", "website",
};

int sigv2_is_subresource(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof subresources / sizeof subresources[0]; i++)
        if (strlen(subresources[i]) == len && memcmp(subresources[i], name, len) == 0)
            return 1;
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* Byte-wise order of the lowercased names; a proper prefix sorts first. */
static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)lower(a[i]), y = (unsigned char)lower(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return al < bl ? -1 : al > bl;
}

static int is_amz(const struct sigv2_header *h)
{
    return h->name_len > 6 && name_cmp(h->name, 6, "x-amz-", 6) == 0;
}

/* Trimmed value with folded lines unfolded (see sigv2.h). */
static void add_value(struct buf *out, const char *v, size_t len)
{
    while (len && is_ws(*v)) {
        v++;
        len--;
    }
    while (len && is_ws(v[len - 1]))
        len--;
    size_t i = 0;
    while (i < len) {
        if (!is_ws(v[i])) {
            size_t j = i;
            while (j < len && !is_ws(v[j]))
                j++;
            buf_add(out, v + i, j - i);
            i = j;
            continue;
        }
        size_t j = i;
        int fold = 0;
        for (; j < len && is_ws(v[j]); j++)
            if (v[j] == '\r' || v[j] == '\n')
                fold = 1;
        if (fold)
            buf_addc(out, ' ');
        else
            buf_add(out, v + i, j - i);
        i = j;
    }
}

/* Selection by increasing name: no allocation, n is bounded by the header cap. */
int sigv2_canonical_amz_headers(struct buf *out, const struct sigv2_header *h, size_t n)
{
    const struct sigv2_header *prev = NULL;
    for (;;) {
        const struct sigv2_header *next = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!is_amz(&h[i]) ||
                (prev && name_cmp(h[i].name, h[i].name_len, prev->name, prev->name_len) <= 0))
                continue;
            if (!next || name_cmp(h[i].name, h[i].name_len, next->name, next->name_len) < 0)
                next = &h[i];
        }
        if (!next)
            break;
        for (size_t i = 0; i < next->name_len; i++)
            buf_addc(out, lower(next->name[i]));
        buf_addc(out, ':');
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            if (!is_amz(&h[i]) || name_cmp(h[i].name, h[i].name_len, next->name, next->name_len))
                continue;
            if (!first)
                buf_addc(out, ',');
            add_value(out, h[i].value, h[i].value_len);
            first = 0;
        }
        buf_addc(out, '\n');
        prev = next;
    }
    return out->failed ? -1 : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends the percent-decoding of s ('+' kept). 0 or -1 on a bad escape. */
static int add_decoded(struct buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            buf_addc(out, s[i]);
            continue;
        }
        if (i + 2 >= len)
            return -1;
        int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        buf_addc(out, (char)(hi << 4 | lo));
        i += 2;
    }
    return 0;
}

/* One query item "name[=value]" of the raw query. */
struct qitem {
    const char *name; size_t name_len;
    const char *value; size_t value_len;
    int has_value;
};

/* The item of raw[*pos..len) and advances *pos past it; 0 when the query is done. */
static int next_item(const char *raw, size_t len, size_t *pos, struct qitem *it)
{
    while (*pos < len && raw[*pos] == '&')
        (*pos)++;
    if (*pos >= len)
        return 0;
    const char *p = raw + *pos;
    const char *amp = memchr(p, '&', len - *pos);
    size_t ilen = amp ? (size_t)(amp - p) : len - *pos;
    const char *eq = memchr(p, '=', ilen);
    it->name = p;
    it->name_len = eq ? (size_t)(eq - p) : ilen;
    it->has_value = eq != NULL;
    it->value = eq ? eq + 1 : p + ilen;
    it->value_len = eq ? ilen - it->name_len - 1 : 0;
    *pos += ilen;
    return 1;
}

static int raw_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (al < bl ? -1 : al > bl);
}

int sigv2_canonical_resource(struct buf *out, const struct sigv2_request *r)
{
    const char *q = r->raw_query;
    size_t qlen = q ? r->raw_query_len : 0;
    const char *prev = NULL;
    size_t prev_len = 0;
    char sep = '?';

    if (r->bucket_len) {
        buf_addc(out, '/');
        buf_add(out, r->bucket, r->bucket_len);
    }
    if (r->path_len)
        buf_add(out, r->path, r->path_len);
    else
        buf_addc(out, '/');
    /* sub-resources by increasing name; equal names keep their order (stable) */
    for (;;) {
        struct qitem it, next = { 0 };
        int found = 0;
        size_t pos = 0;
        while (next_item(q, qlen, &pos, &it)) {
            if (!sigv2_is_subresource(it.name, it.name_len) ||
                (prev && raw_cmp(it.name, it.name_len, prev, prev_len) <= 0))
                continue;
            if (!found || raw_cmp(it.name, it.name_len, next.name, next.name_len) < 0)
                next = it;
            found = 1;
        }
        if (!found)
            break;
        pos = 0;
        while (next_item(q, qlen, &pos, &it)) {
            if (raw_cmp(it.name, it.name_len, next.name, next.name_len))
                continue;
            buf_addc(out, sep);
            sep = '&';
            buf_add(out, it.name, it.name_len);
            if (it.has_value) {
                buf_addc(out, '=');
                if (add_decoded(out, it.value, it.value_len) < 0)
                    return -1;
            }
        }
        prev = next.name;
        prev_len = next.name_len;
    }
    return out->failed ? -1 : 0;
}

int sigv2_string_to_sign(struct buf *out, const struct sigv2_request *r)
{
    buf_add(out, r->method, r->method_len);
    buf_addc(out, '\n');
    buf_add(out, r->content_md5, r->content_md5_len);
    buf_addc(out, '\n');
    buf_add(out, r->content_type, r->content_type_len);
    buf_addc(out, '\n');
    buf_add(out, r->date, r->date_len);
    buf_addc(out, '\n');
    if (sigv2_canonical_amz_headers(out, r->headers, r->nheaders) < 0 ||
        sigv2_canonical_resource(out, r) < 0)
        return -1;
    return out->failed ? -1 : 0;
}

void sigv2_hmac_sha1(const char *secret, size_t secret_len, const void *data, size_t len,
                     unsigned char out[20])
{
    hash_hmac(HASH_SHA1, secret, secret_len, data, len, out);
}

/* HMAC of r's string to sign; 0 or -1. */
static int sign_raw(const struct sigv2_request *r, const char *secret, size_t secret_len,
                    unsigned char md[SHA1_LEN])
{
    struct buf b;
    buf_init(&b, SIGV2_MAX_STS);
    int rc = sigv2_string_to_sign(&b, r);
    if (rc == 0)
        sigv2_hmac_sha1(secret, secret_len, buf_str(&b), b.len, md);
    buf_free(&b);
    return rc;
}

int sigv2_signature(const struct sigv2_request *r, const char *secret, size_t secret_len,
                    char out[SIGV2_SIG_LEN + 1])
{
    unsigned char md[SHA1_LEN];
    if (sign_raw(r, secret, secret_len, md) < 0)
        return -1;
    base64_encode(md, SHA1_LEN, out);
    OPENSSL_cleanse(md, sizeof md);
    return 0;
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

static int has_ws(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (is_ws(s[i]))
            return 1;
    return 0;
}

int sigv2_parse_authorization(const char *hdr, size_t len, const char **ak, size_t *ak_len,
                              const char **sig, size_t *sig_len)
{
    trim(&hdr, &len);
    const char *colon = memchr(hdr, ':', len);
    if (!colon)
        return -1;
    *ak = hdr;
    *ak_len = (size_t)(colon - hdr);
    *sig = colon + 1;
    *sig_len = len - *ak_len - 1;
    if (!*ak_len || !*sig_len || has_ws(*ak, *ak_len) || has_ws(*sig, *sig_len))
        return -1;
    return 0;
}

int sigv2_parse_date(const char *s, size_t len, time_t *out)
{
    char tmp[64];
    trim(&s, &len);
    if (time_parse_http(s, len, out) == 0 || time_parse_amz(s, len, out) == 0)
        return 0;
    /* "<date> <time> +hhmm" / "-hhmm" / "UTC": rewrite the zone as GMT, then shift */
    size_t head = len;
    while (head && s[head - 1] != ' ')
        head--;
    if (!head--)
        return -1;
    size_t zlen = len - head - 1;
    const char *z = s + head + 1;
    long off = 0;
    if (zlen == 5 && (z[0] == '+' || z[0] == '-')) {
        for (int i = 1; i < 5; i++)
            if (z[i] < '0' || z[i] > '9')
                return -1;
        int hh = (z[1] - '0') * 10 + (z[2] - '0'), mm = (z[3] - '0') * 10 + (z[4] - '0');
        if (hh > 23 || mm > 59)
            return -1;
        off = (hh * 60L + mm) * 60L * (z[0] == '-' ? -1 : 1);
    } else if (!(zlen == 3 && memcmp(z, "UTC", 3) == 0)) {
        return -1;
    }
    if (head + 4 > sizeof tmp)
        return -1;
    memcpy(tmp, s, head);
    memcpy(tmp + head, " GMT", 4);
    if (time_parse_http(tmp, head + 4, out) < 0)
        return -1;
    *out -= off;
    return 0;
}

/* ===================================================== request authentication */

static long long skew_limit(const struct s3_request *req)
{
    return req->cfg->max_skew >= 0 ? req->cfg->max_skew : DEFAULT_SKEW;
}

static const char *header_trimmed(const struct s3_request *req, const char *name, size_t *len)
{
    const char *v = s3_req_header(req, name);
    if (!v)
        return NULL;
    *len = strlen(v);
    trim(&v, len);
    return v;
}

/* Query parameter by name, any case (botocore lowercases the header names it moves
 * into a presigned URL). */
static const struct s3_qparam *query_ci(const struct s3_request *req, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < req->nquery; i++)
        if (strlen(req->query[i].name) == nlen &&
            name_cmp(req->query[i].name, nlen, name, nlen) == 0)
            return &req->query[i];
    return NULL;
}

/* Content-MD5 / Content-Type line: the header, else (query form) the parameter. */
static void positional(const struct s3_request *req, const char *name, int query,
                       const char **v, size_t *len)
{
    *len = 0;
    *v = header_trimmed(req, name, len);
    if (!*v && query) {
        const struct s3_qparam *q = query_ci(req, name);
        if (q) {
            *v = q->value;
            *len = strlen(q->value);
            trim(v, len);
        }
    }
    if (!*v) {
        *v = "";
        *len = 0;
    }
}

static int has_header_ci(const struct s3_request *req, const char *name, size_t len)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (name_cmp(req->headers[i].name, strlen(req->headers[i].name), name, len) == 0)
            return 1;
    return 0;
}

/* The request's headers, plus (query form) x-amz-* query parameters that no header
 * of the same name overrides. NULL when the arena is exhausted. */
static struct sigv2_header *amz_inputs(const struct s3_request *req, int query, size_t *n)
{
    size_t cap = req->nheaders + (query ? req->nquery : 0);
    struct sigv2_header *hs = arena_alloc(req->arena, (cap ? cap : 1) * sizeof *hs);
    *n = 0;
    if (!hs)
        return NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        struct sigv2_header *h = &hs[(*n)++];
        h->name = req->headers[i].name;
        h->name_len = strlen(h->name);
        h->value = req->headers[i].value;
        h->value_len = strlen(h->value);
    }
    for (size_t i = 0; query && i < req->nquery; i++) {
        const struct s3_qparam *q = &req->query[i];
        size_t nl = strlen(q->name);
        if (nl <= 6 || name_cmp(q->name, 6, "x-amz-", 6) != 0 || has_header_ci(req, q->name, nl))
            continue;
        struct sigv2_header *h = &hs[(*n)++];
        h->name = q->name;
        h->name_len = nl;
        h->value = q->value;
        h->value_len = strlen(q->value);
    }
    return hs;
}

/* Virtual-hosted style: the bucket label of "<bucket>.<domain>[:port]" for a
 * configured domain (request.c routes by the same rule). */
static const char *vhost_bucket(const struct s3_request *req, size_t *len)
{
    const char *host = req->host ? req->host : s3_req_header(req, "host");
    *len = 0;
    if (!host)
        return NULL;
    size_t hl = strlen(host);
    const char *colon = host[0] != '[' ? memchr(host, ':', hl) : NULL;
    if (colon)
        hl = (size_t)(colon - host);
    for (size_t i = 0; i < req->cfg->ndomains; i++) {
        const char *d = req->cfg->domains[i];
        size_t dl = d ? strlen(d) : 0;
        if (dl && hl > dl + 1 && host[hl - dl - 1] == '.' &&
            name_cmp(host + hl - dl, dl, d, dl) == 0) {
            *len = hl - dl - 1;
            return host;
        }
    }
    return NULL;
}

/* The raw path, and the path below cfg->prefix when the request is under it. */
static size_t path_candidates(const struct s3_request *req, const char *p[2], size_t l[2])
{
    const struct s3_config *cfg = req->cfg;
    size_t pl = cfg->prefix ? cfg->prefix_len : 0;
    p[0] = req->raw_path ? req->raw_path : "";
    l[0] = req->raw_path ? req->raw_path_len : 0;
    if (pl && l[0] >= pl && memcmp(p[0], cfg->prefix, pl) == 0 &&
        (l[0] == pl || p[0][pl] == '/')) {
        p[1] = p[0] + pl;
        l[1] = l[0] - pl;
        return 2;
    }
    return 1;
}

/* The signature given (base64, 20 bytes) against every candidate StringToSign. */
static enum s3_err verify(struct s3_request *req, const struct s3_credential *cred,
                          const char *date, size_t date_len, int query,
                          const char *sig, size_t sig_len)
{
    unsigned char given[SHA1_LEN], want[SHA1_LEN];
    char text[MAX_SIG_TEXT];
    const char *paths[2];
    size_t path_lens[2], nh;
    int match = 0;

    if (sig_len > sizeof text)
        return S3E_SIGNATURE_MISMATCH;
    for (size_t i = 0; i < sig_len; i++)
        text[i] = query && sig[i] == ' ' ? '+' : sig[i];
    if (base64_decode(text, sig_len, given, sizeof given) != SHA1_LEN)
        return S3E_SIGNATURE_MISMATCH;

    const struct sigv2_header *hs = amz_inputs(req, query, &nh);
    if (!hs)
        return S3E_INTERNAL;
    const char *method = req->method_str ? req->method_str : "";
    struct sigv2_request r = {
        .method = method, .method_len = strlen(method),
        .date = date, .date_len = date_len,
        .headers = hs, .nheaders = nh,
        .raw_query = req->raw_query, .raw_query_len = req->raw_query ? req->raw_query_len : 0,
    };
    positional(req, "content-md5", query, &r.content_md5, &r.content_md5_len);
    positional(req, "content-type", query, &r.content_type, &r.content_type_len);
    r.bucket = vhost_bucket(req, &r.bucket_len);

    size_t n = path_candidates(req, paths, path_lens);
    for (size_t i = 0; i < n; i++) {
        r.path = paths[i];
        r.path_len = path_lens[i];
        if (sign_raw(&r, cred->secret_key, strlen(cred->secret_key), want) < 0)
            return S3E_INVALID_ARGUMENT;
        match |= ct_memeq(want, given, SHA1_LEN);
    }
    OPENSSL_cleanse(want, sizeof want);
    if (!match)
        return S3E_SIGNATURE_MISMATCH;
    req->auth.cred = cred;
    req->auth.presigned = query;
    req->auth.deferred = 0;
    return S3E_OK;
}

/* aws-chunked with chunk signatures is seeded by a SigV4 signature: V2 cannot carry it. */
static int signed_streaming(const struct s3_request *req)
{
    size_t len;
    const char *v = header_trimmed(req, "x-amz-content-sha256", &len);
    return v && len > 15 && memcmp(v, "STREAMING-AWS4-", 15) == 0;
}

static enum s3_err lookup(const struct s3_request *req, const char *ak, size_t ak_len,
                          const struct s3_credential **cred)
{
    *cred = s3_config_find_key(req->cfg, ak, ak_len);
    return *cred ? S3E_OK : S3E_INVALID_ACCESS_KEY;
}

enum s3_err sigv2_auth_header(struct s3_request *req, const char *hdr, size_t len,
                              const char **msg)
{
    const char *ak, *sig, *date;
    size_t ak_len, sig_len, date_len = 0;
    const struct s3_credential *cred;
    time_t t;
    enum s3_err e;

    *msg = NULL;
    if (sigv2_parse_authorization(hdr, len, &ak, &ak_len, &sig, &sig_len) < 0) {
        *msg = MSG_BAD_HEADER;
        return S3E_INVALID_ARGUMENT;
    }
    /* x-amz-date wins over Date and then the Date line is empty (the guide's "Time
     * stamp requirement"); x-amz-date itself is among the amz headers. */
    const char *amz = header_trimmed(req, "x-amz-date", &date_len);
    if (amz) {
        date = "";
        if (sigv2_parse_date(amz, date_len, &t) < 0) {
            *msg = MSG_NO_DATE;
            return S3E_ACCESS_DENIED;
        }
        date_len = 0;
    } else {
        date = header_trimmed(req, "date", &date_len);
        if (!date || sigv2_parse_date(date, date_len, &t) < 0) {
            *msg = MSG_NO_DATE;
            return S3E_ACCESS_DENIED;
        }
    }
    if ((e = lookup(req, ak, ak_len, &cred)) != S3E_OK)
        return e;
    long long d = (long long)req->now - (long long)t;
    if (d > skew_limit(req) || -d > skew_limit(req))
        return S3E_REQUEST_TIME_SKEWED;
    if (signed_streaming(req)) {
        *msg = MSG_STREAMING;
        return S3E_INVALID_ARGUMENT;
    }
    return verify(req, cred, date, date_len, 0, sig, sig_len);
}

enum s3_err sigv2_auth_query(struct s3_request *req, const char **msg)
{
    const char *ak = s3_req_query(req, "AWSAccessKeyId");
    const char *sig = s3_req_query(req, "Signature");
    const char *exp = s3_req_query(req, "Expires");
    const struct s3_credential *cred;
    unsigned long long expires;
    enum s3_err e;

    *msg = NULL;
    if (!ak || !*ak || !sig || !*sig || !exp) {
        *msg = MSG_QUERY_PARAMS;
        return S3E_ACCESS_DENIED;
    }
    size_t exp_len = strlen(exp);
    if (parse_u64(exp, exp_len, ~0ULL >> 1, &expires) < 0) {
        *msg = arena_printf(req->arena, "Invalid date (should be seconds since epoch): %s", exp);
        return S3E_ACCESS_DENIED;
    }
    if ((e = lookup(req, ak, strlen(ak), &cred)) != S3E_OK)
        return e;
    if ((long long)req->now > (long long)expires)
        return S3E_EXPIRED_REQUEST;
    if (signed_streaming(req)) {
        *msg = MSG_STREAMING;
        return S3E_INVALID_ARGUMENT;
    }
    return verify(req, cred, exp, exp_len, 1, sig, strlen(sig));
}
