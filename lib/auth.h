/* auth.h - request authentication (AWS Signature Version 4, header form in the core
 * issue, the presigned query form, and Signature V2 in sigv2.c).
 * The pure SigV4 building blocks live in sigv4.h.
 */
#ifndef S3CGI_AUTH_H
#define S3CGI_AUTH_H

#include "errors.h"
#include "request.h"

/* Authenticates req against req->cfg (credentials, region, max_skew) and req->now.
 * On success fills req->auth and returns S3E_OK. Anonymous requests (no
 * Authorization header, no X-Amz-Signature, no V2 query parameters) return S3E_OK
 * with req->auth.cred NULL: what they may do is decided by access.c (public-read
 * ACLs, cfg->anonymous_full), so cred == NULL must never be taken as privileged.
 * Errors: InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, AuthorizationHeaderMalformed, AccessDenied,
 * MissingSecurityHeader, InvalidArgument, XAmzContentSHA256Mismatch (malformed header).
 *
 * When x-amz-content-sha256 is absent (curl --aws-sigv4), the payload hash that was
 * signed is the hash of the real body. If the body is empty (content_length 0 or
 * absent on GET/HEAD/DELETE) the empty-string hash is used. Otherwise the check is
 * deferred: s3_auth_check returns S3E_OK with *deferred = 1, and the caller must call
 * s3_auth_finish with the hex SHA-256 of the body before acting on it.
 */
enum s3_err s3_auth_check(struct s3_request *req, int *deferred);

/* The last SigV4 signing key derived (io.h's s3_io.cache): valid for one secret, one
 * scope date and one region. A front that serves many requests keeps one per thread,
 * zero-initialised; memory is owned by the front. */
struct s3_cache {
    int valid;
    size_t secret_len, region_len;
    char secret[128];
    char date[8];
    char region[64];
    unsigned char key[32];
};
/* payload_sha256_hex: 64 hex digits of the SHA-256 of the body as received.
 * When x-amz-content-sha256 was absent, recomputes the signature over it
 * (SignatureDoesNotMatch on mismatch); when that header (or a presigned URL's
 * X-Amz-Content-Sha256) is a hex digest, compares the two (XAmzContentSHA256Mismatch);
 * otherwise S3E_OK. While deferred, req->auth is filled but not yet trusted:
 * seed_signature holds the client's claimed signature. */
enum s3_err s3_auth_finish(struct s3_request *req, const char *payload_sha256_hex);

/* As s3_auth_check, and when message is not NULL sets *message to S3's specific
 * <Message> for the failure (static or in req's arena; e.g. "The authorization header
 * is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"), or to NULL
 * when the error table's default message applies. Other notes on the mapping:
 * SigV2 (header "AWS AK:sig" or query AWSAccessKeyId/Signature) is checked by sigv2.c,
 * or answered NotImplemented when cfg->sigv2 is off;
 * presigned URL errors that S3 reports as AuthorizationQueryParametersError ->
 * S3E_AUTH_HEADER_MALFORMED; a presigned URL dated beyond max_skew in the future ->
 * AccessDenied "Request is not yet valid"; expired -> S3E_EXPIRED_REQUEST. */
enum s3_err s3_auth_check_ex(struct s3_request *req, int *deferred, const char **message);

#endif
