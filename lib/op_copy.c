/* op_copy.c - CopyObject: PUT key with x-amz-copy-source (AWS S3 API reference,
 * "CopyObject").
 *
 * Contract (ops.h): S3E_OK once a complete response was written (the 200
 * CopyObjectResult, or an error this file words itself: S3's specific <Message>s need
 * resp_error, the dispatcher only knows the table's), else an error with nothing
 * written.
 *
 * What is implemented, with S3's documented behaviour:
 *   - x-amz-copy-source: URL-encoded "bucket/key" or "/bucket/key", optionally
 *     "?versionId=<id>". Only "null" names a version in an unversioned bucket; any
 *     other id is 400 InvalidArgument "Invalid version id specified" (S3's answer for
 *     an id that cannot exist; s3cgi has no NoSuchVersion entry). A source without
 *     bucket or key: 400 InvalidArgument "Copy Source must mention the source bucket
 *     and key: sourcebucket/sourcekey". Missing bucket/key: 404 NoSuchBucket/NoSuchKey.
 *   - x-amz-metadata-directive COPY (default: the source's stored headers) or REPLACE
 *     (the stored headers of this request, Content-Type defaulting to
 *     binary/octet-stream, as PutObject); anything else 400 InvalidArgument "Unknown
 *     metadata directive.".
 *   - x-amz-copy-source-if-{match,none-match,modified-since,unmodified-since} against
 *     the source (s3_cond_eval_copy): 412 PreconditionFailed.
 *   - If-None-Match: * / If-Match on the destination, as PutObject (decided by
 *     store_put_commit right before publishing).
 *   - A source over 5 GiB: 400 InvalidRequest "The specified copy source is larger
 *     than the maximum allowable size for a copy source: 5368709120".
 *   - Copying a key onto itself without REPLACE (or another change S3 counts:
 *     x-amz-storage-class, x-amz-website-redirect-location,
 *     x-amz-server-side-encryption*): 400 InvalidRequest "This copy request is
 *     illegal ...". With one, the object is republished: same bytes, new metadata.
 *   - Data: store_put_copy of the whole source into a fresh temp file (reflink, else
 *     copy_file_range, else a bounded loop: memory never grows with the size), then
 *     the atomic publish of store_put_commit. Readers see the old object or the new
 *     one; a self-copy with REPLACE is exactly such a republish, so new metadata
 *     never meets a torn body.
 *   - ETag: "Objects created by the PUT Object, POST Object, or Copy operation ... and
 *     are encrypted by SSE-S3 or plaintext, have ETags that are an MD5 digest of their
 *     object data" (API reference, Object.ETag). A single-part source's ETag is that
 *     MD5 already and is kept; for a multipart source ("hex-N") the MD5 of the copied
 *     bytes is computed, and the part layout is not kept (the copy is one part).
 *   - Checksums: a single-part source's full-object x-amz-checksum-<alg> describes the
 *     same bytes and is kept under either directive (it is not user metadata); a
 *     multipart source's composite values are dropped. x-amz-checksum-algorithm asks
 *     for that algorithm: kept when the source has it, else computed over the copy.
 *   - Directory objects ("dir/"): a zero-byte source of any kind copies onto a
 *     directory-object key; a non-empty source onto "dir/" cannot map (400).
 * Response: 200 application/xml CopyObjectResult {ETag (quoted), LastModified,
 * Checksum<ALG>}; x-amz-copy-source-version-id: null when the source named it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>


#include "body.h"
#include "checksum.h"
#include "cond.h"
#include "config.h"
#include "hash.h"
#include "ops.h"
#include "store.h"
#include "uri.h"
#include "util.h"

#define MAX_COPY_SIZE 5368709120LL      /* S3: 5 GiB per CopyObject */
#define HASH_BLOCK (256u << 10)
#define COPY_BODY_CAP 8192              /* a copy carries no body; see verify_body */

#define MSG_BAD_SOURCE "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
#define MSG_BAD_VERSION "Invalid version id specified"
#define MSG_BAD_DIRECTIVE "Unknown metadata directive."
#define MSG_TOO_LARGE "The specified copy source is larger than the maximum allowable size " \
                      "for a copy source: 5368709120"
#define MSG_SELF_COPY "This copy request is illegal because it is trying to copy an object " \
                      "to itself without changing the object's metadata, storage class, " \
                      "website redirect location or encryption attributes."
