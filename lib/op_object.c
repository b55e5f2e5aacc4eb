/* op_object.c - GetObject, HeadObject, PutObject, DeleteObject, GetObjectTagging. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "body.h"
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
    char *block = malloc(IO_BLOCK);
    if (!block)
        return S3E_INTERNAL;
    resp_start(c->resp);
    long long off = start, end = start + len;
    while (off < end && !c->resp->err) {
        size_t want = end - off < (long long)IO_BLOCK ? (size_t)(end - off) : IO_BLOCK;
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
            resp_error(c->resp, c->req, S3E_INVALID_RANGE, "The requested partnumber is not satisfiable");
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
        resp_error(c->resp, c->req, S3E_INVALID_RANGE, "The requested partnumber is not satisfiable");
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
    object_headers(c, &m);
    stored_object_headers(c, &m);
    resp_header(c->resp, "Accept-Ranges", "bytes");
    long long len = m.size;
    if (rr == RANGE_OK) {
        resp_status(c->resp, 206);
        resp_headerf(c->resp, "Content-Range", "bytes %lld-%lld/%lld", rg.start, rg.end, m.size);
        len = rg.end - rg.start + 1;
    } else {
        rg.start = 0;
        checksum_headers(c, &m);
    }
    resp_headerf(c->resp, "Content-Length", "%lld", len);
    err = send_file_range(c, fd, rg.start, len);
out:
    if (fd >= 0)
        close(fd);
    return err;
}

/* ---- PUT ---- */

/* Streams the body into the open put. */
static enum s3_err stream_body(struct s3_body *b, struct store_put *put)
{
    char *block = malloc(IO_BLOCK);
    if (!block)
        return S3E_INTERNAL;
    enum s3_err err = S3E_OK;
    for (;;) {
        ssize_t n = body_read(b, block, IO_BLOCK);
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
    if ((err = body_init(&b, req, 1, 0)) || (err = stream_body(&b, &put)) ||
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
