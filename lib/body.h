/* body.h - the request body as the operations see it: the decoded payload bytes,
 * hashed while they stream (MD5 for ETag/Content-MD5, SHA-256 for
 * x-amz-content-sha256, the S3 additional checksum), with the declared length
 * enforced and every promise the request made verified by body_finish.
 *
 * aws-chunked bodies (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER;
 * chosen by that header alone, GUIDE 8) are decoded here (chunked.h): body_read
 * returns payload bytes only, exactly x-amz-decoded-content-length of them; chunk
 * and trailer signatures are checked as they pass. Framing never reaches the caller.
 * Removing "aws-chunked" from the stored Content-Encoding is the operation's job.
 *
 * Checksums (S3 User Guide "Checking object integrity"): one x-amz-checksum-<alg>
 * header, or one x-amz-checksum-<alg> announced by x-amz-trailer and sent in the
 * aws-chunked trailer, is verified against the payload; x-amz-sdk-checksum-algorithm
 * alone makes the algorithm computed. Not for CompleteMultipartUpload (POST
 * ?uploadId), whose x-amz-checksum-* headers describe the whole object, not the XML.
 *
 * The payload is NOT verified until body_finish returns S3E_OK: bytes from a chunk
 * are handed out before that chunk's signature is checked (memory stays bounded
 * whatever the chunk size), so nothing may be published before then.
 */
#ifndef S3CGI_BODY_H
#define S3CGI_BODY_H

#include <stddef.h>
#include <sys/types.h>
#include "checksum.h"
#include "errors.h"
#include "hash.h"
#include "hashpipe.h"

struct s3_request;
struct chunked;

/* A body this large (and with as much again to come) hashes its MD5 on a helper
 * thread: small requests never pay for a thread. */
#define BODY_PIPE_MIN (1LL << 20)

enum body_ck_source { BODY_CK_NONE = 0, BODY_CK_HEADER, BODY_CK_TRAILER };

struct s3_body {
    struct s3_request *req;
    long long expected;         /* declared payload length (decoded), -1: until EOF */
    long long total;            /* payload bytes delivered so far */
    enum s3_err err;            /* sticky */
    const char *message;        /* S3 <Message> for err when more specific, or NULL */
    int eof;
    int finished;               /* body_finish succeeded */
    int want_md5, want_sha256;  /* which of the two digests below run */
    struct hash_ctx md5;        /* inline until the body reaches BODY_PIPE_MIN, */
    struct hashpipe *md5_pipe;  /* then on a helper thread (hashpipe.h) */
    int md5_pipe_tried;
    struct hash_ctx sha256;
    /* aws-chunked: the decoder and its raw input buffer (heap), NULL otherwise */
    struct chunked *chunked;
    unsigned char *raw;
    size_t raw_len, raw_off;
    long long raw_total;        /* encoded bytes read from the client */
    int raw_eof;
    /* the additional checksum */
    enum checksum_alg ck_alg;   /* CK_NONE: none computed */
    enum body_ck_source ck_source;
    struct checksum ck;
    unsigned char ck_want[CHECKSUM_MAX_DIGEST];     /* the header's value, decoded */
    char ck_b64[CHECKSUM_B64_MAX];                  /* computed value, after body_finish */
};

/* Prepares reading req's body. Errors (b->message may refine them):
 *   MissingContentLength   aws-chunked without x-amz-decoded-content-length
 *   InvalidRequest         two checksum headers, an unknown x-amz-checksum-* algorithm,
 *                          a malformed checksum value, x-amz-trailer naming something
 *                          other than one checksum, x-amz-sdk-checksum-algorithm
 *                          unknown or contradicting the checksum header/trailer
 *   MalformedTrailerError  x-amz-trailer on a body that is not aws-chunked
 *   InternalError
 * body_free is needed in every case. */
enum s3_err body_init(struct s3_body *b, struct s3_request *req, int want_md5, int want_sha256);
/* Asks for alg to be computed when the request names no checksum (S3 stores a
 * CRC64NVME for every upload that comes without one). Call after body_init, before
 * the first body_read. S3E_OK (also when the request's own algorithm wins), or
 * InternalError. */
enum s3_err body_default_checksum(struct s3_body *b, enum checksum_alg alg);
/* Reads up to len payload bytes: >0 count, 0 end of payload, -1 error (b->err:
 * IncompleteBody when the client sent less than declared or broke the aws-chunked
 * framing, SignatureDoesNotMatch for a bad chunk or trailer signature,
 * InvalidChunkSizeError, MalformedTrailerError, InternalError...). */
ssize_t body_read(struct s3_body *b, void *buf, size_t len);
/* After the last read (drains what is left): digests of everything delivered (NULL
 * to skip), and the checks the request promised: Content-MD5 (BadDigest /
 * InvalidDigest), a hex x-amz-content-sha256 (XAmzContentSHA256Mismatch), for
 * curl-style requests without that header the deferred signature check, the
 * aws-chunked trailer, and the checksum (BadDigest "The CRC32 you specified did not
 * match the calculated checksum."; InvalidRequest for a malformed trailer value). */
enum s3_err body_finish(struct s3_body *b, unsigned char md5_out[16], unsigned char sha256_out[32]);
/* After a successful body_finish: the checksum to store with the object, as S3
 * returns it (base64 of the big-endian digest), and its algorithm in *alg; the
 * client's value verified, or the computed one when the client sent only an
 * algorithm (or body_default_checksum asked). NULL when there is none. Owned by b. */
const char *body_checksum(const struct s3_body *b, enum checksum_alg *alg);
/* S3's <Message> for the error b holds when it is more specific than the error
 * table's ("Value for x-amz-checksum-crc32 header is invalid."), else NULL. Static
 * or in the request's arena. */
const char *body_error_message(const struct s3_body *b);
void body_free(struct s3_body *b);

/* Reads a whole small body (XML) of at most cap bytes into the request's arena
 * (NUL-terminated) and runs body_finish. S3E_ENTITY_TOO_LARGE when the body, declared
 * or actual, exceeds cap; nothing beyond cap+1 payload bytes is read. */
enum s3_err body_read_all(struct s3_request *req, size_t cap, char **data, size_t *len);

#endif
