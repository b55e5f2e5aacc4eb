/* body.h - the request body as the operations see it: the decoded payload bytes,
 * hashed while they stream (MD5 for ETag/Content-MD5, SHA-256 for
 * x-amz-content-sha256), with the declared length enforced.
 *
 * aws-chunked framing (x-amz-content-sha256: STREAMING-*) is decoded here in a later
 * issue; until then such requests get NotImplemented, so framing bytes are never
 * stored.
 */
#ifndef S3CGI_BODY_H
#define S3CGI_BODY_H

#include <stddef.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include "errors.h"

struct s3_request;

struct s3_body {
    struct s3_request *req;
    long long expected;         /* declared payload length, -1: until EOF */
    long long total;            /* payload bytes delivered so far */
    enum s3_err err;            /* sticky */
    int eof;
    EVP_MD_CTX *md5;            /* NULL when not wanted */
    EVP_MD_CTX *sha256;
};

/* Prepares reading req's body. Errors: NotImplemented (aws-chunked), InternalError. */
enum s3_err body_init(struct s3_body *b, struct s3_request *req, int want_md5, int want_sha256);
/* Reads up to len payload bytes: >0 count, 0 end of payload, -1 error (b->err:
 * IncompleteBody when the client sent less than declared, InternalError...). */
ssize_t body_read(struct s3_body *b, void *buf, size_t len);
/* After the last read: digests of everything delivered (NULL to skip), and the
 * checks the request promised: Content-MD5 (BadDigest / InvalidDigest), a hex
 * x-amz-content-sha256 (XAmzContentSHA256Mismatch), and for curl-style requests
 * without that header the deferred signature check. */
enum s3_err body_finish(struct s3_body *b, unsigned char md5_out[16], unsigned char sha256_out[32]);
void body_free(struct s3_body *b);

/* Reads a whole small body (XML) of at most cap bytes into the request's arena
 * (NUL-terminated) and runs body_finish. S3E_ENTITY_TOO_LARGE when the body, declared
 * or actual, exceeds cap; nothing beyond cap+1 bytes is read. */
enum s3_err body_read_all(struct s3_request *req, size_t cap, char **data, size_t *len);

#endif
