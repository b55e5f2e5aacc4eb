/* access.c - authorization decisions (the model is described in access.h). */
#include "access.h"

#include <string.h>
#include <unistd.h>

#include "config.h"
#include "store.h"
#include "uri.h"

#define MSG_NO_PUBLIC_WRITE "x-amz-acl public-read-write is not supported: s3cgi never gives " \
    "unsigned requests write access. Use private, public-read or authenticated-read."
#define MSG_NO_EXEC_READ "x-amz-acl aws-exec-read (read access for Amazon EC2) is not " \
    "supported. Use private, public-read or authenticated-read."
#define MSG_NO_LOG_WRITE "x-amz-acl log-delivery-write is not supported: s3cgi has no S3 " \
    "server access logging (the web server logs the requests)."
#define MSG_BAD_ACL "The x-amz-acl value is not a canned ACL: private, public-read, " \
    "authenticated-read, bucket-owner-read or bucket-owner-full-control."
#define MSG_NO_GRANTS "x-amz-grant-* headers are not supported; set a canned ACL with " \
    "x-amz-acl (private, public-read or authenticated-read)."

/* x-amz-acl values (S3 User Guide, "Canned ACL"). refusal NULL: accepted as acl. */
static const struct canned {
    const char *name;
    enum s3_acl acl;
    enum s3_err err;
    const char *refusal;
} canned_acls[] = {
    { "private", S3_ACL_PRIVATE, S3E_OK, NULL },
    { "public-read", S3_ACL_PUBLIC_READ, S3E_OK, NULL },
    { "authenticated-read", S3_ACL_AUTHENTICATED_READ, S3E_OK, NULL },
    /* S3 ignores these on buckets; on objects the bucket owner holds FULL_CONTROL of
     * every object already, which is all they add to private */
    { "bucket-owner-read", S3_ACL_PRIVATE, S3E_OK, NULL },
    { "bucket-owner-full-control", S3_ACL_PRIVATE, S3E_OK, NULL },
    { "public-read-write", S3_ACL_PRIVATE, S3E_NOT_IMPLEMENTED, MSG_NO_PUBLIC_WRITE },
    { "aws-exec-read", S3_ACL_PRIVATE, S3E_NOT_IMPLEMENTED, MSG_NO_EXEC_READ },
    { "log-delivery-write", S3_ACL_PRIVATE, S3E_NOT_IMPLEMENTED, MSG_NO_LOG_WRITE },
};

enum s3_err access_canned_acl(const char *value, enum s3_acl_target target, enum s3_acl *out,
                              const char **msg)
{
    (void)target;       /* every accepted value means the same on buckets and objects */
    *out = S3_ACL_PRIVATE;
    for (size_t i = 0; i < sizeof canned_acls / sizeof *canned_acls; i++) {
        const struct canned *k = &canned_acls[i];
        if (strcmp(value, k->name) != 0)
            continue;
        *msg = k->refusal;
        *out = k->acl;
        return k->err;
    }
    *msg = MSG_BAD_ACL;
    return S3E_INVALID_ARGUMENT;
}

enum s3_acl access_object_acl(const struct s3_meta *m)
{
    enum s3_acl acl = S3_ACL_PRIVATE;
    const char *v = s3_meta_get(m, S3_OBJECT_ACL_HDR);
    if (!v || bucketmeta_acl_parse(v, &acl) < 0)
        return S3_ACL_PRIVATE;
    return acl;
}

void access_bucket_owner(const struct s3_config *cfg, const struct bucket_meta *bm,
                         struct s3_owner *out)
{
    const struct s3_credential *c;
    if (bm->owner[0]) {
        c = s3_config_find_id(cfg, bm->owner);
        memcpy(out->id, bm->owner, sizeof out->id);
        out->display_name = c ? c->display_name : out->id;
    } else if ((c = s3_config_first_admin(cfg))) {
        memcpy(out->id, c->id, strlen(c->id) + 1);
        out->display_name = c->display_name;
    } else {
        op_anonymous_owner(out);
    }
}

