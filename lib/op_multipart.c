/* op_multipart.c - multipart uploads: CreateMultipartUpload, UploadPart,
 * UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
 * ListMultipartUploads (AWS S3 API reference of each). The staging on disk, its
 * locks and its crash-safety are multipart.h's; this file maps requests onto it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <linux/fs.h>


#include "body.h"
#include "cond.h"
#include "hash.h"
#include "config.h"
#include "meta.h"
#include "multipart.h"
#include "ops.h"
#include "store.h"
#include "uri.h"
#include "util.h"
#include "xmlin.h"

#define IO_BLOCK (256u << 10)
#define COMPLETE_XML_MAX (2u << 20)     /* CompleteMultipartUpload body; larger: MalformedXML */
#define LIST_MAX 1000                   /* max-parts / max-uploads default and cap */

/* Answers e with a specific message (the op has then written the response). */
static enum s3_err reply_error(struct s3_ctx *c, enum s3_err e, const char *message)
{
    resp_error(c->resp, c->req, e, message);
    return S3E_OK;
}

/* The error a failed body read or check ends in, with the body's own message. */
static enum s3_err body_error(struct s3_ctx *c, const struct s3_body *b, enum s3_err e)
{
    const char *m = b->err == e ? body_error_message(b) : NULL;
    return m ? reply_error(c, e, m) : e;
}

static void lowercase(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* Opens the upload ?uploadId names, for this request's bucket and key (S3 answers
 * NoSuchUpload when they differ from the upload's). */
static enum s3_err open_upload(struct s3_ctx *c, struct mp_upload *u)
{
    struct s3_request *req = c->req;
    enum s3_err err = mp_open(req->cfg, req->bucket, s3_req_query(req, "uploadId"), req->arena, u);
    if (!err && (u->key_len != req->key_len || memcmp(u->key, req->key, req->key_len) != 0))
        err = S3E_NO_SUCH_UPLOAD;
    return err;
}

/* ?partNumber: 1..10000 (UploadPart), else InvalidArgument. */
static enum s3_err part_number_arg(struct s3_ctx *c, int *n)
{
    const char *v = s3_req_query(c->req, "partNumber");
    unsigned long long x;
    if (!v || parse_u64(v, strlen(v), MP_MAX_PARTS, &x) < 0 || x < 1)
        return S3E_INVALID_ARGUMENT;
    *n = (int)x;
    return S3E_OK;
}

static void etag_header(struct s3_ctx *c, const char *etag)
{
    resp_headerf(c->resp, "ETag", "\"%s\"", etag);
}

/* <ChecksumCRC32>..</ChecksumCRC32> and friends. */
static void checksum_xml(struct xmlw *w, enum checksum_alg alg, const char *value)
{
    static const char *const names[] = {
        [CK_CRC32] = "ChecksumCRC32", [CK_CRC32C] = "ChecksumCRC32C",
        [CK_CRC64NVME] = "ChecksumCRC64NVME", [CK_SHA1] = "ChecksumSHA1",
        [CK_SHA256] = "ChecksumSHA256",
    };
    if (alg > CK_NONE && alg <= CK_SHA256 && value && value[0])
        xmlw_text(w, names[alg], value);
}

/* ---- CreateMultipartUpload ---- */

/* Opportunistic purge of the bucket's stale uploads: 1 Create in MP_PURGE_ONE_IN,
 * bounded work (multipart.h). */
static void maybe_purge(struct s3_ctx *c)
{
    unsigned int r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r || r % MP_PURGE_ONE_IN)
        return;
    struct mp_purge_opts o = { .bucket = c->req->bucket, .max_age = c->req->cfg->mp_max_age,
                               .quick = 1, .budget = MP_PURGE_BUDGET };
    struct mp_purge_stats st;
    (void)mp_purge(c->req->cfg, &o, c->req->now, &st);
    if (st.uploads_removed && c->req->cfg->log_level >= 1)
        s3_io_logf(c->req->io, "purged %ld stale multipart uploads of bucket %s",
                   st.uploads_removed, c->req->bucket);
}

