/* sigv2.h - AWS Signature Version 2 for S3 (legacy clients: aws CLI v1 presigned URLs,
 * s3cmd signurl and s3cmd signature_v2 = True).
 * Spec: S3 developer guide, "Signing and authenticating REST requests" (header form,
 * "Authorization: AWS AccessKeyId:Signature") and its "Query string request
 * authentication alternative" (AWSAccessKeyId, Expires, Signature in the query).
 *
 *   StringToSign = HTTP-Verb "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
 *                  CanonicalizedAmzHeaders CanonicalizedResource
 *   Signature    = Base64(HMAC-SHA1(secret, StringToSign))
 *
 * The first part is pure (no I/O, no clock, no globals) and tested against AWS's
 * published examples (tests/unit/test_sigv2.c); the second authenticates a parsed
 * request and is called by auth.c.
 */
#ifndef S3CGI_SIGV2_H
#define S3CGI_SIGV2_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "errors.h"

struct s3_request;

/* Upper bound of a string to sign built by this module. */
#define SIGV2_MAX_STS (4u << 20)
#define SIGV2_SIG_LEN 28            /* base64 of the 20-byte HMAC-SHA1, padded */

/* ------------------------------------------------------------ pure pieces */

/* One request header as the signer sees it (name compared case-insensitively). */
struct sigv2_header {
    const char *name; size_t name_len;
    const char *value; size_t value_len;
};

/* Everything the string to sign is built from. Pointers are borrowed. */
struct sigv2_request {
    const char *method; size_t method_len;
    const char *content_md5; size_t content_md5_len;    /* empty when absent */
    const char *content_type; size_t content_type_len;  /* empty when absent */
    const char *date; size_t date_len;      /* the Date line as signed: the Date header,
                                             * "" when x-amz-date is present, or Expires */
    const struct sigv2_header *headers; size_t nheaders;  /* all of them; x-amz-* are picked */
    const char *bucket; size_t bucket_len;  /* virtual-hosted bucket, or bucket_len 0 */
    const char *path; size_t path_len;      /* raw path as signed (still encoded); ""->"/" */
    const char *raw_query; size_t raw_query_len;  /* after '?', still encoded */
};

/* 1 when name (exact case, as sent) is a query parameter that CanonicalizedResource
 * carries: the guide's sub-resources (acl, lifecycle, location, logging, notification,
 * partNumber, policy, requestPayment, torrent, uploadId, uploads, versionId, versioning,
 * versions, website), delete, the response-* overrides, and the further ones botocore's
 * HmacV1Auth signs (accelerate, analytics, cors, defaultObjectAcl, inventory, metrics,
 * object-lock, replication, restore, select, select-type, storageClass, tagging). */
int sigv2_is_subresource(const char *name, size_t len);

/* Appends CanonicalizedAmzHeaders: every x-amz-* header (case-insensitive), name
 * lowercased, sorted by name, repeated names joined with ',' in arrival order,
 * "name:value\n" each. A value is trimmed of SP/HT/CR/LF at both ends and every inner
 * run of white space holding a CR or LF (a folded line) becomes one SP; other inner
 * white space is kept (botocore strips each value and nothing more). 0 or -1. */
int sigv2_canonical_amz_headers(struct buf *out, const struct sigv2_header *h, size_t n);

/* Appends CanonicalizedResource: ["/" bucket] + path (literally, "/" when empty) +
 * ["?" sub-resources sorted by name (stable), "&"-separated, "name" or "name=value"
 * as sent, the value percent-decoded ('+' kept: the guide signs the values unencoded,
 * botocore unquotes them)]. 0 or -1 (bad escape in a kept value, or out failed). */
int sigv2_canonical_resource(struct buf *out, const struct sigv2_request *r);

/* Appends the whole StringToSign. 0 or -1. */
int sigv2_string_to_sign(struct buf *out, const struct sigv2_request *r);

/* HMAC-SHA1(secret, data) into out. */
void sigv2_hmac_sha1(const char *secret, size_t secret_len, const void *data, size_t len,
                     unsigned char out[20]);
/* Base64 signature of r under secret into out (SIGV2_SIG_LEN chars + NUL). 0 or -1. */
int sigv2_signature(const struct sigv2_request *r, const char *secret, size_t secret_len,
                    char out[SIGV2_SIG_LEN + 1]);

/* Splits the credentials of "AWS AccessKeyId:Signature" (hdr starts after "AWS ",
 * may carry surrounding blanks). Both parts non-empty, no white space inside.
 * Pointers index into hdr. 0 or -1 (malformed). */
int sigv2_parse_authorization(const char *hdr, size_t len, const char **ak, size_t *ak_len,
                              const char **sig, size_t *sig_len);

/* Parses a V2 request time (Date or x-amz-date): the RFC 7231 forms, the same with a
 * numeric zone ("Tue, 27 Mar 2007 19:36:42 +0000", what s3cmd sends) or "UTC", and
 * the SigV4 form YYYYMMDDTHHMMSSZ. Surrounding blanks ignored. 0 or -1. */
int sigv2_parse_date(const char *s, size_t len, time_t *out);

/* ------------------------------------------------- request authentication */

/* Header form. hdr/len: the Authorization value after "AWS " (not NUL-dependent).
 * Time from x-amz-date (then the Date line is empty) else Date, within cfg->max_skew
 * of req->now. On success fills req->auth.cred (presigned 0, deferred 0) and returns
 * S3E_OK. Errors: InvalidArgument (malformed header; signed aws-chunked payload, which
 * needs SigV4), AccessDenied (no valid date), InvalidAccessKeyId,
 * RequestTimeTooSkewed, SignatureDoesNotMatch. *msg gets S3's specific message or
 * NULL (static or in req's arena). */
enum s3_err sigv2_auth_header(struct s3_request *req, const char *hdr, size_t len,
                              const char **msg);

/* Query form (AWSAccessKeyId, Expires, Signature). The Date line is Expires; a
 * request after Expires (epoch seconds) is ExpiredRequest. Content-MD5, Content-Type
 * and x-amz-* may also come as query parameters (botocore's HmacV1QueryAuth moves
 * them there); a header of the same name wins. A ' ' in Signature is taken as '+'
 * (an unencoded '+' that the form decoding of the query turned into a space).
 * On success fills req->auth.cred with presigned 1. Errors as above, plus
 * AccessDenied for missing parameters or a malformed Expires. */
enum s3_err sigv2_auth_query(struct s3_request *req, const char **msg);

#endif
