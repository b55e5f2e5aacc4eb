/* op_bucket.c - bucket operations: CreateBucket, DeleteBucket, HeadBucket,
 * GetBucketLocation, GetBucketVersioning, GetBucketAcl and the read-only answers
 * for configurations s3cgi does not store (S3's own "no such configuration"
 * errors, which s3cmd info and other tools expect). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "body.h"
#include "config.h"
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

enum s3_err op_create_bucket(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    enum s3_err err = s3_bucket_name_check(req->bucket);
    if (err || (err = check_location_constraint(req)) ||
        (err = store_bucket_create(req->cfg, req->bucket)))
        return err;
    char loc[80];
    snprintf(loc, sizeof loc, "/%s", req->bucket);
    resp_header(c->resp, "Location", loc);
    resp_header(c->resp, "Content-Length", "0");
    return resp_finish(c->resp), S3E_OK;
}

enum s3_err op_delete_bucket(struct s3_ctx *c)
{
    enum s3_err err = store_bucket_delete(c->req->cfg, c->req->bucket);
    if (err)
        return err;
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

/* The ACL every bucket and object has until canned ACLs arrive: the owner's
 * FULL_CONTROL. */
static enum s3_err owner_acl(struct s3_ctx *c)
{
    struct xmlw w;
    char id[65];
    const struct s3_credential *cred = c->req->auth.cred;
    op_owner_id(c, id);
    op_xml_begin(c, &w, "AccessControlPolicy");
    op_owner_xml(c, &w, "Owner");
    xmlw_open(&w, "AccessControlList");
    xmlw_open(&w, "Grant");
    static const char grantee[] = "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                                  "xsi:type=\"CanonicalUser\">";
    xmlw_raw(&w, grantee, sizeof grantee - 1);
    xmlw_text(&w, "ID", id);
    xmlw_text(&w, "DisplayName", cred ? cred->display_name : "anonymous");
    xmlw_close(&w, "Grantee");
    xmlw_text(&w, "Permission", "FULL_CONTROL");
    xmlw_close(&w, "Grant");
    xmlw_close(&w, "AccessControlList");
    return op_xml_end(c, &w, "AccessControlPolicy");
}

enum s3_err op_get_bucket_acl(struct s3_ctx *c)
{
    return owner_acl(c);
}

enum s3_err op_get_object_acl(struct s3_ctx *c)
{
    /* the object must exist */
    struct s3_meta meta;
    int fd = -1;
    enum s3_err err = store_object_open(c->req->cfg, c->bucketfd, c->req->key, c->req->key_len,
                                        c->req->arena, &fd, &meta);
    if (fd >= 0)
        close(fd);
    return err ? err : owner_acl(c);
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
