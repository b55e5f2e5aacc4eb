/* request.c - CGI variables -> struct s3_request (no body I/O).
 *
 * Routing uses REQUEST_URI, the raw request target on lighttpd, nginx
 * (fastcgi_param REQUEST_URI $request_uri) and Apache; PATH_INFO is decoded by the
 * web servers and cannot carry S3 keys faithfully (GUIDE section 4).
 */
#include "request.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/random.h>

#include "config.h"
#include "uri.h"
#include "util.h"

#define REQ_MAX_HEADERS 256
#define REQ_MAX_QUERY 128
#define REQ_MAX_URI 16384

const char *s3_req_header(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const struct s3_qparam *s3_req_qparam(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return &req->query[i];
    return NULL;
}

const char *s3_req_query(const struct s3_request *req, const char *name)
{
    const struct s3_qparam *q = s3_req_qparam(req, name);
    return q ? q->value : NULL;
}

static const struct { const char *name; enum s3_method m; } methods[] = {
    { "GET", M_GET }, { "HEAD", M_HEAD }, { "PUT", M_PUT }, { "POST", M_POST },
    { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
};

/* Request ids must be unique, not secret: a 64-bit state seeded once per process
 * from getrandom(2) (time and pid if entropy is not ready), then stepped by a
 * splitmix64 counter, so a FastCGI process makes no system call per id. */
static void make_request_id(char out[17])
{
    static unsigned long long state;
    static int seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof state, GRND_NONBLOCK) != (ssize_t)sizeof state) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            state = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
            state ^= (unsigned long long)getpid() << 40;
        }
        seeded = 1;
    }
    unsigned long long z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    static const char digits[] = "0123456789ABCDEF";
    for (int i = 15; i >= 0; i--, z >>= 4)
        out[i] = digits[z & 15];
    out[16] = '\0';
}

/* "HTTP_X_AMZ_DATE" -> "x-amz-date"; CONTENT_TYPE/CONTENT_LENGTH too. */
static char *header_name(struct arena *a, const char *var, size_t n)
{
    char *s = arena_strndup(a, var, n);
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        *p = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return s;
}

static enum s3_err add_header(struct s3_request *req, size_t *cap, char *name, const char *value)
{
    if (!name)
        return S3E_INTERNAL;
    if (req->nheaders == *cap) {
        if (*cap == REQ_MAX_HEADERS)
            return S3E_HEADERS_TOO_LARGE;
        size_t ncap = *cap ? *cap * 2 : 32;
        struct s3_header *h = arena_alloc(req->arena, ncap * sizeof *h);
        if (!h)
            return S3E_INTERNAL;
        if (req->nheaders)
            memcpy(h, req->headers, req->nheaders * sizeof *h);
        req->headers = h;
        *cap = ncap;
    }
    req->headers[req->nheaders].name = name;
    req->headers[req->nheaders].value = arena_strdup(req->arena, value);
    if (!req->headers[req->nheaders].value)
        return S3E_INTERNAL;
    req->nheaders++;
    return S3E_OK;
}

static enum s3_err parse_headers(struct s3_request *req)
{
    size_t cap = 0;
    int have_authz = 0;
    for (char **e = req->io->env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t n = (size_t)(eq - *e);
        char *name = NULL;
        if (n > 5 && strncmp(*e, "HTTP_", 5) == 0) {
            /* lighttpd and nginx also pass HTTP_CONTENT_LENGTH / HTTP_CONTENT_TYPE; the
             * CGI variables are authoritative, and a header counted twice would be
             * canonicalised as "v,v" and break signatures */
            if ((n == 19 && strncmp(*e, "HTTP_CONTENT_LENGTH", 19) == 0 &&
                 s3_io_getenv(req->io, "CONTENT_LENGTH")) ||
                (n == 17 && strncmp(*e, "HTTP_CONTENT_TYPE", 17) == 0 &&
                 s3_io_getenv(req->io, "CONTENT_TYPE")))
                continue;
            name = header_name(req->arena, *e + 5, n - 5);
        }
        else if ((n == 12 && strncmp(*e, "CONTENT_TYPE", 12) == 0) ||
                 (n == 14 && strncmp(*e, "CONTENT_LENGTH", 14) == 0))
            name = header_name(req->arena, *e, n);
        else
            continue;
        if (name && strcmp(name, "authorization") == 0)
            have_authz = 1;
        enum s3_err err = add_header(req, &cap, name, eq + 1);
        if (err)
            return err;
    }
    /* Apache after an internal redirect (mod_rewrite, ScriptAlias fallbacks) */
    const char *redir = s3_io_getenv(req->io, "REDIRECT_HTTP_AUTHORIZATION");
    if (!have_authz && redir && *redir)
        return add_header(req, &cap, arena_strdup(req->arena, "authorization"), redir);
    return S3E_OK;
}

