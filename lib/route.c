/* route.c - the dispatch table. Order matters: the first entry whose method and
 * target match and whose sub-resource is present (or, for NULL, when no known
 * sub-resource is present) wins. */
#include "route.h"

#include <string.h>

static const struct s3_route routes[] = {
    /* method   target     sub-resource         operation           bucket body  perm   x-amz-acl */
    { M_GET,    T_SERVICE, NULL,                op_list_buckets, 0, 0, P_SERVICE, ACLT_NONE },

    { M_GET,    T_BUCKET,  "uploads",           op_list_multipart_uploads, 1, 0, P_READ, ACLT_NONE },
    { M_POST,   T_BUCKET,  "delete",            op_delete_objects, 1, 1, P_WRITE, ACLT_NONE },
    { M_GET,    T_BUCKET,  "location",          op_get_bucket_location, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "versioning",        op_get_bucket_versioning, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "versions",          op_list_object_versions, 1, 0, P_READ_PUBLIC, ACLT_NONE },
    { M_GET,    T_BUCKET,  "acl",               op_get_bucket_acl, 1, 0, P_READ, ACLT_NONE },
    { M_PUT,    T_BUCKET,  "acl",               op_put_bucket_acl, 1, 1, P_OWNER, ACLT_BUCKET },
    { M_GET,    T_BUCKET,  "logging",           op_get_bucket_logging, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "notification",      op_get_bucket_notification, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "requestPayment",    op_get_bucket_request_payment, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "policy",            op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "cors",              op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "lifecycle",         op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "tagging",           op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "website",           op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "encryption",        op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "object-lock",       op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  "publicAccessBlock", op_no_bucket_config, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_BUCKET,  NULL,                op_list_objects, 1, 0, P_READ_PUBLIC, ACLT_NONE },
    { M_HEAD,   T_BUCKET,  NULL,                op_head_bucket, 1, 0, P_READ_PUBLIC, ACLT_NONE },
    { M_PUT,    T_BUCKET,  NULL,                op_create_bucket, 0, 1, P_CREATE, ACLT_BUCKET },
    { M_DELETE, T_BUCKET,  "policy",            op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  "cors",              op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  "lifecycle",         op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  "tagging",           op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  "website",           op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  "encryption",        op_delete_bucket_config, 1, 0, P_OWNER, ACLT_NONE },
    { M_DELETE, T_BUCKET,  NULL,                op_delete_bucket, 1, 0, P_OWNER, ACLT_NONE },

    { M_POST,   T_OBJECT,  "uploads",           op_create_multipart, 1, 0, P_WRITE, ACLT_OBJECT },
    { M_PUT,    T_OBJECT,  "uploadId",          op_upload_part, 1, 1, P_WRITE, ACLT_NONE },
    { M_POST,   T_OBJECT,  "uploadId",          op_complete_multipart, 1, 1, P_WRITE, ACLT_NONE },
    { M_DELETE, T_OBJECT,  "uploadId",          op_abort_multipart, 1, 0, P_WRITE, ACLT_NONE },
    { M_GET,    T_OBJECT,  "uploadId",          op_list_parts, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_OBJECT,  "acl",               op_get_object_acl, 1, 0, P_READ, ACLT_NONE },
    { M_PUT,    T_OBJECT,  "acl",               op_put_object_acl, 1, 1, P_WRITE, ACLT_OBJECT },
    { M_GET,    T_OBJECT,  "tagging",           op_get_object_tagging, 1, 0, P_READ, ACLT_NONE },
    { M_GET,    T_OBJECT,  NULL,                op_get_object, 1, 0, P_READ_PUBLIC, ACLT_NONE },
    { M_HEAD,   T_OBJECT,  NULL,                op_get_object, 1, 0, P_READ_PUBLIC, ACLT_NONE },
    { M_PUT,    T_OBJECT,  NULL,                op_put_object, 1, 1, P_WRITE, ACLT_OBJECT },
    { M_DELETE, T_OBJECT,  NULL,                op_delete_object, 1, 0, P_WRITE, ACLT_NONE },
};

/* Query parameters that name an S3 sub-resource (select an operation) rather than
 * parameterise one. */
static const char *const subresources[] = {
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
    "metadataTable", "metrics", "notification", "object-lock", "ownershipControls", "policy",
    "policyStatus", "publicAccessBlock", "renameObject", "replication", "requestPayment",
    "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
    "versioning", "versions", "website",
};

static int is_subresource(const char *name)
{
    for (size_t i = 0; i < sizeof subresources / sizeof *subresources; i++)
        if (strcmp(name, subresources[i]) == 0)
            return 1;
    return 0;
}

const struct s3_route *s3_route_find(const struct s3_request *req, enum s3_err *err)
{
    enum s3_target target = !req->bucket ? T_SERVICE : !req->key ? T_BUCKET : T_OBJECT;
    int any_sub = 0;
    for (size_t i = 0; i < req->nquery; i++)
        any_sub |= is_subresource(req->query[i].name);
    if (req->method == M_OTHER || req->method == M_OPTIONS) {
        *err = S3E_METHOD_NOT_ALLOWED;
        return NULL;
    }
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        const struct s3_route *r = &routes[i];
        if (r->method != req->method || r->target != target)
            continue;
        if (r->subresource ? s3_req_qparam(req, r->subresource) != NULL : !any_sub)
            return r;
    }
    *err = target == T_SERVICE && req->method != M_GET && req->method != M_HEAD
               ? S3E_METHOD_NOT_ALLOWED : S3E_NOT_IMPLEMENTED;
    return NULL;
}