#define MSG_BAD_ALG "Checksum algorithm provided is unsupported. Please try again with any " \
                    "of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"

/* The decoded x-amz-copy-source. Strings live in the request's arena. */
struct copy_source {
    char *bucket;
    char *key;
    size_t key_len;
    int version_null;           /* "?versionId=null" was given */
};

static void trim_ows(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Parses the header value v into *src. *msg gets S3's message for the errors it
 * words. S3E_INVALID_ARGUMENT, S3E_NO_SUCH_BUCKET (a bucket name holding NUL),
 * S3E_INTERNAL. */
static enum s3_err parse_copy_source(struct arena *a, const char *v, struct copy_source *src,
                                     const char **msg)
{
    size_t n = strlen(v);
    trim_ows(&v, &n);
    const char *q = memchr(v, '?', n);
    size_t plen = q ? (size_t)(q - v) : n;
    memset(src, 0, sizeof *src);

    /* query: only versionId means something to S3 here; names are matched decoded */
    for (const char *p = q ? q + 1 : NULL, *end = v + n; p && p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);
        const char *eq = memchr(p, '=', len);
        if (eq && (size_t)(eq - p) == 9 && memcmp(p, "versionId", 9) == 0) {
            size_t vlen = len - 10;
            char *val = arena_alloc(a, vlen + 1);
            if (!val)
                return S3E_INTERNAL;
            long dl = uri_decode(eq + 1, vlen, val);
            if (dl != 4 || memcmp(val, "null", 4) != 0) {
                *msg = MSG_BAD_VERSION;
                return S3E_INVALID_ARGUMENT;
            }
            src->version_null = 1;
        }
        p = amp ? amp + 1 : NULL;
    }

    char *path = arena_alloc(a, plen + 1);
    if (!path)
        return S3E_INTERNAL;
    long dl = uri_decode(v, plen, path);
    *msg = MSG_BAD_SOURCE;
    if (dl < 0)
        return S3E_INVALID_ARGUMENT;
    char *p = path, *end = path + dl;
    if (p < end && *p == '/')
        p++;
    char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash || slash == p || slash + 1 == end)
        return S3E_INVALID_ARGUMENT;
    *msg = NULL;
    *slash = '\0';
    if (memchr(p, '\0', (size_t)(slash - p)))
        return S3E_NO_SUCH_BUCKET;
    src->bucket = p;
    src->key = slash + 1;
    src->key_len = (size_t)(end - src->key);
    return S3E_OK;
}

static int is_multipart(const struct s3_meta *m)
{
    return m->parts_count > 0 || strchr(m->etag, '-') != NULL;
}

/* Appends a header to dm (room was reserved by the caller). */
static void add_hdr(struct s3_meta *dm, char *name, char *value)
{
    dm->hdrs[dm->nhdrs].name = name;
    dm->hdrs[dm->nhdrs].value = value;
    dm->nhdrs++;
}

/* The headers the copy stores: the source's (COPY) or this request's (REPLACE) stored
 * headers, then the source's full-object checksum when it still describes the bytes
 * and was not superseded by x-amz-checksum-algorithm. *have_ck is set when the
 * checksum asked for (want) is among them. */
static enum s3_err build_meta(struct s3_request *req, const struct s3_meta *sm, int replace,
                              enum checksum_alg want, struct s3_meta *dm, int *have_ck)
{
    if (replace) {
        /* this request's headers, room for the source's checksums and a computed one */
        enum s3_err err = op_collect_headers(req, sm->nhdrs + 1, &dm->hdrs, &dm->nhdrs);
        if (err)
            return err;
    } else {
        struct s3_meta_kv acl;
        int have_acl;
        enum s3_err err = op_acl_header(req, &acl, &have_acl);
        if (err)
            return err;
        dm->hdrs = arena_alloc(req->arena, (2 * sm->nhdrs + 2) * sizeof *dm->hdrs);
        if (!dm->hdrs)
            return S3E_INTERNAL;
        for (size_t i = 0; i < sm->nhdrs; i++)
            if (op_is_stored_header(sm->hdrs[i].name))
                add_hdr(dm, sm->hdrs[i].name, sm->hdrs[i].value);
        if (have_acl)
            add_hdr(dm, acl.name, acl.value);
    }
    *have_ck = 0;
    if (is_multipart(sm))
        return S3E_OK;
    for (size_t i = 0; i < sm->nhdrs; i++) {
        const char *name = sm->hdrs[i].name;
        enum checksum_alg alg = checksum_alg_from_header(name, strlen(name));
        if (alg == CK_NONE || (want != CK_NONE && alg != want))
            continue;
        *have_ck |= alg == want;
        add_hdr(dm, sm->hdrs[i].name, sm->hdrs[i].value);
    }
    return S3E_OK;
}