/* Decodes a query component: '+' is a space (form encoding, as S3 reads queries),
 * %XX escapes are decoded. NULL on a malformed escape. */
static char *query_decode(struct arena *a, const char *s, size_t n)
{
    char *tmp = arena_strndup(a, s, n);
    char *out = arena_alloc(a, n + 1);
    if (!tmp || !out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == '+')
            tmp[i] = ' ';
    long len = uri_decode(tmp, n, out);
    if (len < 0 || memchr(out, '\0', (size_t)len))
        return NULL;
    return out;
}

static enum s3_err parse_query(struct s3_request *req)
{
    const char *q = req->raw_query, *end = q + req->raw_query_len;
    size_t count = 0;
    for (const char *p = q; p < end; p++)
        count += *p == '&';
    if (count + 1 > REQ_MAX_QUERY)
        return S3E_INVALID_ARGUMENT;
    req->query = arena_zalloc(req->arena, (count + 1) * sizeof *req->query);
    if (!req->query)
        return S3E_INTERNAL;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (stop > q) {
            const char *eq = memchr(q, '=', (size_t)(stop - q));
            struct s3_qparam *qp = &req->query[req->nquery];
            qp->has_value = eq != NULL;
            qp->name = query_decode(req->arena, q, (size_t)((eq ? eq : stop) - q));
            qp->value = eq ? query_decode(req->arena, eq + 1, (size_t)(stop - eq - 1))
                           : arena_strdup(req->arena, "");
            if (!qp->name || !qp->value)
                return S3E_INVALID_ARGUMENT;
            req->nquery++;
        }
        q = stop + (amp ? 1 : 0);
    }
    return S3E_OK;
}

