/* op_object.c - GetObject, HeadObject, PutObject, DeleteObject, GetObjectTagging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "body.h"
#include "buf.h"
#include "checksum.h"
#include "cond.h"
#include "config.h"
#include "multipart.h"
#include "ops.h"
#include "range.h"
#include "store.h"
#include "util.h"

#define IO_BLOCK (256u << 10)
#define MAX_PUT_SIZE (5LL << 30)        /* S3's single-PUT limit: 5 GiB */

/* versionId is accepted only as "null", the id of every object in an unversioned
 * bucket (rclone sends HEAD ?versionId=null). */
static enum s3_err check_version_id(const struct s3_request *req)
{
    const char *v = s3_req_query(req, "versionId");
    return !v || strcmp(v, "null") == 0 ? S3E_OK : S3E_INVALID_ARGUMENT;
}

/* ---- GET / HEAD ---- */

/* response-* query parameters that override a response header (GetObject). */
static const struct { const char *param, *header; } overrides[] = {
    { "response-content-type", "Content-Type" },
    { "response-content-language", "Content-Language" },
    { "response-expires", "Expires" },
    { "response-cache-control", "Cache-Control" },
    { "response-content-disposition", "Content-Disposition" },
    { "response-content-encoding", "Content-Encoding" },
};

static const char *override_for(const struct s3_request *req, const char *header)
{
    for (size_t i = 0; i < sizeof overrides / sizeof *overrides; i++)
        if (strcasecmp(overrides[i].header, header) == 0)
            return s3_req_query(req, overrides[i].param);
    return NULL;
}

static void object_headers(struct s3_ctx *c, const struct s3_meta *m)
{
    char date[30], etag[84];
    time_http(m->mtime.tv_sec, date);
    snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    resp_header(c->resp, "Last-Modified", date);
    resp_header(c->resp, "ETag", etag);
}

/* 1 for the stored checksum headers (x-amz-checksum-<alg>, x-amz-checksum-type),
 * returned when the client asks with x-amz-checksum-mode: ENABLED and receives the
 * whole object (a range or a part has no whole-object checksum). */
static int is_checksum_header(const char *name)
{
    return strncmp(name, "x-amz-checksum-", 15) == 0 && strcmp(name, "x-amz-checksum-mode") != 0;
}

static void checksum_headers(struct s3_ctx *c, const struct s3_meta *m)
{
    const char *mode = s3_req_header(c->req, "x-amz-checksum-mode");
    if (!mode || strcasecmp(mode, "ENABLED") != 0)
        return;
    for (size_t i = 0; i < m->nhdrs; i++)
        if (is_checksum_header(m->hdrs[i].name))
            resp_header(c->resp, m->hdrs[i].name, m->hdrs[i].value);
}

static void stored_object_headers(struct s3_ctx *c, const struct s3_meta *m)
{
    int have_type = 0;
    for (size_t i = 0; i < m->nhdrs; i++) {
        const char *name = m->hdrs[i].name;
        if (!op_is_stored_header(name) || override_for(c->req, name))
            continue;
        have_type |= strcmp(name, "content-type") == 0;
        resp_header(c->resp, name, m->hdrs[i].value);
    }
    for (size_t i = 0; i < sizeof overrides / sizeof *overrides; i++) {
        const char *v = s3_req_query(c->req, overrides[i].param);
        if (v) {
            have_type |= strcmp(overrides[i].header, "Content-Type") == 0;
            resp_header(c->resp, overrides[i].header, v);
        }
    }
    if (!have_type)
        resp_header(c->resp, "Content-Type", "binary/octet-stream");
}

/* Streams [start, start+len) of fd as the body. Errors after the start are logged
 * and cut the response (headers are gone already). */
static enum s3_err send_file_range(struct s3_ctx *c, int fd, long long start, long long len)
{
    if (c->resp->head_only || len == 0)
        return resp_finish(c->resp), S3E_OK;
    /* no bigger than the range: a 4 KiB GET then costs no mmap/munmap of 256 KiB
     * (above glibc's mmap threshold) and no page faults on it */
    size_t bsize = len < (long long)IO_BLOCK ? (size_t)len : IO_BLOCK;
    char *block = malloc(bsize);
    if (!block)
        return S3E_INTERNAL;
    resp_start(c->resp);
    long long off = start, end = start + len;
    while (off < end && !c->resp->err) {
        size_t want = end - off < (long long)bsize ? (size_t)(end - off) : bsize;
        ssize_t n = pread(fd, block, want, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            s3_io_logf(c->req->io, "request %s: read of %s failed at %lld (%s); response cut",
                       c->req->request_id, c->req->key, off, n < 0 ? strerror(errno) : "file shrank");
            c->resp->err = 1;
            break;
        }
        if (resp_write(c->resp, block, (size_t)n) < 0)
            break;
        off += n;
    }
    free(block);
    resp_finish(c->resp);
    return S3E_OK;
}

