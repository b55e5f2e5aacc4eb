/* op_bucket.c - bucket operations: CreateBucket, DeleteBucket, HeadBucket,
 * GetBucketLocation, GetBucketVersioning, the ACLs of buckets and objects
 * (Get/PutBucketAcl, Get/PutObjectAcl; canned ACLs only, see access.h), and the
 * read-only answers for configurations s3cgi does not store (S3's own "no such
 * configuration" errors, which s3cmd info and other tools expect). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "access.h"
#include "body.h"
#include "bucketmeta.h"
#include "config.h"
#include "meta.h"
#include "ops.h"
#include "store.h"
#include "xmlin.h"

#define CREATE_BUCKET_BODY_MAX 65536

static enum s3_err check_location_constraint(struct s3_request *req)
{
    if (req->content_length == 0)
        return S3E_OK;
    char *data;
    size_t len;
    enum s3_err err = body_read_all(req, CREATE_BUCKET_BODY_MAX, &data, &len);
    if (err)
        return err == S3E_ENTITY_TOO_LARGE ? S3E_MALFORMED_XML : err;
    if (len == 0)
        return S3E_OK;
    static const struct xmlin_limits lim = { 4, 64, 4096 };
    struct xml_node *root;
    if ((err = xmlin_parse(req->arena, data, len, &lim, &root)))
        return err;
    if (strcmp(root->name, "CreateBucketConfiguration") != 0)
        return S3E_MALFORMED_XML;
    const struct xml_node *lc = xml_child(root, "LocationConstraint");
    if (!lc || lc->text_len == 0)
        return S3E_OK;
    /* "us-east-1" has historically no constraint; anything else must be our region */
    if (strcmp(lc->text, req->cfg->region) != 0 && strcmp(lc->text, "us-east-1") != 0)
        return S3E_INVALID_LOCATION_CONSTRAINT;
    return S3E_OK;
}

/* The canned ACL of x-amz-acl (already validated by access.c); private if absent. */
static enum s3_err requested_acl(const struct s3_request *req, enum s3_acl_target t,
                                 enum s3_acl *acl)
{
    const char *v = s3_req_header(req, "x-amz-acl"), *msg;
    *acl = S3_ACL_PRIVATE;
    return v ? access_canned_acl(v, t, acl, &msg) : S3E_OK;
}

/* An existing bucket: BucketAlreadyOwnedByYou for its owner, BucketAlreadyExists for
 * everyone else (S3 API reference, CreateBucket errors). */
static enum s3_err create_conflict(const struct s3_request *req)
{
    struct bucket_meta bm;
    int fd = -1;
    enum s3_err err = store_bucket_open(req->cfg, req->bucket, &fd);
    if (err == S3E_OK)
        err = bucketmeta_load(req->cfg, req->bucket, fd, &bm);
    if (fd >= 0)
        close(fd);
    if (err)
        return err == S3E_NO_SUCH_BUCKET ? S3E_BUCKET_ALREADY_EXISTS : err;
    return access_is_owner(req, &bm) ? S3E_BUCKET_ALREADY_OWNED : S3E_BUCKET_ALREADY_EXISTS;
}

/* Records the new bucket's owner (the requester; none for anonymous requests under
 * "anonymous = full") and ACL. Nothing to record (no owner, private) writes nothing. */
static enum s3_err record_new_bucket(const struct s3_request *req, enum s3_acl acl)
{
    struct bucket_meta bm;
    int fd = -1;
    memset(&bm, 0, sizeof bm);
    bm.acl = acl;
    if (req->auth.cred)
        snprintf(bm.owner, sizeof bm.owner, "%s", req->auth.cred->id);
    if (!bm.owner[0] && acl == S3_ACL_PRIVATE)
        return S3E_OK;
    enum s3_err err = store_bucket_open(req->cfg, req->bucket, &fd);
    if (err == S3E_OK)
        err = bucketmeta_store(req->cfg, req->bucket, fd, &bm);
    if (fd >= 0)
        close(fd);
    return err;
}