/* Reads the len bytes published by put (its temp file; nothing for a directory object)
 * once, with a fixed buffer: MD5 into md5_hex when asked, and the checksum ck_alg into
 * ck_b64 when not CK_NONE. */
static enum s3_err hash_copy(const struct store_put *put, long long len, char *md5_hex,
                             enum checksum_alg ck_alg, char ck_b64[CHECKSUM_B64_MAX])
{
    enum s3_err err = S3E_INTERNAL;
    struct checksum ck;
    struct hash_ctx md5;
    char *block = malloc(HASH_BLOCK);
    memset(&ck, 0, sizeof ck);
    if (!block || (ck_alg != CK_NONE && checksum_init(&ck, ck_alg) != 0))
        goto out;
    if (md5_hex)
        hash_init(&md5, HASH_MD5);
    for (long long off = 0; off < len;) {
        size_t want = len - off < (long long)HASH_BLOCK ? (size_t)(len - off) : HASH_BLOCK;
        ssize_t n = put->fd >= 0 ? pread(put->fd, block, want, off) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        if (md5_hex)
            hash_update(&md5, block, (size_t)n);
        if (ck_alg != CK_NONE && checksum_update(&ck, block, (size_t)n) != 0)
            goto out;
        off += n;
    }
    unsigned char digest[CHECKSUM_MAX_DIGEST];
    if (md5_hex) {
        hash_final(&md5, digest);
        hex_encode(digest, 16, md5_hex);
    }
    if (ck_alg != CK_NONE && checksum_final(&ck, digest, ck_b64) != 0)
        goto out;
    err = S3E_OK;
out:
    checksum_free(&ck);
    free(block);
    return err;
}

/* A copy request has no body, but when its signature covers the hash of one (curl
 * --aws-sigv4 sends no x-amz-content-sha256 and auth deferred the check), the
 * signature is only verified by reading it: done before anything is touched. */
static enum s3_err verify_body(struct s3_request *req)
{
    char *data;
    size_t len;
    if (!req->auth.deferred)
        return S3E_OK;
    return body_read_all(req, COPY_BODY_CAP, &data, &len);
}

/* S3 lets a key be copied onto itself only when something about it changes. */
static int changes_something(const struct s3_request *req, int replace)
{
    if (replace || s3_req_header(req, "x-amz-storage-class") ||
        s3_req_header(req, "x-amz-website-redirect-location"))
        return 1;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strncmp(req->headers[i].name, "x-amz-server-side-encryption", 28) == 0)
            return 1;
    return 0;
}