/* Host header without port, lowercased. */
static char *host_name(struct arena *a, const char *host)
{
    size_t n = strlen(host);
    const char *colon = memchr(host, ':', n);
    if (host[0] != '[' && colon)
        n = (size_t)(colon - host);
    char *h = arena_strndup(a, host, n);
    if (h)
        for (char *p = h; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p += 32;
    return h;
}

/* Virtual-hosted style: "<bucket>.<domain>" for a configured domain. */
static const char *vhost_bucket(const struct s3_request *req, size_t *blen)
{
    if (!req->host)
        return NULL;
    size_t hl = strlen(req->host);
    for (size_t i = 0; i < req->cfg->ndomains; i++) {
        const char *d = req->cfg->domains[i];
        size_t dl = strlen(d);
        if (hl > dl + 1 && req->host[hl - dl - 1] == '.' && strcasecmp(req->host + hl - dl, d) == 0) {
            *blen = hl - dl - 1;
            return req->host;
        }
    }
    return NULL;
}

/* Splits the path below the mount prefix into bucket and key. */
static enum s3_err parse_target(struct s3_request *req)
{
    const struct s3_config *cfg = req->cfg;
    const char *p = req->raw_path;
    size_t n = req->raw_path_len;
    if (cfg->prefix_len) {
        if (n < cfg->prefix_len || memcmp(p, cfg->prefix, cfg->prefix_len) != 0 ||
            (n > cfg->prefix_len && p[cfg->prefix_len] != '/'))
            return S3E_INVALID_URI;
        p += cfg->prefix_len;
        n -= cfg->prefix_len;
    }
    if (n == 0) {
        p = "/";
        n = 1;
    }
    if (p[0] != '/')
        return S3E_INVALID_URI;
    p++;
    n--;
    size_t blen;
    const char *vb = vhost_bucket(req, &blen);
    const char *key_raw;
    size_t key_raw_len;
    if (vb) {
        req->bucket = arena_strndup(req->arena, vb, blen);
        key_raw = p;
        key_raw_len = n;
    } else {
        const char *slash = memchr(p, '/', n);
        size_t seg = slash ? (size_t)(slash - p) : n;
        if (seg == 0 && slash)
            return S3E_INVALID_URI;     /* "//x": an empty bucket name, never the service */
        if (seg) {
            char *b = arena_alloc(req->arena, seg + 1);
            long bl = b ? uri_decode(p, seg, b) : -1;
            if (bl < 0 || memchr(b, '\0', (size_t)bl))
                return S3E_INVALID_URI;
            req->bucket = b;
        }
        key_raw = slash ? slash + 1 : p + n;
        key_raw_len = slash ? n - seg - 1 : 0;
    }
    if (key_raw_len) {
        char *k = arena_alloc(req->arena, key_raw_len + 1);
        long kl = k ? uri_decode(key_raw, key_raw_len, k) : -1;
        if (kl < 0)
            return S3E_INVALID_URI;
        req->key = k;
        req->key_len = (size_t)kl;
    }
    return S3E_OK;
}

static enum s3_err parse_lengths(struct s3_request *req)
{
    unsigned long long v;
    const char *cl = s3_req_header(req, "content-length");
    req->content_length = -1;
    req->decoded_length = -1;
    if (cl && *cl) {
        if (parse_u64(cl, strlen(cl), (1ULL << 62), &v) < 0)
            return S3E_INVALID_ARGUMENT;
        req->content_length = (long long)v;
    }
    const char *dl = s3_req_header(req, "x-amz-decoded-content-length");
    if (dl) {
        if (parse_u64(dl, strlen(dl), (1ULL << 62), &v) < 0)
            return S3E_INVALID_ARGUMENT;
        req->decoded_length = (long long)v;
    }
    return S3E_OK;
}

static const struct { const char *value; enum s3_payload_mode mode; } payload_modes[] = {
    { "UNSIGNED-PAYLOAD", PAYLOAD_UNSIGNED },
    { "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PAYLOAD_STREAMING_SIGNED },
    { "STREAMING-UNSIGNED-PAYLOAD-TRAILER", PAYLOAD_STREAMING_UNSIGNED_TRAILER },
    { "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PAYLOAD_STREAMING_SIGNED_TRAILER },
};

static enum s3_err parse_payload_mode(struct s3_request *req)
{
    const char *v = s3_req_header(req, "x-amz-content-sha256");
    req->payload_mode = PAYLOAD_NONE_GIVEN;
    if (!v)
        return S3E_OK;
    for (size_t i = 0; i < sizeof payload_modes / sizeof *payload_modes; i++)
        if (strcmp(v, payload_modes[i].value) == 0) {
            req->payload_mode = payload_modes[i].mode;
            return S3E_OK;
        }
    unsigned char tmp[32];
    if (strlen(v) != 64 || hex_decode(v, 64, tmp, 32) < 0)
        return S3E_SHA256_MISMATCH;     /* S3: "The provided 'x-amz-content-sha256' header is not valid." */
    for (int i = 0; i < 64; i++)
        req->payload_sha256[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
    req->payload_sha256[64] = '\0';
    req->payload_mode = PAYLOAD_SHA256;
    return S3E_OK;
}

enum s3_err s3_request_parse(struct s3_request *req, struct arena *a, const struct s3_io *io,
                             const struct s3_config *cfg, time_t now)
{
    memset(req, 0, sizeof *req);
    req->arena = a;
    req->io = io;
    req->cfg = cfg;
    req->now = now;
    req->content_length = -1;
    req->decoded_length = -1;
    make_request_id(req->request_id);

    const char *m = s3_io_getenv(io, "REQUEST_METHOD");
    req->method_str = arena_strdup(a, m ? m : "");
    for (size_t i = 0; m && i < sizeof methods / sizeof *methods; i++)
        if (strcmp(m, methods[i].name) == 0)
            req->method = methods[i].m;

    const char *uri = s3_io_getenv(io, "REQUEST_URI");
    if (!uri || !*uri)
        return S3E_INVALID_URI;
    size_t ulen = strlen(uri);
    if (ulen > REQ_MAX_URI)
        return S3E_INVALID_URI;
    req->raw_uri = arena_strndup(a, uri, ulen);
    if (!req->raw_uri || !req->method_str)
        return S3E_INTERNAL;
    const char *qm = memchr(uri, '?', ulen);
    req->raw_path_len = qm ? (size_t)(qm - uri) : ulen;
    req->raw_path = arena_strndup(a, uri, req->raw_path_len);
    req->raw_query = arena_strdup(a, qm ? qm + 1 : "");
    if (!req->raw_path || !req->raw_query)
        return S3E_INTERNAL;
    req->raw_query_len = strlen(req->raw_query);

    enum s3_err err;
    if ((err = parse_headers(req)) || (err = parse_query(req)))
        return err;
    const char *host = s3_req_header(req, "host");
    if (host && !(req->host = host_name(a, host)))
        return S3E_INTERNAL;
    if ((err = parse_target(req)) || (err = parse_lengths(req)) || (err = parse_payload_mode(req)))
        return err;
    return S3E_OK;
}
