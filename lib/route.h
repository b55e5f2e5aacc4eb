/* route.h - dispatch by table {method, target, sub-resource} (GUIDE 6.9). */
#ifndef S3CGI_ROUTE_H
#define S3CGI_ROUTE_H

#include "ops.h"

enum s3_target { T_SERVICE = 0, T_BUCKET, T_OBJECT };

/* The permission a route needs (decided by access.c; see access.h for who has it). */
enum s3_perm {
    P_SERVICE = 0,      /* ListBuckets: any signed key (the listing is filtered per user) */
    P_CREATE,           /* CreateBucket: any signed key that is not read-only */
    P_READ_PUBLIC,      /* reads a public-read (authenticated-read) ACL opens: GET/HEAD
                         * object, ListObjects V1/V2, ListObjectVersions, HeadBucket */
    P_READ,             /* other reads (ACLs, configuration, uploads): bucket readers */
    P_WRITE,            /* object writes, deletes, multipart and object ACLs */
    P_OWNER,            /* the bucket itself: DeleteBucket, PutBucketAcl, bucket config */
};

/* Which resource an x-amz-acl header on the route sets (access.c validates it before
 * the operation runs, so a value is never silently ignored). */
enum s3_acl_target { ACLT_NONE = 0, ACLT_BUCKET, ACLT_OBJECT };

struct s3_route {
    enum s3_method method;
    enum s3_target target;
    const char *subresource;    /* query parameter that selects it; NULL: none present */
    s3_op_fn fn;                /* NULL: S3E_NOT_IMPLEMENTED */
    int needs_bucket;           /* open the bucket first (NoSuchBucket if absent) */
    int reads_body;             /* the operation reads and verifies the request body itself */
    enum s3_perm perm;
    enum s3_acl_target acl;     /* x-amz-acl accepted (CreateBucket, PutObject, CopyObject,
                                 * CreateMultipartUpload, Put*Acl) */
};

/* The route for req, or NULL. *err is S3E_METHOD_NOT_ALLOWED for an unknown method,
 * S3E_NOT_IMPLEMENTED for a known S3 sub-resource s3cgi does not serve. */
const struct s3_route *s3_route_find(const struct s3_request *req, enum s3_err *err);

#endif