enum s3_err op_create_multipart(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct s3_meta_kv *hdrs;
    size_t nhdrs;
    char id[MP_ID_LEN + 1];
    enum checksum_alg alg = CK_NONE;
    const char *ck_type = NULL;
    enum s3_err err = s3_key_check(req->key, req->key_len);
    if (err)
        return err;
    if (req->key[req->key_len - 1] == '/')
        return S3E_KEY_UNMAPPABLE;      /* a directory object has no body to assemble */
    const char *a = s3_req_header(req, "x-amz-checksum-algorithm");
    if (a && (alg = checksum_alg_from_name(a, strlen(a))) == CK_NONE)
        return reply_error(c, S3E_INVALID_ARGUMENT,
                           "Checksum algorithm provided is unsupported. Please try again with any "
                           "of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    const char *t = s3_req_header(req, "x-amz-checksum-type");
    if (t && strcmp(t, "COMPOSITE") != 0 && strcmp(t, "FULL_OBJECT") != 0)
        return reply_error(c, S3E_INVALID_ARGUMENT, "Value for x-amz-checksum-type header is invalid.");
    if (alg != CK_NONE)     /* S3's default type per algorithm */
        ck_type = t ? t : alg == CK_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
    if ((err = op_collect_headers(req, 0, &hdrs, &nhdrs)) ||
        (err = mp_create(req->cfg, req->bucket, req->key, req->key_len, alg, ck_type, hdrs, nhdrs, id)))
        return err;
    struct xmlw w;
    if (alg != CK_NONE) {
        resp_header(c->resp, "x-amz-checksum-algorithm", checksum_alg_name(alg));
        resp_header(c->resp, "x-amz-checksum-type", ck_type);
    }
    op_xml_begin(c, &w, "InitiateMultipartUploadResult");
    xmlw_text(&w, "Bucket", req->bucket);
    xmlw_textn(&w, "Key", req->key, req->key_len);
    xmlw_text(&w, "UploadId", id);
    err = op_xml_end(c, &w, "InitiateMultipartUploadResult");
    (void)mp_trash_free(req->cfg, MP_TRASH_BUDGET);
    maybe_purge(c);
    return err;
}

/* ---- UploadPart ---- */

/* Streams the body into the temp part, hashing as body.c does. */
static enum s3_err stream_part(struct s3_body *b, struct mp_part_tmp *t)
{
    char *block = malloc(IO_BLOCK);
    enum s3_err err = block ? S3E_OK : S3E_INTERNAL;
    while (!err) {
        ssize_t n = body_read(b, block, IO_BLOCK);
        if (n < 0)
            err = b->err;
        else if (n == 0)
            break;
        else if (b->total > MP_MAX_PART_SIZE)
            err = S3E_ENTITY_TOO_LARGE;
        else
            err = mp_part_write(t, block, (size_t)n);
    }
    free(block);
    return err;
}

static void part_response_headers(struct s3_ctx *c, const struct mp_part *p)
{
    etag_header(c, p->md5);
    if (p->ck_alg != CK_NONE && p->ck[0])
        resp_header(c->resp, checksum_header_name(p->ck_alg), p->ck);
}

static enum s3_err upload_part_copy(struct s3_ctx *c, struct mp_upload *u, int n);

enum s3_err op_upload_part(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct mp_upload u;
    struct mp_part_tmp t = { -1, "" };
    struct mp_part p;
    struct s3_body b;
    unsigned char md5[16];
    int n = 0;
    enum s3_err err;
    memset(&b, 0, sizeof b);
    memset(&p, 0, sizeof p);
    if ((err = part_number_arg(c, &n)))
        return reply_error(c, err, "Part number must be an integer between 1 and 10000, inclusive");
    if ((err = open_upload(c, &u)))
        goto out;
    if (mp_state(&u) != MP_ACTIVE) {
        err = S3E_NO_SUCH_UPLOAD;
        goto out;
    }
    if (s3_req_header(req, "x-amz-copy-source")) {
        err = upload_part_copy(c, &u, n);
        goto out;
    }
    if (req->content_length > MP_MAX_PART_SIZE || req->decoded_length > MP_MAX_PART_SIZE) {
        err = S3E_ENTITY_TOO_LARGE;
        goto out;
    }
    if ((err = body_init(&b, req, 1, 0)))
        goto out;
    if (u.alg != CK_NONE && b.ck_alg == CK_NONE) {
        if ((err = body_default_checksum(&b, u.alg)))
            goto out;
    } else if (u.alg != CK_NONE && b.ck_alg != u.alg) {
        char want[16], got[16];
        snprintf(want, sizeof want, "%s", checksum_alg_name(u.alg));
        snprintf(got, sizeof got, "%s", checksum_alg_name(b.ck_alg));
        lowercase(want);
        lowercase(got);
        err = reply_error(c, S3E_INVALID_REQUEST,
                          arena_printf(req->arena, "Checksum Type mismatch occurred, expected "
                                       "checksum Type: %s, actual checksum Type: %s", want, got));
        goto out;
    }
    if ((err = mp_part_begin(&u, &t)) || (err = stream_part(&b, &t)) ||
        (err = body_finish(&b, md5, NULL)))
        goto out;
    p.number = n;
    p.size = b.total;
    hex_encode(md5, 16, p.md5);
    const char *ck = body_checksum(&b, &p.ck_alg);
    if (ck)
        snprintf(p.ck, sizeof p.ck, "%s", ck);
    else
        p.ck_alg = CK_NONE;
    if ((err = mp_part_commit(req->cfg, &u, &t, &p)))
        goto out;
    part_response_headers(c, &p);
    resp_header(c->resp, "Content-Length", "0");
    resp_finish(c->resp);
    /* twice what this part stored: the trash shrinks faster than uploads fill it */
    (void)mp_trash_free(req->cfg, 2 * (p.size + MP_TRAILER));
out:
    if (err && b.err == err)
        err = body_error(c, &b, err);
    mp_part_abort(&u, &t);
    mp_close(&u);
    body_free(&b);
    return err;
}

/* ---- UploadPartCopy ---- */

/* x-amz-copy-source: URL-encoded "bucket/key" or "/bucket/key", optionally
 * "?versionId=null" (the only version of an unversioned bucket). */
static enum s3_err parse_copy_source(struct s3_ctx *c, char **bucket, char **key, size_t *key_len)
{
    struct s3_request *req = c->req;
    const char *v = s3_req_header(req, "x-amz-copy-source");
    size_t len = strlen(v);
    const char *q = strstr(v, "?versionId=");
    if (q) {
        if (strcmp(q + 11, "null") != 0)
            return reply_error(c, S3E_INVALID_ARGUMENT, "Invalid version id specified");
        len = (size_t)(q - v);
    }
    char *d = arena_alloc(req->arena, len + 1);
    if (!d)
        return S3E_INTERNAL;
    long dl = uri_decode(v, len, d);
    if (dl < 0)
        return reply_error(c, S3E_INVALID_ARGUMENT, "Invalid copy source encoding");
    char *s = d, *end = d + dl;
    if (s < end && *s == '/')
        s++;
    char *slash = memchr(s, '/', (size_t)(end - s));
    if (!slash || slash == s || slash + 1 == end || memchr(s, '\0', (size_t)(end - s)))
        return reply_error(c, S3E_INVALID_ARGUMENT,
                           "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    *slash = '\0';
    *bucket = s;
    *key = slash + 1;
    *key_len = (size_t)(end - slash - 1);
    return S3E_OK;
}

/* x-amz-copy-source-range "bytes=first-last" (both required). 0 ok, -1 malformed. */
static int parse_copy_range(const char *v, long long *first, long long *last)
{
    unsigned long long a, b;
    if (strncmp(v, "bytes=", 6) != 0)
        return -1;
    v += 6;
    const char *dash = strchr(v, '-');
    if (!dash || parse_u64(v, (size_t)(dash - v), (unsigned long long)LLONG_MAX, &a) < 0 ||
        parse_u64(dash + 1, strlen(dash + 1), (unsigned long long)LLONG_MAX, &b) < 0 || a > b)
        return -1;
    *first = (long long)a;
    *last = (long long)b;
    return 0;
}

/* Tries to share the source's extents for the whole range (FICLONERANGE: btrfs,
 * XFS; src offset block-aligned, length too unless it ends at the source's end).
 * 1 done, 0 not possible here (the temp file is then still empty). */
static int clone_range(int dst, int src, long long off, long long len, long long src_size)
{
#ifdef FICLONERANGE
    struct stat st;
    if (fstat(dst, &st) != 0 || st.st_blksize <= 0)
        return 0;
    long long bs = st.st_blksize;
    if (off % bs || (len % bs && off + len != src_size))
        return 0;
    struct file_clone_range r = { .src_fd = src, .src_offset = (unsigned long long)off,
                                  .src_length = (unsigned long long)len, .dest_offset = 0 };
    return ioctl(dst, FICLONERANGE, &r) == 0;
#else
    (void)dst; (void)src; (void)off; (void)len; (void)src_size;
    return 0;
#endif
}

/* Copies [off, off+len) of src into the temp part, computing its MD5 and (ck not
 * NULL) its checksum: shared extents when the filesystem can (the copy is then read
 * back for the hashes), else one bounded read/hash/write pass. */
static enum s3_err copy_part(struct mp_part_tmp *t, int src, long long off, long long len,
                             long long src_size, struct hash_ctx *md5, struct checksum *ck)
{
    if (len == 0)
        return S3E_OK;
    int cloned = clone_range(t->fd, src, off, len, src_size);
    int from = cloned ? t->fd : src;
    long long pos = cloned ? 0 : off, end = pos + len;
    char *block = malloc(IO_BLOCK);
    enum s3_err err = block ? S3E_OK : S3E_INTERNAL;
    while (!err && pos < end) {
        size_t want = end - pos < (long long)IO_BLOCK ? (size_t)(end - pos) : IO_BLOCK;
        ssize_t n = pread(from, block, want, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = S3E_INTERNAL;         /* the source shrank under us */
            break;
        }
        hash_update(md5, block, (size_t)n);
        if (ck && checksum_update(ck, block, (size_t)n) < 0)
            err = S3E_INTERNAL;
        else if (!cloned)
            err = mp_part_write(t, block, (size_t)n);
        pos += n;
    }
    free(block);
    return err;
}

static enum s3_err upload_part_copy(struct s3_ctx *c, struct mp_upload *u, int n)
{
    struct s3_request *req = c->req;
    struct mp_part_tmp t = { -1, "" };
    struct mp_part p;
    struct s3_meta sm;
    struct checksum ck;
    struct hash_ctx md5;
    char *sbucket = NULL, *skey = NULL;
    size_t sklen = 0;
    int sbfd = -1, sfd = -1;
    long long first = 0, last;
    unsigned char digest[CHECKSUM_MAX_DIGEST], md[16];
    enum s3_err err;
    memset(&ck, 0, sizeof ck);
    memset(&p, 0, sizeof p);
    hash_init(&md5, HASH_MD5);
    if ((err = parse_copy_source(c, &sbucket, &skey, &sklen)) || c->resp->state != RESP_HEADERS)
        goto out;
    if ((err = store_bucket_open(req->cfg, sbucket, &sbfd)) ||
        (err = store_object_open(req->cfg, sbfd, skey, sklen, req->arena, &sfd, &sm)))
        goto out;
    struct s3_cond cond = {
        s3_req_header(req, "x-amz-copy-source-if-match"),
        s3_req_header(req, "x-amz-copy-source-if-none-match"),
        s3_req_header(req, "x-amz-copy-source-if-modified-since"),
        s3_req_header(req, "x-amz-copy-source-if-unmodified-since"),
    };
    if ((err = s3_cond_eval_copy(&cond, sm.etag, sm.mtime.tv_sec)))
        goto out;
    last = sm.size - 1;
    const char *range = s3_req_header(req, "x-amz-copy-source-range");
    if (range && parse_copy_range(range, &first, &last) < 0) {
        err = reply_error(c, S3E_INVALID_ARGUMENT,
                          "The x-amz-copy-source-range value must be of the form bytes=first-last "
                          "where first and last are the zero-based offsets of the first and last "
                          "bytes to copy");
        goto out;
    }
    if (range && last >= sm.size) {
        err = reply_error(c, S3E_INVALID_ARGUMENT,
                          arena_printf(req->arena, "Range specified is not valid for source "
                                       "object of size: %lld", sm.size));
        goto out;
    }
    if (last - first + 1 > MP_MAX_PART_SIZE) {
        err = reply_error(c, S3E_INVALID_REQUEST,
                          "The specified copy source is larger than the maximum allowable size "
                          "for a copy source: 5368709120");
        goto out;
    }
    if (u->alg != CK_NONE && checksum_init(&ck, u->alg) < 0) {
        err = S3E_INTERNAL;
        goto out;
    }
    if ((err = mp_part_begin(u, &t)) ||
        (err = copy_part(&t, sfd, first, last - first + 1, sm.size, &md5,
                         u->alg != CK_NONE ? &ck : NULL)))
        goto out;
    hash_final(&md5, md);
    p.number = n;
    p.size = last - first + 1;
    hex_encode(md, 16, p.md5);
    if (u->alg != CK_NONE) {
        if (checksum_final(&ck, digest, p.ck) < 0) {
            err = S3E_INTERNAL;
            goto out;
        }
        p.ck_alg = u->alg;
    }
    if ((err = mp_part_commit(req->cfg, u, &t, &p)))
        goto out;
    char date[25], etag[40];
    time_iso8601(p.mtime.tv_sec, date);
    snprintf(etag, sizeof etag, "\"%s\"", p.md5);
    struct xmlw w;
    op_xml_begin(c, &w, "CopyPartResult");
    xmlw_text(&w, "LastModified", date);
    xmlw_text(&w, "ETag", etag);
    checksum_xml(&w, p.ck_alg, p.ck);
    err = op_xml_end(c, &w, "CopyPartResult");
out:
    mp_part_abort(u, &t);
    checksum_free(&ck);
    if (sfd >= 0)
        close(sfd);
    if (sbfd >= 0)
        close(sbfd);
    return err;
}

/* ---- CompleteMultipartUpload ---- */

struct cpart {                  /* one <Part> of the request */
    int number;
    const char *etag;
    size_t etag_len;
    enum checksum_alg ck_alg;   /* a <ChecksumXXX> sent with it, CK_NONE */
    const char *ck;
    size_t ck_len;
};

static const struct { const char *element; enum checksum_alg alg; } ck_elements[] = {
    { "ChecksumCRC32", CK_CRC32 }, { "ChecksumCRC32C", CK_CRC32C },
    { "ChecksumCRC64NVME", CK_CRC64NVME }, { "ChecksumSHA1", CK_SHA1 },
    { "ChecksumSHA256", CK_SHA256 },
};

/* Reads and checks the request's part list: parts in ascending order (S3:
 * InvalidPartOrder), numbers 1..10000, an ETag each. */
static enum s3_err parse_complete(struct s3_ctx *c, struct cpart **out, int *count)
{
    struct s3_request *req = c->req;
    struct xml_node *root;
    char *data;
    size_t len;
    enum s3_err err = body_read_all(req, COMPLETE_XML_MAX, &data, &len);
    if (err == S3E_ENTITY_TOO_LARGE)
        return S3E_MALFORMED_XML;
    if (err)
        return err;
    if ((err = xmlin_parse(req->arena, data, len, NULL, &root)))
        return err;
    if (strcmp(root->name, "CompleteMultipartUpload") != 0)
        return S3E_MALFORMED_XML;
    int n = 0;
    for (const struct xml_node *x = xml_child(root, "Part"); x; x = xml_next(x, "Part"))
        if (++n > MP_MAX_PARTS)
            return S3E_MALFORMED_XML;
    if (n == 0)
        return S3E_MALFORMED_XML;
    struct cpart *v = arena_zalloc(req->arena, (size_t)n * sizeof *v);
    if (!v)
        return S3E_INTERNAL;
    int i = 0;
    for (const struct xml_node *x = xml_child(root, "Part"); x; x = xml_next(x, "Part"), i++) {
        size_t nl;
        unsigned long long num;
        const char *ns = xml_child_text(x, "PartNumber", &nl);
        v[i].etag = xml_child_text(x, "ETag", &v[i].etag_len);
        if (!ns || !v[i].etag || parse_u64(ns, nl, 1ULL << 31, &num) < 0)
            return S3E_MALFORMED_XML;
        if (num < 1 || num > MP_MAX_PARTS)
            return reply_error(c, S3E_INVALID_ARGUMENT,
                               "Part number must be an integer between 1 and 10000, inclusive");
        v[i].number = (int)num;
        if (i > 0 && v[i].number <= v[i - 1].number)
            return S3E_INVALID_PART_ORDER;
        for (size_t k = 0; k < sizeof ck_elements / sizeof *ck_elements; k++) {
            const char *ckv = xml_child_text(x, ck_elements[k].element, &nl);
            if (ckv) {
                v[i].ck_alg = ck_elements[k].alg;
                v[i].ck = ckv;
                v[i].ck_len = nl;
            }
        }
    }
    *out = v;
    *count = n;
    return S3E_OK;
}

/* 1 when the ETag a client sent (quotes optional) names the stored hex MD5. */
static int etag_equal(const char *sent, size_t len, const char *md5)
{
    if (len >= 2 && sent[0] == '"' && sent[len - 1] == '"') {
        sent++;
        len -= 2;
    }
    return len == 32 && strncasecmp(sent, md5, 32) == 0;
}

/* "http(s)://host[prefix]/bucket/key" of the assembled object. */
static const char *location(struct s3_request *req)
{
    struct buf b;
    const char *https = s3_io_getenv(req->io, "HTTPS");
    buf_init(&b, 4 * S3_MAX_KEY_LEN + 1024);
    buf_printf(&b, "%s://%s%s/", https && strcasecmp(https, "on") == 0 ? "https" : "http",
               req->host ? req->host : "localhost", req->cfg->prefix);
    uri_encode(&b, req->bucket, strlen(req->bucket), 0);
    buf_addc(&b, '/');
    uri_encode(&b, req->key, req->key_len, 1);
    const char *s = b.failed ? "" : arena_strndup(req->arena, b.data, b.len);
    buf_free(&b);
    return s ? s : "";
}

static enum s3_err complete_reply(struct s3_ctx *c, const struct mp_done *d)
{
    struct s3_request *req = c->req;
    char etag[84];
    struct xmlw w;
    snprintf(etag, sizeof etag, "\"%s\"", d->etag);
    op_xml_begin(c, &w, "CompleteMultipartUploadResult");
    xmlw_text(&w, "Location", location(req));
    xmlw_text(&w, "Bucket", req->bucket);
    xmlw_textn(&w, "Key", req->key, req->key_len);
    xmlw_text(&w, "ETag", etag);
    if (d->ck[0]) {
        checksum_xml(&w, d->ck_alg, d->ck);
        xmlw_text(&w, "ChecksumType", "COMPOSITE");
    }
    return op_xml_end(c, &w, "CompleteMultipartUploadResult");
}

/* Checks every listed part against the staging (S3: InvalidPart, EntityTooSmall)
 * and computes the object's ETag (hex MD5 of the binary part MD5s, "-N") and, where
 * every part carries the upload's checksum, the COMPOSITE checksum ("base64-N"). */
static enum s3_err check_parts(struct mp_upload *u, const struct cpart *v,
                               int n, long long *sizes, struct mp_done *d)
{
    struct hash_ctx md5;
    struct checksum ck;
    unsigned char bin[CHECKSUM_MAX_DIGEST], md[16];
    char ckb64[CHECKSUM_B64_MAX];
    int composite = u->alg != CK_NONE && u->alg != CK_CRC64NVME &&
                    !(u->ck_type && strcmp(u->ck_type, "FULL_OBJECT") == 0);
    enum s3_err err = S3E_OK;
    memset(&ck, 0, sizeof ck);
    hash_init(&md5, HASH_MD5);
    if (composite && checksum_init(&ck, u->alg) < 0) {
        err = S3E_INTERNAL;
        goto out;
    }
    d->size = 0;
    for (int i = 0; i < n && !err; i++) {
        struct mp_part p;
        int fd = -1;
        if ((err = mp_part_open(u, v[i].number, &fd, &p)))
            break;
        close(fd);
        if (!etag_equal(v[i].etag, v[i].etag_len, p.md5) ||
            (v[i].ck_alg != CK_NONE && (v[i].ck_alg != p.ck_alg || strlen(p.ck) != v[i].ck_len ||
                                        memcmp(p.ck, v[i].ck, v[i].ck_len) != 0))) {
            err = S3E_INVALID_PART;
            break;
        }
        if (i < n - 1 && p.size < MP_MIN_PART_SIZE) {
            err = S3E_ENTITY_TOO_SMALL;
            break;
        }
        sizes[i] = p.size;
        d->size += p.size;
        if (hex_decode(p.md5, 32, md, 16) < 0)
            err = S3E_INTERNAL;
        else
            hash_update(&md5, md, 16);
        composite = composite && p.ck_alg == u->alg &&
                    checksum_b64_decode(p.ck_alg, p.ck, strlen(p.ck), bin) == 0;
        if (composite && checksum_update(&ck, bin, checksum_digest_len(u->alg)) < 0)
            err = S3E_INTERNAL;
    }
    if (err)
        goto out;
    hash_final(&md5, md);
    hex_encode(md, 16, d->etag);
    snprintf(d->etag + 32, sizeof d->etag - 32, "-%d", n);
    d->parts = n;
    d->ck[0] = '\0';
    d->ck_alg = CK_NONE;
    if (composite && checksum_final(&ck, bin, ckb64) == 0) {
        snprintf(d->ck, sizeof d->ck, "%s-%d", ckb64, n);
        d->ck_alg = u->alg;
    }
out:
    checksum_free(&ck);
    return err;
}

/* Assembles the listed parts into the object and publishes it atomically. */
static enum s3_err assemble(struct s3_ctx *c, struct mp_upload *u, const struct cpart *v, int n,
                            const long long *sizes, const struct mp_done *d)
{
    struct s3_request *req = c->req;
    struct store_put put;
    struct s3_meta m;
    int put_open = 0;
    enum s3_err err;
    const char *inm = s3_req_header(req, "if-none-match");
    const char *im = s3_req_header(req, "if-match");
    if (inm && strcmp(inm, "*") != 0)
        return S3E_NOT_IMPLEMENTED;     /* S3 supports only If-None-Match: * on writes */
    memset(&m, 0, sizeof m);
    m.hdrs = arena_alloc(req->arena, (u->nhdrs + 3) * sizeof *m.hdrs);
    char *layout = arena_alloc(req->arena, MP_LAYOUT_MAX);
    if (!m.hdrs || !layout)
        return S3E_INTERNAL;
    memcpy(m.hdrs, u->hdrs, u->nhdrs * sizeof *m.hdrs);
    m.nhdrs = u->nhdrs;
    if (mp_layout_encode(sizes, n, layout, MP_LAYOUT_MAX) == 0) {
        m.hdrs[m.nhdrs].name = MP_LAYOUT_HDR;
        m.hdrs[m.nhdrs++].value = layout;
    }
    if (d->ck[0]) {
        m.hdrs[m.nhdrs].name = (char *)checksum_header_name(d->ck_alg);
        m.hdrs[m.nhdrs++].value = (char *)d->ck;
        m.hdrs[m.nhdrs].name = "x-amz-checksum-type";
        m.hdrs[m.nhdrs++].value = "COMPOSITE";
    }
    snprintf(m.etag, sizeof m.etag, "%s", d->etag);
    m.size = d->size;
    m.parts_count = n;
    if ((err = store_put_begin(&put, req->cfg, c->bucketfd, req->key, req->key_len)))
        goto out;
    put_open = 1;
    for (int i = 0; i < n && !err; i++) {
        struct mp_part p;
        int fd = -1;
        if (!(err = mp_part_open(u, v[i].number, &fd, &p)))
            err = p.size == sizes[i] ? store_put_copy(&put, fd, 0, p.size) : S3E_INTERNAL;
        /* the part's cached pages are clean (fsynced by UploadPart) and the part is
         * about to be dropped: give them back now, so the object's pages reuse them
         * rather than Complete holding both copies in memory (multipart.h) */
        if (fd >= 0 && req->cfg->fsync)
            (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (fd >= 0)
            close(fd);
    }
    if (err)
        goto out;
    char *etag_im = NULL;
    if (im) {
        size_t l = strlen(im);
        etag_im = l >= 2 && im[0] == '"' && im[l - 1] == '"' ? arena_strndup(req->arena, im + 1, l - 2)
                                                              : arena_strdup(req->arena, im);
    }
    err = store_put_commit(&put, &m, inm != NULL, etag_im);
    put_open = 0;
out:
    if (put_open)
        store_put_abort(&put);
    return err;
}

enum s3_err op_complete_multipart(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct mp_upload u;
    struct mp_done d;
    struct cpart *v = NULL;
    int n = 0, e;
    enum s3_err err = open_upload(c, &u);
    memset(&d, 0, sizeof d);
    if (err || (err = parse_complete(c, &v, &n)) || c->resp->state != RESP_HEADERS)
        goto out;
    /* earlier Completes' parts: a bounded share, before this one adds its own */
    (void)mp_trash_free(req->cfg, MP_TRASH_BUDGET);
    /* exclusive for the whole run: parts cannot change, a racing Complete or Abort
     * waits, then finds "done" or nothing */
    if ((e = mp_lock(&u, MP_LOCK_EXCLUSIVE))) {
        err = store_errno(e);
        goto out;
    }
    switch (mp_state(&u)) {
    case MP_GONE:
        err = S3E_NO_SUCH_UPLOAD;
        goto out;
    case MP_DONE:       /* a retry, or the loser of a race: answer as the winner did */
        if ((err = mp_done_read(&u, req->arena, &d)))
            goto out;
        if (d.key_len != req->key_len || memcmp(d.key, req->key, d.key_len) != 0) {
            err = S3E_NO_SUCH_UPLOAD;
            goto out;
        }
        mp_drop_parts(req->cfg, &u);     /* what a crash after "done" left */
        mp_unlock(&u);
        err = complete_reply(c, &d);
        goto out;
    case MP_ACTIVE:
        break;
    }
    long long *sizes = arena_alloc(req->arena, (size_t)n * sizeof *sizes);
    if (!sizes) {
        err = S3E_INTERNAL;
        goto out;
    }
    if ((err = check_parts(&u, v, n, sizes, &d)))
        goto out;
    /* x-amz-mp-object-size: the size the client expects the object to have */
    const char *want = s3_req_header(req, "x-amz-mp-object-size");
    unsigned long long wsize;
    if (want && (parse_u64(want, strlen(want), (unsigned long long)LLONG_MAX, &wsize) < 0 ||
                 (long long)wsize != d.size)) {
        err = reply_error(c, S3E_INVALID_REQUEST, arena_printf(req->arena,
                          "The provided 'x-amz-mp-object-size' header value \"%s\" does not match "
                          "what was computed: \"%lld\"", want, d.size));
        goto out;
    }
    if ((err = assemble(c, &u, v, n, sizes, &d)))
        goto out;
    d.key = req->key;
    d.key_len = req->key_len;
    /* the object is published; a lost marker only means a retry assembles again.
     * Once "done" is durable the parts go to the trash: a rename each, no data is
     * freed here (multipart.h) */
    if (mp_done_write(req->cfg, &u, &d) == S3E_OK)
        mp_drop_parts(req->cfg, &u);
    else
        s3_io_logf(req->io, "request %s: upload %s completed but its marker could not be written",
                   req->request_id, u.id);
    mp_unlock(&u);
    err = complete_reply(c, &d);
out:
    mp_close(&u);
    return err;
}

/* ---- AbortMultipartUpload ---- */

enum s3_err op_abort_multipart(struct s3_ctx *c)
{
    struct mp_upload u;
    int e;
    enum s3_err err = open_upload(c, &u);
    if (err)
        goto out;
    if ((e = mp_lock(&u, MP_LOCK_EXCLUSIVE))) {
        err = store_errno(e);
        goto out;
    }
    if (mp_state(&u) != MP_ACTIVE) {
        err = S3E_NO_SUCH_UPLOAD;
        goto out;
    }
    if ((err = mp_remove(c->req->cfg, &u)))
        goto out;
    resp_status(c->resp, 204);
    resp_finish(c->resp);
    (void)mp_trash_free(c->req->cfg, MP_TRASH_BUDGET);
out:
    mp_close(&u);
    return err;
}

/* ---- ListParts ---- */

static int bit(const unsigned char *bits, int n)
{
    return bits[n / 8] >> (n % 8) & 1;
}

enum s3_err op_list_parts(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct mp_upload u;
    unsigned char *bits = NULL;
    long max, marker = 0;
    int url, e;
    enum s3_err err = open_upload(c, &u);
    if (err)
        goto out;
    if (mp_state(&u) != MP_ACTIVE) {
        err = S3E_NO_SUCH_UPLOAD;
        goto out;
    }
    if ((err = op_query_count(req, "max-parts", LIST_MAX, LIST_MAX, &max)) ||
        (err = op_query_count(req, "part-number-marker", 0, MP_MAX_PARTS, &marker)) ||
        (err = op_encoding_type(req, &url)))
        goto out;
    if (!(bits = malloc(MP_BITMAP_BYTES))) {
        err = S3E_INTERNAL;
        goto out;
    }
    if ((e = mp_part_scan(&u, bits))) {
        err = store_errno(e);
        goto out;
    }
    /* the page: up to max part numbers after the marker; truncated when more follow */
    int last = (int)marker, listed = 0, truncated = 0;
    for (int i = (int)marker + 1; i <= MP_MAX_PARTS; i++) {
        if (!bit(bits, i))
            continue;
        if (listed == max) {
            truncated = 1;
            break;
        }
        listed++;
        last = i;
    }
    struct xmlw w;
    op_xml_begin(c, &w, "ListPartsResult");
    xmlw_text(&w, "Bucket", req->bucket);
    op_xml_key(&w, "Key", req->key, req->key_len, url);
    xmlw_text(&w, "UploadId", u.id);
    op_owner_xml(c, &w, "Initiator");
    op_owner_xml(c, &w, "Owner");
    xmlw_text(&w, "StorageClass", "STANDARD");
    xmlw_int(&w, "PartNumberMarker", marker);
    xmlw_int(&w, "NextPartNumberMarker", last);
    xmlw_int(&w, "MaxParts", max);
    xmlw_bool(&w, "IsTruncated", truncated);
    if (u.alg != CK_NONE) {
        xmlw_text(&w, "ChecksumAlgorithm", checksum_alg_name(u.alg));
        xmlw_text(&w, "ChecksumType", u.ck_type ? u.ck_type : "COMPOSITE");
    }
    if (url)
        xmlw_text(&w, "EncodingType", "url");
    for (int i = (int)marker + 1; i <= last; i++) {
        struct mp_part p;
        int fd = -1;
        char date[25];
        if (!bit(bits, i) || mp_part_open(&u, i, &fd, &p) != S3E_OK)
            continue;       /* vanished since the scan (an Abort): not listed */
        close(fd);
        time_iso8601(p.mtime.tv_sec, date);
        xmlw_open(&w, "Part");
        xmlw_int(&w, "PartNumber", i);
        xmlw_text(&w, "LastModified", date);
        xmlw_textf(&w, "ETag", "\"%s\"", p.md5);
        xmlw_int(&w, "Size", p.size);
        checksum_xml(&w, p.ck_alg, p.ck);
        xmlw_close(&w, "Part");
    }
    err = op_xml_end(c, &w, "ListPartsResult");
out:
    free(bits);
    mp_close(&u);
    return err;
}

/* ---- ListMultipartUploads ---- */

/* One entry of the page: an upload, or a common prefix (id ""). */
struct lmu_item {
    char name[S3_MAX_KEY_LEN + 1];
    size_t name_len;
    char id[MP_ID_LEN + 1];
    struct timespec initiated;
    enum checksum_alg alg;
};

/* Keeps the cap smallest entries after the markers, in S3 order (key bytes, then
 * upload id = initiation order), common prefixes counted once: memory is
 * cap * sizeof(struct lmu_item) whatever the number of uploads. */
struct lmu_state {
    const char *prefix, *delim, *key_marker, *id_marker;
    size_t prefix_len, delim_len, km_len;
    struct lmu_item *items;
    size_t n, cap;
};

static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

static int item_cmp(const char *name, size_t len, const char *id, const struct lmu_item *it)
{
    int r = name_cmp(name, len, it->name, it->name_len);
    return r ? r : strcmp(id, it->id);
}

static int lmu_cb(void *ctx, const struct mp_entry *e)
{
    struct lmu_state *st = ctx;
    const char *name = e->key, *id = e->id;
    size_t len = e->key_len;
    if (len > S3_MAX_KEY_LEN || len < st->prefix_len || memcmp(name, st->prefix, st->prefix_len) != 0)
        return 0;
    if (st->delim_len) {
        const char *p = memmem(name + st->prefix_len, len - st->prefix_len, st->delim, st->delim_len);
        if (p) {
            len = (size_t)(p - name) + st->delim_len;
            id = "";
        }
    }
    if (st->key_marker) {
        int r = name_cmp(name, len, st->key_marker, st->km_len);
        if (r < 0 || (r == 0 && (!st->id_marker || !*id || strcmp(id, st->id_marker) <= 0)))
            return 0;
    }
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (item_cmp(name, len, id, &st->items[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < st->n && item_cmp(name, len, id, &st->items[lo]) == 0)
        return 0;           /* a common prefix already held */
    if (lo == st->cap)
        return 0;           /* after everything kept */
    if (st->n == st->cap)
        st->n--;
    memmove(&st->items[lo + 1], &st->items[lo], (st->n - lo) * sizeof *st->items);
    struct lmu_item *it = &st->items[lo];
    memcpy(it->name, name, len);
    it->name[len] = '\0';
    it->name_len = len;
    snprintf(it->id, sizeof it->id, "%s", id);
    it->initiated = e->initiated;
    it->alg = e->alg;
    st->n++;
    return 0;
}

enum s3_err op_list_multipart_uploads(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct lmu_state st;
    long max;
    int url;
    memset(&st, 0, sizeof st);
    enum s3_err err = op_query_count(req, "max-uploads", LIST_MAX, LIST_MAX, &max);
    if (err || (err = op_encoding_type(req, &url)))
        return err;
    st.prefix = s3_req_query(req, "prefix");
    st.delim = s3_req_query(req, "delimiter");
    st.key_marker = s3_req_query(req, "key-marker");
    st.id_marker = s3_req_query(req, "upload-id-marker");
    if (!st.prefix)
        st.prefix = "";
    st.prefix_len = strlen(st.prefix);
    st.delim_len = st.delim ? strlen(st.delim) : 0;
    if (st.key_marker && !*st.key_marker)
        st.key_marker = NULL;
    if (st.id_marker && !*st.id_marker)
        st.id_marker = NULL;
    st.km_len = st.key_marker ? strlen(st.key_marker) : 0;
    st.cap = (size_t)max + 1;
    if (!(st.items = malloc(st.cap * sizeof *st.items)))
        return S3E_INTERNAL;
    if ((err = mp_each_upload(req->cfg, req->bucket, lmu_cb, &st)))
        goto out;
    int truncated = st.n > (size_t)max;
    size_t shown = truncated ? (size_t)max : st.n;
    const struct lmu_item *lastit = shown ? &st.items[shown - 1] : NULL;
    struct xmlw w;
    op_xml_begin(c, &w, "ListMultipartUploadsResult");
    xmlw_text(&w, "Bucket", req->bucket);
    op_xml_key(&w, "KeyMarker", st.key_marker ? st.key_marker : "", st.km_len, url);
    xmlw_text(&w, "UploadIdMarker", st.key_marker && st.id_marker ? st.id_marker : "");
    op_xml_key(&w, "NextKeyMarker", lastit ? lastit->name : "", lastit ? lastit->name_len : 0, url);
    xmlw_text(&w, "NextUploadIdMarker", lastit ? lastit->id : "");
    if (st.delim)
        op_xml_key(&w, "Delimiter", st.delim, st.delim_len, url);
    op_xml_key(&w, "Prefix", st.prefix, st.prefix_len, url);
    xmlw_int(&w, "MaxUploads", max);
    xmlw_bool(&w, "IsTruncated", truncated);
    if (url)
        xmlw_text(&w, "EncodingType", "url");
    for (size_t i = 0; i < shown; i++) {
        const struct lmu_item *it = &st.items[i];
        char date[25];
        if (!it->id[0])
            continue;
        time_iso8601(it->initiated.tv_sec, date);
        xmlw_open(&w, "Upload");
        op_xml_key(&w, "Key", it->name, it->name_len, url);
        xmlw_text(&w, "UploadId", it->id);
        op_owner_xml(c, &w, "Initiator");
        op_owner_xml(c, &w, "Owner");
        xmlw_text(&w, "StorageClass", "STANDARD");
        xmlw_text(&w, "Initiated", date);
        if (it->alg != CK_NONE)
            xmlw_text(&w, "ChecksumAlgorithm", checksum_alg_name(it->alg));
        xmlw_close(&w, "Upload");
    }
    for (size_t i = 0; i < shown; i++) {
        const struct lmu_item *it = &st.items[i];
        if (it->id[0])
            continue;
        xmlw_open(&w, "CommonPrefixes");
        op_xml_key(&w, "Prefix", it->name, it->name_len, url);
        xmlw_close(&w, "CommonPrefixes");
    }
    err = op_xml_end(c, &w, "ListMultipartUploadsResult");
out:
    free(st.items);
    return err;
}