enum s3_err op_create_bucket(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    enum s3_acl acl;
    enum s3_err err = s3_bucket_name_check(req->bucket);
    if (err || (err = requested_acl(req, ACLT_BUCKET, &acl)) ||
        (err = check_location_constraint(req)))
        return err;
    err = store_bucket_create(req->cfg, req->bucket);
    if (err == S3E_BUCKET_ALREADY_OWNED)
        return create_conflict(req);
    if (err)
        return err;
    if ((err = record_new_bucket(req, acl))) {
        /* an unowned bucket would fall to the admins: take it back */
        (void)store_bucket_delete(req->cfg, req->bucket);
        return err;
    }
    /* No Location header: S3 sends "Location: /bucket", but Apache's CGI handling
     * turns a local Location on a 200 into an internal redirect (GUIDE 4). */
    resp_header(c->resp, "Content-Length", "0");
    return resp_finish(c->resp), S3E_OK;
}

enum s3_err op_delete_bucket(struct s3_ctx *c)
{
    enum s3_err err = store_bucket_delete(c->req->cfg, c->req->bucket);
    if (err)
        return err;
    bucketmeta_forget(c->req->cfg, c->req->bucket);
    resp_status(c->resp, 204);
    return resp_finish(c->resp), S3E_OK;
}

enum s3_err op_head_bucket(struct s3_ctx *c)
{
    resp_header(c->resp, "x-amz-bucket-region", c->req->cfg->region);
    resp_header(c->resp, "Content-Type", "application/xml");
    return resp_finish(c->resp), S3E_OK;
}

enum s3_err op_get_bucket_location(struct s3_ctx *c)
{
    struct xmlw w;
    const char *region = c->req->cfg->region;
    op_xml_begin(c, &w, "LocationConstraint");
    if (strcmp(region, "us-east-1") != 0)     /* S3 answers an empty element for us-east-1 */
        xmlw_escaped(&w, region, strlen(region));
    return op_xml_end(c, &w, "LocationConstraint");
}

enum s3_err op_get_bucket_versioning(struct s3_ctx *c)
{
    struct xmlw w;
    op_xml_begin(c, &w, "VersioningConfiguration");    /* never enabled: no Status */
    return op_xml_end(c, &w, "VersioningConfiguration");
}

/* ---- ACLs (S3 API reference: GetBucketAcl, GetObjectAcl, PutBucketAcl,
 * PutObjectAcl; S3 User Guide "Access control list (ACL) overview") ---- */

#define ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define AUTHENTICATED_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
#define ACL_BODY_MAX 65536
#define MSG_ACL_UNSUPPORTED "s3cgi supports only ACLs equivalent to the canned ACLs " \
    "private, public-read and authenticated-read: the owner's FULL_CONTROL, plus READ " \
    "for AllUsers or AuthenticatedUsers."
#define MSG_ACL_OWNER "The ACL's Owner is not the owner of the resource; s3cgi cannot " \
    "change owners through an ACL."
#define MSG_ACL_BOTH "Specify the ACL either with the x-amz-acl header or with an " \
    "AccessControlPolicy body, not both."
#define MSG_ACL_NONE "Specify the ACL with the x-amz-acl header or an AccessControlPolicy body."

/* The answer of GetBucketAcl/GetObjectAcl: the owner's FULL_CONTROL, plus the group
 * READ grant of a public-read or authenticated-read ACL. */