enum access_level access_level_of(const struct s3_request *req, const struct bucket_meta *bm,
                                  const char *bucket)
{
    const struct s3_credential *cred = req->auth.cred;
    enum access_level l = ACCESS_NONE;
    if (!cred)
        return req->cfg->anonymous_full ? ACCESS_OWNER : ACCESS_NONE;
    if (cred->admin || (bm->owner[0] && strcmp(bm->owner, cred->id) == 0))
        l = ACCESS_OWNER;
    else
        switch (s3_credential_grant(cred, bucket)) {
        case 2: l = ACCESS_WRITE; break;
        case 1: l = ACCESS_READ; break;
        default: break;
        }
    return cred->read_only && l > ACCESS_READ ? ACCESS_READ : l;
}

int access_is_owner(const struct s3_request *req, const struct bucket_meta *bm)
{
    const struct s3_credential *cred = req->auth.cred;
    if (!cred)
        return req->cfg->anonymous_full && !bm->owner[0];
    return bm->owner[0] ? strcmp(bm->owner, cred->id) == 0 : cred->admin;
}

int access_lists_bucket(const struct s3_request *req, const char *bucket)
{
    const struct s3_credential *cred = req->auth.cred;
    struct bucket_meta bm;
    int fd = -1, shown = 0;
    if (cred ? cred->admin : req->cfg->anonymous_full)
        return 1;
    if (!cred || store_bucket_open(req->cfg, bucket, &fd) != S3E_OK)
        return 0;
    if (bucketmeta_load(req->cfg, bucket, fd, &bm) == S3E_OK)
        shown = access_level_of(req, &bm, bucket) >= ACCESS_READ;
    close(fd);
    return shown;
}

/* 1 when a canned ACL lets req read without any level: AllUsers or
 * AuthenticatedUsers READ. */
static int acl_opens(enum s3_acl acl, const struct s3_request *req)
{
    return acl == S3_ACL_PUBLIC_READ || (acl == S3_ACL_AUTHENTICATED_READ && req->auth.cred);
}

/* The object's own ACL opens it to req. Any failure to read it (no such key
 * included: S3 answers 403, not 404, to whoever may not list the bucket) is a no.
 * Costs an open and a metadata read, only for requests no bucket permission covers. */
static int object_opens(const struct s3_request *req, int bucketfd, const char *key,
                        size_t key_len)
{
    struct s3_meta m;
    int fd = -1;
    enum s3_err err = store_object_open(req->cfg, bucketfd, key, key_len, req->arena, &fd, &m);
    if (fd >= 0)
        close(fd);
    return err == S3E_OK && acl_opens(access_object_acl(&m), req);
}

enum s3_err access_may_read_object(const struct s3_request *req, const char *bucket,
                                   int bucketfd, const char *key, size_t key_len)
{
    struct bucket_meta bm;
    if (bucketmeta_load(req->cfg, bucket, bucketfd, &bm) != S3E_OK)
        return S3E_INTERNAL;
    if (access_level_of(req, &bm, bucket) >= ACCESS_READ || acl_opens(bm.acl, req) ||
        object_opens(req, bucketfd, key, key_len))
        return S3E_OK;
    return S3E_ACCESS_DENIED;
}

/* The source bucket and key of x-amz-copy-source v exactly as the operation reads
 * them: CopyObject (op_copy.c) trims blanks and ends the path at the first '?';
 * UploadPartCopy (op_multipart.c) ends it only at "?versionId=". Then: percent-decode,
 * an optional leading '/', "bucket/key" with both non-empty. 0, or -1 when the
 * operation will refuse the header itself. */
static int copy_source(struct arena *a, const char *v, int upload_part, char **bucket,
                       const char **key, size_t *key_len)
{
    size_t n = strlen(v);
    if (upload_part) {
        const char *q = strstr(v, "?versionId=");
        if (q)
            n = (size_t)(q - v);
    } else {
        while (n && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        const char *q = memchr(v, '?', n);
        if (q)
            n = (size_t)(q - v);
    }
    char *path = arena_alloc(a, n + 1);
    long dl = path ? uri_decode(v, n, path) : -1;
    if (dl < 0)
        return -1;
    char *p = path, *end = path + dl;
    if (p < end && *p == '/')
        p++;
    char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash || slash == p || slash + 1 == end || memchr(p, '\0', (size_t)(slash - p)))
        return -1;
    *slash = '\0';
    *bucket = p;
    *key = slash + 1;
    *key_len = (size_t)(end - slash - 1);
    return 0;
}