enum s3_err op_copy_object(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct copy_source src;
    struct s3_meta sm, dm;
    struct store_put put;
    struct timespec mtime;
    char ck_b64[CHECKSUM_B64_MAX] = "";
    const char *msg = NULL;
    int srcbfd = -1, srcfd = -1, put_open = 0, replace = 0, have_ck = 0;
    enum checksum_alg want = CK_NONE;
    enum s3_err err;

    memset(&dm, 0, sizeof dm);
    const char *inm = s3_req_header(req, "if-none-match");
    const char *im = s3_req_header(req, "if-match");
    const char *directive = s3_req_header(req, "x-amz-metadata-directive");
    const char *alg = s3_req_header(req, "x-amz-checksum-algorithm");
    if ((err = verify_body(req)) ||
        (err = parse_copy_source(req->arena, s3_req_header(req, "x-amz-copy-source"), &src, &msg)))
        goto out;
    if (directive && strcmp(directive, "REPLACE") != 0 && strcmp(directive, "COPY") != 0) {
        err = S3E_INVALID_ARGUMENT;
        msg = MSG_BAD_DIRECTIVE;
        goto out;
    }
    replace = directive && strcmp(directive, "REPLACE") == 0;
    if (alg && (want = checksum_alg_from_name(alg, strlen(alg))) == CK_NONE) {
        err = S3E_INVALID_REQUEST;
        msg = MSG_BAD_ALG;
        goto out;
    }
    if (inm && strcmp(inm, "*") != 0) {
        err = S3E_NOT_IMPLEMENTED;      /* S3 supports only If-None-Match: * on writes */
        goto out;
    }

    int same_bucket = strcmp(src.bucket, req->bucket) == 0;
    if (!same_bucket && (err = store_bucket_open(req->cfg, src.bucket, &srcbfd)))
        goto out;
    if ((err = store_object_open(req->cfg, same_bucket ? c->bucketfd : srcbfd, src.key,
                                 src.key_len, req->arena, &srcfd, &sm)))
        goto out;
    struct s3_cond cond = {
        s3_req_header(req, "x-amz-copy-source-if-match"),
        s3_req_header(req, "x-amz-copy-source-if-none-match"),
        s3_req_header(req, "x-amz-copy-source-if-modified-since"),
        s3_req_header(req, "x-amz-copy-source-if-unmodified-since"),
    };
    if ((err = s3_cond_eval_copy(&cond, sm.etag, sm.mtime.tv_sec)))
        goto out;
    if (sm.size > MAX_COPY_SIZE) {
        err = S3E_INVALID_REQUEST;
        msg = MSG_TOO_LARGE;
        goto out;
    }
    if (same_bucket && src.key_len == req->key_len &&
        memcmp(src.key, req->key, req->key_len) == 0 && !changes_something(req, replace)) {
        err = S3E_INVALID_REQUEST;
        msg = MSG_SELF_COPY;
        goto out;
    }
    if ((err = build_meta(req, &sm, replace, want, &dm, &have_ck)))
        goto out;

    if ((err = store_put_begin(&put, req->cfg, c->bucketfd, req->key, req->key_len)))
        goto out;
    put_open = 1;
    if (sm.size > 0 && (err = store_put_copy(&put, srcfd, 0, sm.size)))
        goto out;
    enum checksum_alg compute = want != CK_NONE && !have_ck ? want : CK_NONE;
    if (is_multipart(&sm) || compute != CK_NONE) {
        if ((err = hash_copy(&put, sm.size, is_multipart(&sm) ? dm.etag : NULL, compute, ck_b64)))
            goto out;
        if (compute != CK_NONE)
            add_hdr(&dm, (char *)checksum_header_name(compute), ck_b64);
    }
    if (!is_multipart(&sm))
        memcpy(dm.etag, sm.etag, sizeof dm.etag);
    dm.size = sm.size;
    /* the new object's Last-Modified: the temp file's mtime after the last write,
     * which commit records in the blob (directory objects: the time of commit) */
    struct stat st;
    if (put.fd >= 0 && fstat(put.fd, &st) == 0)
        mtime = st.st_mtim;
    else
        clock_gettime(CLOCK_REALTIME, &mtime);
    err = store_put_commit(&put, &dm, inm != NULL, im ? op_unquote_etag(req->arena, im) : NULL);
    put_open = 0;
    if (err)
        goto out;

    char etag[84], date[25];
    snprintf(etag, sizeof etag, "\"%s\"", dm.etag);
    time_iso8601(mtime.tv_sec, date);
    if (src.version_null)
        resp_header(c->resp, "x-amz-copy-source-version-id", "null");
    struct xmlw w;
    op_xml_begin(c, &w, "CopyObjectResult");
    xmlw_text(&w, "ETag", etag);
    xmlw_text(&w, "LastModified", date);
    for (size_t i = 0; i < dm.nhdrs; i++) {
        const char *name = dm.hdrs[i].name;
        enum checksum_alg a = checksum_alg_from_header(name, strlen(name));
        char el[32];
        if (a == CK_NONE)
            continue;
        snprintf(el, sizeof el, "Checksum%s", checksum_alg_name(a));
        xmlw_text(&w, el, dm.hdrs[i].value);
    }
    err = op_xml_end(c, &w, "CopyObjectResult");
out:
    if (put_open)
        store_put_abort(&put);
    if (srcfd >= 0)
        close(srcfd);
    if (srcbfd >= 0)
        close(srcbfd);
    if (err && msg) {
        resp_error(c->resp, req, err, msg);
        err = S3E_OK;
    }
    return err;
}
