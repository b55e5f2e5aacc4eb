/* cond.h - conditional request evaluation (RFC 7232 section 6 precedence, with S3's
 * documented behaviour). */
#ifndef S3CGI_COND_H
#define S3CGI_COND_H

#include <time.h>
#include "errors.h"

struct s3_cond {
    const char *if_match;             /* header values or NULL */
    const char *if_none_match;
    const char *if_modified_since;
    const char *if_unmodified_since;
};

/* Evaluates c for an existing object with ETag etag (unquoted) and Last-Modified
 * mtime (seconds). read_method is 1 for GET/HEAD (failed If-None-Match or
 * If-Modified-Since give 304), 0 otherwise (a failed If-None-Match gives 412 and
 * If-Modified-Since is ignored, RFC 7232 3.3). Returns S3E_OK,
 * S3E_PRECONDITION_FAILED or S3E_NOT_MODIFIED. ETag lists ("a", "b"), weak W/ tags
 * and "*" are understood; unparseable dates and empty headers are ignored
 * (RFC 7232 3.3). Precedence and sources in cond.c. */
enum s3_err s3_cond_eval(const struct s3_cond *c, const char *etag, time_t mtime,
                         int read_method);

/* The x-amz-copy-source-if-* headers of CopyObject and UploadPartCopy, evaluated
 * against the source object: same precedence, If-Modified-Since is evaluated, and
 * every failure is S3E_PRECONDITION_FAILED (S3 CopyObject: "if-none-match false and
 * if-modified-since true -> 412"). */
enum s3_err s3_cond_eval_copy(const struct s3_cond *c, const char *etag, time_t mtime);

#endif