/* CopyObject / UploadPartCopy: the source must be readable too. A header the
 * operation will refuse, or a source bucket that does not exist, is left to the
 * operation, which words those errors (InvalidArgument, NoSuchBucket). */
static enum s3_err check_copy_source(const struct s3_request *req, const struct s3_route *r,
                                     const char *v)
{
    char *bucket;
    const char *key;
    size_t key_len;
    int fd = -1;
    if (copy_source(req->arena, v, r->fn == op_upload_part, &bucket, &key, &key_len) < 0 ||
        store_bucket_open(req->cfg, bucket, &fd) != S3E_OK)
        return S3E_OK;
    enum s3_err err = access_may_read_object(req, bucket, fd, key, key_len);
    close(fd);
    return err;
}

/* Does the route's permission hold? */
static enum s3_err check_perm(struct s3_ctx *c, const struct s3_route *r)
{
    const struct s3_request *req = c->req;
    const struct s3_credential *cred = req->auth.cred;
    struct bucket_meta bm;
    static const enum access_level need[] = {
        [P_READ_PUBLIC] = ACCESS_READ, [P_READ] = ACCESS_READ,
        [P_WRITE] = ACCESS_WRITE, [P_OWNER] = ACCESS_OWNER,
    };
    switch (r->perm) {
    case P_SERVICE:
        return cred ? S3E_OK : S3E_ACCESS_DENIED;
    case P_CREATE:
        return cred && !cred->read_only ? S3E_OK : S3E_ACCESS_DENIED;
    case P_READ_PUBLIC:
    case P_READ:
    case P_WRITE:
    case P_OWNER:
        break;
    }
    if (c->bucketfd < 0)
        return S3E_ACCESS_DENIED;       /* every bucket route opens its bucket first */
    if (bucketmeta_load(req->cfg, req->bucket, c->bucketfd, &bm) != S3E_OK)
        return S3E_INTERNAL;
    if (access_level_of(req, &bm, req->bucket) >= need[r->perm])
        return S3E_OK;
    if (r->perm != P_READ_PUBLIC)
        return S3E_ACCESS_DENIED;
    if (acl_opens(bm.acl, req))
        return S3E_OK;
    if (r->target == T_OBJECT && object_opens(req, c->bucketfd, req->key, req->key_len))
        return S3E_OK;
    return S3E_ACCESS_DENIED;
}

/* x-amz-acl and x-amz-grant-* on a route that takes an ACL: never ignored. */
static enum s3_err check_acl_headers(const struct s3_request *req, const struct s3_route *r,
                                     const char **msg)
{
    if (r->acl == ACLT_NONE)
        return S3E_OK;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strncmp(req->headers[i].name, "x-amz-grant-", 12) == 0) {
            *msg = MSG_NO_GRANTS;
            return S3E_NOT_IMPLEMENTED;
        }
    const char *v = s3_req_header(req, "x-amz-acl");
    enum s3_acl acl;
    enum s3_err err = v ? access_canned_acl(v, r->acl, &acl, msg) : S3E_OK;
    if (err || !v)
        return err;
    return S3E_OK;
}

enum s3_err access_check(struct s3_ctx *c, const struct s3_route *r, const char **msg)
{
    const struct s3_request *req = c->req;
    enum s3_err err;
    *msg = NULL;
    if (req->auth.cred || !req->cfg->anonymous_full) {
        if ((err = check_perm(c, r)))
            return err;
        const char *src = s3_req_header(req, "x-amz-copy-source");
        if (src && req->method == M_PUT && r->target == T_OBJECT &&
            (err = check_copy_source(req, r, src)))
            return err;
    }
    err = check_acl_headers(req, r, msg);
    if (err == S3E_OK)
        *msg = NULL;
    return err;
}