static enum s3_err acl_answer(struct s3_ctx *c, const struct s3_owner *owner, enum s3_acl acl)
{
    static const char user[] = "<Grantee " XSI "xsi:type=\"CanonicalUser\">";
    static const char group[] = "<Grantee " XSI "xsi:type=\"Group\">";
    struct xmlw w;
    op_xml_begin(c, &w, "AccessControlPolicy");
    op_owner_xml_of(&w, "Owner", owner);
    xmlw_open(&w, "AccessControlList");
    xmlw_open(&w, "Grant");
    xmlw_raw(&w, user, sizeof user - 1);
    xmlw_text(&w, "ID", owner->id);
    xmlw_text(&w, "DisplayName", owner->display_name);
    xmlw_close(&w, "Grantee");
    xmlw_text(&w, "Permission", "FULL_CONTROL");
    xmlw_close(&w, "Grant");
    if (acl != S3_ACL_PRIVATE) {
        xmlw_open(&w, "Grant");
        xmlw_raw(&w, group, sizeof group - 1);
        xmlw_text(&w, "URI", acl == S3_ACL_PUBLIC_READ ? ALL_USERS : AUTHENTICATED_USERS);
        xmlw_close(&w, "Grantee");
        xmlw_text(&w, "Permission", "READ");
        xmlw_close(&w, "Grant");
    }
    xmlw_close(&w, "AccessControlList");
    return op_xml_end(c, &w, "AccessControlPolicy");
}

/* The record of the request's bucket and the owner it shows. */
static enum s3_err bucket_owner(struct s3_ctx *c, struct bucket_meta *bm, struct s3_owner *o)
{
    enum s3_err err = bucketmeta_load(c->req->cfg, c->req->bucket, c->bucketfd, bm);
    if (err == S3E_OK)
        access_bucket_owner(c->req->cfg, bm, o);
    return err;
}

