/* route.h - dispatch by table {method, target, sub-resource} (GUIDE 6.9). */
#ifndef S3CGI_ROUTE_H
#define S3CGI_ROUTE_H

#include "ops.h"

enum s3_target { T_SERVICE = 0, T_BUCKET, T_OBJECT };

struct s3_route {
    enum s3_method method;
    enum s3_target target;
    const char *subresource;    /* query parameter that selects it; NULL: none present */
    s3_op_fn fn;                /* NULL: S3E_NOT_IMPLEMENTED */
    int needs_bucket;           /* open the bucket first (NoSuchBucket if absent) */
    int reads_body;             /* the operation reads and verifies the request body itself */
};

/* The route for req, or NULL. *err is S3E_METHOD_NOT_ALLOWED for an unknown method,
 * S3E_NOT_IMPLEMENTED for a known S3 sub-resource s3cgi does not serve. */
const struct s3_route *s3_route_find(const struct s3_request *req, enum s3_err *err);

#endif
