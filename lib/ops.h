/* ops.h - the S3 operations and what they share.
 *
 * Contract of an operation: it is called after authentication and authorization
 * (access.h: the route's permission, the copy source, x-amz-acl), with c->bucketfd
 * open when the route targets an existing bucket (else -1). It either writes a
 * complete response itself and returns S3E_OK, or returns an error having written
 * nothing, and the dispatcher answers with that error. Once it has started the body
 * it must finish it (or resp_error cuts the connection).
 */
#ifndef S3CGI_OPS_H
#define S3CGI_OPS_H

#include "config.h"
#include "errors.h"
#include "request.h"
#include "response.h"
#include "store.h"
#include "xmlw.h"

struct s3_ctx {
    struct s3_request *req;
    struct s3_resp *resp;
    int bucketfd;
};

typedef enum s3_err (*s3_op_fn)(struct s3_ctx *c);

/* service */
enum s3_err op_list_buckets(struct s3_ctx *c);
/* bucket */
enum s3_err op_create_bucket(struct s3_ctx *c);
enum s3_err op_delete_bucket(struct s3_ctx *c);
enum s3_err op_head_bucket(struct s3_ctx *c);
enum s3_err op_get_bucket_location(struct s3_ctx *c);
enum s3_err op_get_bucket_versioning(struct s3_ctx *c);
enum s3_err op_get_bucket_acl(struct s3_ctx *c);
enum s3_err op_put_bucket_acl(struct s3_ctx *c);        /* canned x-amz-acl or equivalent XML */
enum s3_err op_get_bucket_logging(struct s3_ctx *c);
enum s3_err op_get_bucket_notification(struct s3_ctx *c);
enum s3_err op_get_bucket_request_payment(struct s3_ctx *c);
enum s3_err op_no_bucket_config(struct s3_ctx *c);     /* the "no such configuration" family */
enum s3_err op_delete_bucket_config(struct s3_ctx *c); /* 204: nothing stored to delete */
/* listings */
enum s3_err op_list_objects(struct s3_ctx *c);          /* V1 and V2 (list-type=2) */
enum s3_err op_list_object_versions(struct s3_ctx *c);
/* objects */
enum s3_err op_get_object(struct s3_ctx *c);            /* GET and HEAD */
enum s3_err op_put_object(struct s3_ctx *c);
enum s3_err op_delete_object(struct s3_ctx *c);
enum s3_err op_get_object_acl(struct s3_ctx *c);
enum s3_err op_put_object_acl(struct s3_ctx *c);        /* canned x-amz-acl or equivalent XML */
enum s3_err op_get_object_tagging(struct s3_ctx *c);
/* multipart (op_multipart.c) */
enum s3_err op_create_multipart(struct s3_ctx *c);       /* POST key?uploads */
enum s3_err op_upload_part(struct s3_ctx *c);            /* PUT key?partNumber&uploadId (+ copy) */
enum s3_err op_complete_multipart(struct s3_ctx *c);     /* POST key?uploadId */
enum s3_err op_abort_multipart(struct s3_ctx *c);        /* DELETE key?uploadId */
enum s3_err op_list_parts(struct s3_ctx *c);             /* GET key?uploadId */
enum s3_err op_list_multipart_uploads(struct s3_ctx *c); /* GET bucket?uploads */
/* server-side copy (op_copy.c): PUT key with x-amz-copy-source */
enum s3_err op_copy_object(struct s3_ctx *c);
/* multi-delete (op_delete.c): POST bucket?delete */
enum s3_err op_delete_objects(struct s3_ctx *c);

/* Shared helpers (op_service.c). */
/* Starts a 200 XML response: Content-Type, declaration, root element with xmlns. */
void op_xml_begin(struct s3_ctx *c, struct xmlw *w, const char *root);
/* Closes root, flushes, finishes the response. S3E_OK, or S3E_INTERNAL on a write error
 * (the response is then already cut). */
enum s3_err op_xml_end(struct s3_ctx *c, struct xmlw *w, const char *root);
/* An owner as S3's Owner/Grantee elements show it. display_name is borrowed. */
struct s3_owner {
    char id[S3_OWNER_ID_MAX + 1];
    const char *display_name;
};
/* <Owner><ID>..</ID><DisplayName>..</DisplayName></Owner> of the requester. */
void op_owner_xml(struct s3_ctx *c, struct xmlw *w, const char *element);
/* The same for any owner. */
void op_owner_xml_of(struct xmlw *w, const char *element, const struct s3_owner *o);
/* Owner id of the requester (its credential's id; for anonymous requests the hex
 * SHA-256 of "anonymous"), into out. */
void op_owner_id(const struct s3_ctx *c, char out[S3_OWNER_ID_MAX + 1]);
/* The owner of anonymous requests (id as op_owner_id, display name "anonymous"). */
void op_anonymous_owner(struct s3_owner *o);
/* Parses an optional max-keys-style query parameter: absent -> dflt; capped at cap.
 * S3E_INVALID_ARGUMENT when not a non-negative integer. */
enum s3_err op_query_count(const struct s3_request *req, const char *name, long dflt, long cap,
                           long *out);
/* Writes key into w as element name, URL-encoded when encoding-type=url. */
void op_xml_key(struct xmlw *w, const char *name, const char *key, size_t len, int url);
/* 1 for the request headers an object stores and GET/HEAD return as sent:
 * Content-Type, -Encoding, -Disposition, -Language, Cache-Control, Expires and
 * x-amz-meta-* (lowercase names). */
int op_is_stored_header(const char *name);
/* The headers PutObject/CreateMultipartUpload/CopyObject(REPLACE) store, from req:
 * the stored headers, "aws-chunked" removed from Content-Encoding (GUIDE 5),
 * Content-Type defaulting to binary/octet-stream, and the object's canned ACL from
 * x-amz-acl as the internal header S3_OBJECT_ACL_HDR (access.h; none for private).
 * The array (arena) has room for `extra` more entries after *n.
 * S3E_METADATA_TOO_LARGE past S3's 2 KB of user metadata; the x-amz-acl errors of
 * access_canned_acl (the dispatcher has normally answered those already). */
enum s3_err op_collect_headers(struct s3_request *req, size_t extra, struct s3_meta_kv **out,
                               size_t *n);
/* For CopyObject with x-amz-metadata-directive COPY, which takes the ACL from the
 * request, not the source: *kv = the internal ACL header for req's x-amz-acl and
 * *have = 1, or *have = 0 when there is none to store (no header, or private).
 * Errors as access_canned_acl. */
enum s3_err op_acl_header(const struct s3_request *req, struct s3_meta_kv *kv, int *have);
/* An ETag header value without its quotes (arena copy). */
char *op_unquote_etag(struct arena *a, const char *v);
/* 1 when the request asked for encoding-type=url; S3E_INVALID_ARGUMENT for other values. */
enum s3_err op_encoding_type(const struct s3_request *req, int *url);

#endif
