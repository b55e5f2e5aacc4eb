/* chunked.h - streaming decoder for the aws-chunked content coding (pure: no I/O,
 * no clock, no allocation).
 *
 * Spec: S3 API reference, "Signature Calculations for the Authorization Header:
 * Transferring Payload in Multiple Chunks (Chunked Upload)" (sigv4-streaming) and
 * "... Including Trailing Headers" (sigv4-streaming-trailers). Wire format:
 *
 *   signed   (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]):
 *       hex-size;chunk-signature=<64 hex>\r\n <data> \r\n  ...
 *       0;chunk-signature=<64 hex>\r\n  [trailer lines]  \r\n
 *   unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER):
 *       hex-size\r\n <data> \r\n  ...  0\r\n  [trailer lines]  \r\n
 *   trailer line: name:value\r\n   e.g. x-amz-checksum-crc32:NSRBwg==\r\n
 *   signed trailer form adds x-amz-trailer-signature:<64 hex>\r\n
 *
 * Chunk signature = hex HMAC-SHA256(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" date
 * "\n" scope "\n" previous-signature "\n" hex(sha256("")) "\n" hex(sha256(data))),
 * chained from the request's (seed) signature; the final 0-size chunk is signed too.
 * Trailer signature = HMAC of "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n"
 * final-chunk-signature "\n" hex(sha256(trailers)), trailers being "name:value\n" per
 * trailer sorted by name (checked against the documented example: d81f82fc...).
 * Signatures are compared in constant time.
 *
 * Accepted looseness, all of it seen from SDKs or tolerated by S3: optional SP/HTAB
 * before ';', around '=' and at the end of a chunk line; SP/HTAB around a trailer's
 * name and value; header-name case in trailers; a body that ends right after the
 * final chunk line when no trailer is expected (the last CRLF missing).
 *
 * Memory is fixed (sizeof struct chunked, about 13 KiB) whatever the chunk size:
 * payload bytes go straight from the input to the output buffer. They are handed
 * out BEFORE their chunk's signature is checked (a chunk can be gigabytes), so the
 * caller must not act on the payload until chunked_eof has returned S3E_OK.
 *
 * Errors (sticky; chunked_why() gives a log-friendly reason):
 *   S3E_INCOMPLETE_BODY      framing: bad size line or CRLF, size over the declared
 *                            decoded length, decoded total short of it, input after
 *                            the end, no final chunk (S3: IncompleteBody)
 *   S3E_SIGNATURE_MISMATCH   a chunk or trailer signature is wrong (SignatureDoesNotMatch)
 *   S3E_INVALID_CHUNK_SIZE   a non-final chunk under min_chunk (InvalidChunkSizeError)
 *   S3E_MALFORMED_TRAILER    a trailer not declared in x-amz-trailer, declared and
 *                            missing, repeated, malformed, or over 8 KiB
 */
#ifndef S3CGI_CHUNKED_H
#define S3CGI_CHUNKED_H

#include <stddef.h>
#include "errors.h"
#include "hash.h"

#define CHUNKED_LINE_MAX 4096           /* one chunk-size or trailer line, CRLF included */
#define CHUNKED_TRAILER_MAX 8192        /* the whole trailer section */
#define CHUNKED_MAX_TRAILERS 8
#define CHUNKED_DECLARED_MAX 256        /* the x-amz-trailer value */
#define CHUNKED_MIN_CHUNK 8192          /* S3's minimum for all chunks but the last */

struct chunked_params {
    int signatures;                     /* chunk lines carry ;chunk-signature= */
    int signed_trailer;                 /* trailer must carry x-amz-trailer-signature */
    const unsigned char *signing_key;   /* 32 bytes; NULL: signatures are parsed but
                                           not verified (anonymous access) */
    const char *seed_signature;         /* 64 hex, the request's signature */
    const char *amz_date;               /* 16 chars, YYYYMMDDTHHMMSSZ */
    const char *scope;                  /* date/region/s3/aws4_request */
    size_t scope_len;
    unsigned long long decoded_length;  /* x-amz-decoded-content-length: exact payload size */
    unsigned long long min_chunk;       /* non-final chunks below it fail; 0: no minimum */
    const char *trailers;               /* x-amz-trailer: comma-separated names that must */
    size_t trailers_len;                /*   arrive (and nothing else); NULL/0: none */
};

enum chunked_state { CH_LINE, CH_DATA, CH_CRLF, CH_TRAILER, CH_DONE, CH_FAILED };

struct chunked_tr {                     /* one received trailer, offsets into store */
    unsigned short name, name_len, value, value_len;
};

/* Opaque: use the functions below. */
struct chunked {
    /* from the parameters */
    int signatures, signed_trailer, verify;
    unsigned char key[32];
    char prev_sig[65];                  /* signature of the previous chunk (seed first) */
    char amz_date[17];
    char scope[128];
    size_t scope_len;
    unsigned long long decoded_length, min_chunk;
    char declared[CHUNKED_DECLARED_MAX];
    size_t declared_len;
    /* progress */
    enum chunked_state st;
    enum s3_err err;
    const char *why;
    unsigned long long decoded;         /* payload bytes so far */
    unsigned long long chunk_left;      /* of the current chunk */
    unsigned long long prev_size;       /* size of the previous chunk */
    unsigned long chunks;               /* chunk lines seen */
    char chunk_sig[65];                 /* signature claimed for the current chunk */
    int crlf_seen;                      /* bytes of the CRLF after chunk data */
    struct hash_ctx sha;                /* chunk data hash (when verifying) */
    size_t line_len;
    char line[CHUNKED_LINE_MAX];
    size_t trailer_raw;                 /* trailer section bytes so far */
    size_t store_len;
    char store[CHUNKED_TRAILER_MAX];    /* received trailers: name\0value\0 ... */
    struct chunked_tr tr[CHUNKED_MAX_TRAILERS];
    size_t ntr;
    int have_trailer_sig;
    char trailer_sig[65];
};

/* Sets c up (c need not be initialised). S3E_OK, or
 * S3E_INVALID_REQUEST for unusable parameters (scope or x-amz-trailer too long,
 * seed signature not 64 hex). chunked_free is needed in every case. */
enum s3_err chunked_init(struct chunked *c, const struct chunked_params *p);

/* Decodes input: consumes bytes of in[0..inlen) and writes payload bytes to
 * out[0..outcap). Stops when the input is used up, or when out is full and the next
 * input byte is payload (call again with the rest), or on error. *consumed and
 * *produced are set on every return. Framing, signatures and trailers are checked
 * as they pass. Returns S3E_OK or the (sticky) error. */
enum s3_err chunked_decode(struct chunked *c, const void *in, size_t inlen, size_t *consumed,
                           void *out, size_t outcap, size_t *produced);

/* The input has ended: S3E_OK when the body was complete (final chunk, trailers,
 * every signature verified), else the error (S3E_INCOMPLETE_BODY when cut short). */
enum s3_err chunked_eof(struct chunked *c);

/* 1 once the final chunk and trailer section have been decoded and verified. */
int chunked_complete(const struct chunked *c);

/* Value of trailer name (any case) once complete, trimmed, NUL-terminated; *len
 * its length. NULL when absent. Valid until chunked_free or chunked_init. */
const char *chunked_trailer(const struct chunked *c, const char *name, size_t *len);

/* Why the decoder failed, for the log ("chunk signature mismatch"); NULL
 * when it did not. Static text. */
const char *chunked_why(const struct chunked *c);

/* Wipes the signing key. Safe on a zeroed struct and more than once. */
void chunked_free(struct chunked *c);

#endif