/* ---- sendfile offload (config "sendfile"; the contract is in config.h) ----
 *
 * Which file the web server opens. The name handed over is root/bucket/key, built from
 * the configured root and the request's bucket and key, which were validated
 * (keypath: no ".", "..", empty segments or NUL) and resolved one component at a time
 * with O_NOFOLLOW beneath the root by store_object_open: at the moment of that open it
 * names exactly the file whose metadata, ACL and conditions were checked (a readlink
 * of /proc/self/fd would give the same string and guard nothing more, since the web
 * server opens by name after s3cgi has answered). Between the two opens the name can
 * only be changed through S3 by an overwrite or a delete of the same key: s3cgi never
 * makes symlinks and never renames directories, and the example configurations stop
 * the web server from following a symlink a local user might plant (lighttpd
 * server.follow-symlink "disable", nginx disable_symlinks on). So the web server sends
 * this key's bytes, or the newer version's bytes under the older version's headers (a
 * client comparing the body with the ETag sees the mismatch), or answers 404; never
 * another key's. The same window already exists between the ACL check (access.c opens
 * the object for its ACL) and the read. Operators who cannot accept it keep the
 * default, off. */

#define SENDFILE_ACCEL_PREFIX "/.s3cgi-sendfile/"

/* Appends s (n bytes) percent-encoded: A-Z a-z 0-9 - . _ ~ and '/' kept. Both web
 * servers decode the value once (lighttpd buffer_urldecode_path, nginx
 * ngx_http_parse_unsafe_uri), so keys with '%', '?', '#', ' ' or ',' (lighttpd's
 * X-Sendfile2 separators) arrive intact. */
static void pct_append(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
            buf_addc(b, (char)ch);
        } else {
            char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
            buf_add(b, e, 3);
        }
    }
}

/* 1 when s (n bytes) is well-formed UTF-8 (lighttpd answers 502 to X-Sendfile paths
 * that decode to anything else). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char ch = s[i];
        size_t more;
        unsigned char lo = 0x80, hi = 0xbf;     /* range of the first continuation byte */
        if (ch < 0x80) {
            i++;
            continue;
        } else if (ch >= 0xc2 && ch <= 0xdf) {
            more = 1;
        } else if (ch >= 0xe0 && ch <= 0xef) {
            more = 2;
            lo = ch == 0xe0 ? 0xa0 : 0x80;      /* no overlong forms */
            hi = ch == 0xed ? 0x9f : 0xbf;      /* no surrogates */
        } else if (ch >= 0xf0 && ch <= 0xf4) {
            more = 3;
            lo = ch == 0xf0 ? 0x90 : 0x80;
            hi = ch == 0xf4 ? 0x8f : 0xbf;
        } else {
            return 0;
        }
        if (n - i <= more || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
        i += more + 1;
    }
    return 1;
}

/* 1 when s (n bytes) has no byte below 0x20 and no DEL: it can be a header value. */
static int no_control_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* 1 when the configured server cuts the client's single Range itself from s3cgi's 200
 * (nginx X-Accel-Redirect, Apache mod_xsendfile); lighttpd takes s3cgi's own range. */
static int server_cuts_ranges(const struct s3_config *cfg)
{
    return cfg->sendfile == S3_SENDFILE_ACCEL || cfg->sendfile == S3_SENDFILE_APACHE;
}

/* Decides whether the body of this GET goes to the web server, and with which header.
 * range is the client's Range header (NULL if none), ranged says the answer is a 206
 * of [rg->start, rg->end] (Range or partNumber), part the partNumber (0 if none).
 * Returns 1 and sets *name and *value (in the request arena) to offload; 0 to stream. */