static int text_is(const char *s, size_t n, const char *lit)
{
    return s && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Maps an AccessControlPolicy body onto a canned ACL: every Grant must be the owner's
 * FULL_CONTROL (at least one), or READ for AllUsers or AuthenticatedUsers. Anything
 * else (other users, e-mail grantees, WRITE/READ_ACP/WRITE_ACP, a group's
 * FULL_CONTROL) cannot be represented: NotImplemented, never a silent narrowing. */
static enum s3_err acl_from_xml(struct s3_request *req, const char *data, size_t len,
                                const struct s3_owner *owner, enum s3_acl *acl,
                                const char **msg)
{
    static const struct xmlin_limits lim = { 6, 1000, 65536 };
    struct xml_node *root;
    size_t n;
    const char *t;
    int owner_full = 0, all = 0, auth = 0;
    enum s3_err err = xmlin_parse(req->arena, data, len, &lim, &root);
    if (err)
        return err;
    if (strcmp(root->name, "AccessControlPolicy") != 0)
        return S3E_MALFORMED_XML;
    const struct xml_node *o = xml_child(root, "Owner");
    if (o && (t = xml_child_text(o, "ID", &n)) && !text_is(t, n, owner->id)) {
        *msg = MSG_ACL_OWNER;
        return S3E_NOT_IMPLEMENTED;
    }
    const struct xml_node *list = xml_child(root, "AccessControlList");
    if (!list)
        return S3E_MALFORMED_XML;
    *msg = MSG_ACL_UNSUPPORTED;
    for (const struct xml_node *g = xml_child(list, "Grant"); g; g = xml_next(g, "Grant")) {
        const struct xml_node *ge = xml_child(g, "Grantee");
        const char *perm = xml_child_text(g, "Permission", &n);
        size_t pn = n, idn, urin;
        if (!ge || !perm)
            return S3E_MALFORMED_XML;
        const char *id = xml_child_text(ge, "ID", &idn);
        const char *uri = xml_child_text(ge, "URI", &urin);
        if (id && !uri && text_is(id, idn, owner->id) && text_is(perm, pn, "FULL_CONTROL"))
            owner_full = 1;
        else if (uri && !id && text_is(uri, urin, ALL_USERS) && text_is(perm, pn, "READ"))
            all = 1;
        else if (uri && !id && text_is(uri, urin, AUTHENTICATED_USERS) && text_is(perm, pn, "READ"))
            auth = 1;
        else
            return S3E_NOT_IMPLEMENTED;
    }
    if (!owner_full)
        return S3E_NOT_IMPLEMENTED;
    /* AllUsers includes the authenticated ones: both grants mean public-read */
    *acl = all ? S3_ACL_PUBLIC_READ : auth ? S3_ACL_AUTHENTICATED_READ : S3_ACL_PRIVATE;
    *msg = NULL;
    return S3E_OK;
}

/* The ACL a PutBucketAcl/PutObjectAcl asks for: x-amz-acl (validated by access.c) or
 * an AccessControlPolicy body, exactly one of them. The body is always read, so a
 * deferred signature is verified before anything changes. */
static enum s3_err requested_put_acl(struct s3_ctx *c, enum s3_acl_target t,
                                     const struct s3_owner *owner, enum s3_acl *acl,
                                     const char **msg)
{
    struct s3_request *req = c->req;
    const char *hdr = s3_req_header(req, "x-amz-acl");
    char *data;
    size_t len;
    *msg = NULL;
    enum s3_err err = body_read_all(req, ACL_BODY_MAX, &data, &len);
    if (err)
        return err;
    if (hdr && len) {
        *msg = MSG_ACL_BOTH;
        return S3E_INVALID_REQUEST;
    }
    if (hdr)
        return access_canned_acl(hdr, t, acl, msg);
    if (!len) {
        *msg = MSG_ACL_NONE;
        return S3E_INVALID_REQUEST;
    }
    return acl_from_xml(req, data, len, owner, acl, msg);
}

/* An error with its specific message, when there is one (ops.h contract). */
static enum s3_err fail_with(struct s3_ctx *c, enum s3_err err, const char *msg)
{
    if (err && msg)
        return resp_error(c->resp, c->req, err, msg), S3E_OK;
    return err;
}

enum s3_err op_get_bucket_acl(struct s3_ctx *c)
{
    struct bucket_meta bm;
    struct s3_owner owner;
    enum s3_err err = bucket_owner(c, &bm, &owner);
    return err ? err : acl_answer(c, &owner, bm.acl);
}

enum s3_err op_put_bucket_acl(struct s3_ctx *c)
{
    struct bucket_meta bm;
    struct s3_owner owner;
    const char *msg = NULL;
    enum s3_acl acl;
    enum s3_err err = bucket_owner(c, &bm, &owner);
    if (err || (err = requested_put_acl(c, ACLT_BUCKET, &owner, &acl, &msg)))
        return fail_with(c, err, msg);
    bm.acl = acl;
    if ((err = bucketmeta_store(c->req->cfg, c->req->bucket, c->bucketfd, &bm)))
        return err;
    resp_header(c->resp, "Content-Length", "0");
    return resp_finish(c->resp), S3E_OK;
}

/* Opens the request's object: *fd the file, or the directory of a directory object
 * (its metadata lives there), for meta_store. */
static enum s3_err open_object(struct s3_ctx *c, int *fd, struct s3_meta *m)
{
    struct s3_request *req = c->req;
    enum s3_err err = store_object_open(req->cfg, c->bucketfd, req->key, req->key_len,
                                        req->arena, fd, m);
    if (err || *fd >= 0)
        return err;
    int e = store_opendir_beneath(c->bucketfd, req->key, req->key_len - 1, fd);
    return e ? store_errno(e) : S3E_OK;
}

enum s3_err op_get_object_acl(struct s3_ctx *c)
{
    struct s3_meta meta;
    struct bucket_meta bm;
    struct s3_owner owner;
    int fd = -1;
    enum s3_err err = store_object_open(c->req->cfg, c->bucketfd, c->req->key, c->req->key_len,
                                        c->req->arena, &fd, &meta);
    if (fd >= 0)
        close(fd);
    if (err || (err = bucket_owner(c, &bm, &owner)))
        return err;
    return acl_answer(c, &owner, access_object_acl(&meta));
}

/* Replaces the object's stored ACL header in place: the metadata blob is rewritten on
 * the same inode (fsetxattr or its sidecar), which changes neither the bytes nor the
 * mtime, so the blob stays valid. A PUT racing with it wins: it publishes a new inode
 * with the ACL of its own request. */
enum s3_err op_put_object_acl(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct s3_meta m;
    struct bucket_meta bm;
    struct s3_owner owner;
    struct s3_meta_kv *h = NULL;
    struct stat st;
    const char *msg = NULL;
    enum s3_acl acl;
    size_t k = 0;
    int fd = -1;
    enum s3_err err = bucket_owner(c, &bm, &owner);
    if (err || (err = requested_put_acl(c, ACLT_OBJECT, &owner, &acl, &msg)) ||
        (err = open_object(c, &fd, &m)))
        goto out;
    if (!(h = arena_alloc(req->arena, (m.nhdrs + 1) * sizeof *h)) || fstat(fd, &st) != 0) {
        err = S3E_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < m.nhdrs; i++)
        if (strcmp(m.hdrs[i].name, S3_OBJECT_ACL_HDR) != 0)
            h[k++] = m.hdrs[i];
    if (acl != S3_ACL_PRIVATE) {
        h[k].name = S3_OBJECT_ACL_HDR;
        h[k++].value = (char *)bucketmeta_acl_name(acl);
    }
    m.hdrs = h;
    m.nhdrs = k;
    if ((err = meta_store(req->cfg, c->bucketfd, req->key, req->key_len, fd, &st, &m)))
        goto out;
    resp_header(c->resp, "Content-Length", "0");
    resp_finish(c->resp);
out:
    if (fd >= 0)
        close(fd);
    return fail_with(c, err, msg);
}

enum s3_err op_get_bucket_logging(struct s3_ctx *c)
{
    struct xmlw w;
    op_xml_begin(c, &w, "BucketLoggingStatus");
    return op_xml_end(c, &w, "BucketLoggingStatus");
}

enum s3_err op_get_bucket_notification(struct s3_ctx *c)
{
    struct xmlw w;
    op_xml_begin(c, &w, "NotificationConfiguration");
    return op_xml_end(c, &w, "NotificationConfiguration");
}

enum s3_err op_get_bucket_request_payment(struct s3_ctx *c)
{
    struct xmlw w;
    op_xml_begin(c, &w, "RequestPaymentConfiguration");
    xmlw_text(&w, "Payer", "BucketOwner");
    return op_xml_end(c, &w, "RequestPaymentConfiguration");
}

static const struct { const char *sub; enum s3_err err; } missing_configs[] = {
    { "policy", S3E_NO_SUCH_BUCKET_POLICY },
    { "cors", S3E_NO_SUCH_CORS },
    { "lifecycle", S3E_NO_SUCH_LIFECYCLE },
    { "tagging", S3E_NO_SUCH_TAG_SET },
    { "website", S3E_NO_SUCH_WEBSITE },
    { "encryption", S3E_NO_SUCH_ENCRYPTION },
    { "object-lock", S3E_NO_SUCH_OBJECT_LOCK },
    { "publicAccessBlock", S3E_NO_SUCH_PUBLIC_ACCESS_BLOCK },
};

enum s3_err op_no_bucket_config(struct s3_ctx *c)
{
    for (size_t i = 0; i < sizeof missing_configs / sizeof *missing_configs; i++)
        if (s3_req_qparam(c->req, missing_configs[i].sub))
            return missing_configs[i].err;
    return S3E_NOT_IMPLEMENTED;
}

enum s3_err op_delete_bucket_config(struct s3_ctx *c)
{
    resp_status(c->resp, 204);
    return resp_finish(c->resp), S3E_OK;
}