static int sendfile_target(struct s3_ctx *c, const struct s3_meta *m, const char *range, int ranged,
                           int part, const struct s3_range *rg, const char **name, const char **value)
{
    const struct s3_request *req = c->req;
    const struct s3_config *cfg = req->cfg;
    if (cfg->sendfile == S3_SENDFILE_OFF || req->method != M_GET || c->resp->head_only ||
        m->size <= 0 || !req->bucket || !req->key)
        return 0;
    if (range && !ranged)
        return 0;           /* a Range S3 ignores (multi-range, malformed): every server
                             * would still cut it, lighttpd from X-Sendfile too */
    if (server_cuts_ranges(cfg) && (part || (range && (strchr(range, ',') || s3_req_header(req, "if-range")))))
        return 0;           /* the server would cut a different range than S3 semantics say */
    if (cfg->sendfile == S3_SENDFILE_APACHE) {
        /* mod_xsendfile drops Content-Encoding; a header value cannot hold control
         * characters, and mod_xsendfile takes the value as the path, undecoded */
        if (override_for(req, "Content-Encoding") || s3_meta_get(m, "content-encoding") ||
            !no_control_chars(cfg->root, strlen(cfg->root)) ||
            !no_control_chars(req->bucket, strlen(req->bucket)) ||
            !no_control_chars(req->key, req->key_len))
            return 0;
    }
    if (cfg->sendfile == S3_SENDFILE_ACCEL) {
        /* nginx passes on only the headers its location adds back by name
         * (examples/nginx/s3cgi.conf): not x-amz-meta-* nor checksums. */
        if (s3_req_header(req, "x-amz-checksum-mode"))
            return 0;
        for (size_t i = 0; i < m->nhdrs; i++)
            if (strncmp(m->hdrs[i].name, "x-amz-meta-", 11) == 0)
                return 0;
    }
    struct buf b;
    buf_init(&b, 3 * (strlen(cfg->root) + strlen(req->bucket) + req->key_len) + 128);
    if (cfg->sendfile == S3_SENDFILE_APACHE) {
        buf_printf(&b, "%s/%s/", cfg->root, req->bucket);
        buf_add(&b, req->key, req->key_len);
        *name = "X-Sendfile";
        *value = b.failed ? NULL : arena_strndup(req->arena, b.data, b.len);
        buf_free(&b);
        return *value != NULL;
    }
    if (cfg->sendfile == S3_SENDFILE_ACCEL) {
        buf_adds(&b, SENDFILE_ACCEL_PREFIX);
    } else {
        if (!utf8_ok((const unsigned char *)cfg->root, strlen(cfg->root)) ||
            !utf8_ok((const unsigned char *)req->key, req->key_len)) {
            buf_free(&b);
            return 0;
        }
        pct_append(&b, cfg->root, strlen(cfg->root));
        buf_addc(&b, '/');
    }
    pct_append(&b, req->bucket, strlen(req->bucket));
    buf_addc(&b, '/');
    pct_append(&b, req->key, req->key_len);
    *name = "X-Accel-Redirect";
    if (cfg->sendfile == S3_SENDFILE_X) {
        *name = ranged ? "X-Sendfile2" : "X-Sendfile";
        if (ranged)
            buf_printf(&b, " %lld-%lld", rg->start, rg->end);
    }
    *value = b.failed ? NULL : arena_strndup(req->arena, b.data, b.len);
    buf_free(&b);
    return *value != NULL;
}

/* GET/HEAD ?partNumber=N (S3 GetObject "partNumber": a ranged GET of part N). For
 * a multipart object the range comes from the part layout Complete stored
 * (multipart.h MP_LAYOUT_HDR); a single-part object is its own part 1, which S3
 * answers as a 206 of the whole object. *rg is set and 1 returned when the part is
 * served; 0 when the response (an error) has been written. */
static int part_range(struct s3_ctx *c, const struct s3_meta *m, int part, struct s3_range *rg)
{
    long long off = 0, len = m->size;
    if (m->parts_count > 0) {
        const char *layout = s3_meta_get(m, MP_LAYOUT_HDR);
        if (part > m->parts_count) {
            resp_error(c->resp, c->req, S3E_INVALID_PART_NUMBER, NULL);
            return 0;
        }
        if (!(part == 1 && m->parts_count == 1) &&
            (!layout || mp_layout_find(layout, m->parts_count, m->size, part, &off, &len) < 0)) {
            /* an object whose layout could not be recorded (over MP_LAYOUT_MAX) */
            resp_error(c->resp, c->req, S3E_NOT_IMPLEMENTED,
                       "The part layout of this object is not known; use a Range request");
            return 0;
        }
        resp_headerf(c->resp, "x-amz-mp-parts-count", "%d", m->parts_count);
    } else if (part != 1) {
        resp_error(c->resp, c->req, S3E_INVALID_PART_NUMBER, NULL);
        return 0;
    }
    rg->start = off;
    rg->end = off + len - 1;
    return 1;
}

enum s3_err op_get_object(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct s3_meta m;
    int fd = -1, part = 0;
    enum s3_err err = check_version_id(req);
    const char *pn = s3_req_query(req, "partNumber");
    if (!err && pn) {
        unsigned long long v;
        if (parse_u64(pn, strlen(pn), MP_MAX_PARTS, &v) < 0 || v < 1)
            return resp_error(c->resp, req, S3E_INVALID_ARGUMENT,
                              "Part number must be an integer between 1 and 10000, inclusive"), S3E_OK;
        if (s3_req_header(req, "range"))
            return resp_error(c->resp, req, S3E_INVALID_REQUEST,
                              "Cannot specify both Range header and partNumber query parameter"), S3E_OK;
        part = (int)v;
    }
    if (err || (err = store_object_open(req->cfg, c->bucketfd, req->key, req->key_len, req->arena,
                                        &fd, &m)))
        return err;
    struct s3_cond cond = {
        s3_req_header(req, "if-match"), s3_req_header(req, "if-none-match"),
        s3_req_header(req, "if-modified-since"), s3_req_header(req, "if-unmodified-since"),
    };
    err = s3_cond_eval(&cond, m.etag, m.mtime.tv_sec, 1);
    if (err == S3E_NOT_MODIFIED) {
        object_headers(c, &m);
        resp_status(c->resp, 304);
        resp_finish(c->resp);
        err = S3E_OK;
        goto out;
    }
    if (err)
        goto out;
    struct s3_range rg = { 0, m.size - 1 };
    const char *range = s3_req_header(req, "range");
    enum range_result rr = range ? s3_range_parse(range, strlen(range), m.size, &rg) : RANGE_NONE;
    if (part) {
        if (!part_range(c, &m, part, &rg))
            goto out;           /* answered */
        rr = m.size > 0 ? RANGE_OK : RANGE_NONE;
    }
    if (rr == RANGE_UNSATISFIABLE) {
        resp_headerf(c->resp, "Content-Range", "bytes */%lld", m.size);
        err = S3E_INVALID_RANGE;
        goto out;
    }
    const char *xname = NULL, *xvalue = NULL;
    int ranged = rr == RANGE_OK;
    int xfer = sendfile_target(c, &m, range, ranged, part, &rg, &xname, &xvalue);
    /* nginx (X-Accel-Redirect) and Apache (mod_xsendfile) answer the client's single
     * Range themselves: s3cgi sends the whole object's 200 headers and the server
     * turns them into the 206. */
    int server_cuts = xfer && server_cuts_ranges(c->req->cfg);
    object_headers(c, &m);
    stored_object_headers(c, &m);
    if (!(xfer && c->req->cfg->sendfile == S3_SENDFILE_ACCEL))
        resp_header(c->resp, "Accept-Ranges", "bytes");    /* nginx adds its own */
    long long len = m.size;
    if (ranged && !server_cuts) {
        resp_status(c->resp, 206);
        resp_headerf(c->resp, "Content-Range", "bytes %lld-%lld/%lld", rg.start, rg.end, m.size);
        len = rg.end - rg.start + 1;
    } else if (!ranged) {
        rg.start = 0;
        checksum_headers(c, &m);
    }
    resp_headerf(c->resp, "Content-Length", "%lld", len);
    if (xfer) {
        resp_header(c->resp, xname, xvalue);
        resp_finish(c->resp);
        goto out;
    }
    err = send_file_range(c, fd, rg.start, len);
out:
    if (fd >= 0)
        close(fd);
    return err;
}

/* ---- PUT ---- */

/* Streams the body into the open put. hint: the expected body size (<= 0: unknown);
 * a small body gets a small buffer (see send_file_range), with one spare byte so that
 * the end of the body is seen by the same read loop. */
static enum s3_err stream_body(struct s3_body *b, struct store_put *put, long long hint)
{
    size_t bsize = hint > 0 && hint < (long long)IO_BLOCK ? (size_t)hint + 1 : IO_BLOCK;
    char *block = malloc(bsize);
    if (!block)
        return S3E_INTERNAL;
    enum s3_err err = S3E_OK;
    for (;;) {
        ssize_t n = body_read(b, block, bsize);
        if (n < 0) {
            err = b->err;
            break;
        }
        if (n == 0)
            break;
        if ((err = store_put_write(put, block, (size_t)n)))
            break;
    }
    free(block);
    return err;
}

enum s3_err op_put_object(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    if (s3_req_header(req, "x-amz-copy-source"))
        return op_copy_object(c);
    if (req->content_length > MAX_PUT_SIZE)
        return S3E_ENTITY_TOO_LARGE;
    const char *inm = s3_req_header(req, "if-none-match");
    const char *im = s3_req_header(req, "if-match");
    if (inm && strcmp(inm, "*") != 0)
        return S3E_NOT_IMPLEMENTED;     /* S3 supports only If-None-Match: * on writes */
    if (req->decoded_length > MAX_PUT_SIZE)
        return S3E_ENTITY_TOO_LARGE;
    struct s3_meta m;
    memset(&m, 0, sizeof m);
    enum s3_err err = op_collect_headers(req, 1, &m.hdrs, &m.nhdrs);   /* + a checksum */
    if (err)
        return err;

    struct store_put put;
    struct s3_body b;
    unsigned char md5[16];
    int put_open = 0;
    memset(&b, 0, sizeof b);
    if ((err = store_put_begin(&put, req->cfg, c->bucketfd, req->key, req->key_len)))
        goto out;
    put_open = 1;
    if ((err = body_init(&b, req, 1, 0)) || (err = stream_body(&b, &put, req->decoded_length > 0 ? req->decoded_length : req->content_length)) ||
        (err = body_finish(&b, md5, NULL)))
        goto out;
    if (b.total > MAX_PUT_SIZE) {
        err = S3E_ENTITY_TOO_LARGE;
        goto out;
    }
    hex_encode(md5, 16, m.etag);
    m.size = b.total;
    enum checksum_alg alg;
    const char *ck = body_checksum(&b, &alg);     /* verified while streaming */
    if (ck) {
        m.hdrs[m.nhdrs].name = (char *)checksum_header_name(alg);
        m.hdrs[m.nhdrs].value = (char *)ck;
        m.nhdrs++;
    }
    err = store_put_commit(&put, &m, inm != NULL, im ? op_unquote_etag(req->arena, im) : NULL);
    put_open = 0;
    if (err)
        goto out;
    char etag[84];
    snprintf(etag, sizeof etag, "\"%s\"", m.etag);
    resp_header(c->resp, "ETag", etag);
    if (ck)
        resp_header(c->resp, checksum_header_name(alg), ck);
    resp_header(c->resp, "Content-Length", "0");
    resp_finish(c->resp);
out:
    if (put_open)
        store_put_abort(&put);
    if (err && err == b.err && body_error_message(&b)) {
        resp_error(c->resp, req, err, body_error_message(&b));   /* S3's specific wording */
        err = S3E_OK;
    }
    body_free(&b);
    return err;
}

/* ---- DELETE ---- */

enum s3_err op_delete_object(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    enum s3_err err = check_version_id(req);
    if (err || (err = store_object_delete(req->cfg, c->bucketfd, req->key, req->key_len)))
        return err;
    resp_status(c->resp, 204);
    return resp_finish(c->resp), S3E_OK;
}

/* ---- tagging: objects carry no tags yet; S3 answers an empty TagSet ---- */

enum s3_err op_get_object_tagging(struct s3_ctx *c)
{
    struct s3_meta m;
    int fd = -1;
    enum s3_err err = store_object_open(c->req->cfg, c->bucketfd, c->req->key, c->req->key_len,
                                        c->req->arena, &fd, &m);
    if (fd >= 0)
        close(fd);
    if (err)
        return err;
    struct xmlw w;
    op_xml_begin(c, &w, "Tagging");
    xmlw_open(&w, "TagSet");
    xmlw_close(&w, "TagSet");
    return op_xml_end(c, &w, "Tagging");
}
