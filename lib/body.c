/* body.c - see body.h.
 *
 * Error messages follow what S3 answers (as observed by S3 re-implementations
 * that test against it, e.g. OpenStack Swift's s3api): checksum header problems are
 * InvalidRequest with a specific message, a trailer that breaks the x-amz-trailer
 * contract is MalformedTrailerError, an aws-chunked upload without
 * x-amz-decoded-content-length is MissingContentLength (411).
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "chunked.h"
#include "config.h"
#include "request.h"
#include "util.h"

#define RAW_BUF (64u << 10)     /* encoded input read per io->read for aws-chunked */

#define MSG_MULTI "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
#define MSG_HDR_AND_TRAILER "Expecting a single x-amz-checksum- header"
#define MSG_BAD_ALG "The algorithm type you specified in x-amz-checksum- header is invalid."
#define MSG_BAD_TRAILER_HDR "The value specified in the x-amz-trailer header is not supported"
#define MSG_BAD_SDK_ALG "Value for x-amz-sdk-checksum-algorithm header is invalid."

static enum s3_err fail(struct s3_body *b, enum s3_err e, const char *message)
{
    b->err = e;
    b->message = message;
    return e;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* x-amz-checksum-<alg> headers that carry no checksum value. */
static int checksum_value_header(const char *name)
{
    return strncmp(name, "x-amz-checksum-", 15) == 0 &&
           strcmp(name, "x-amz-checksum-algorithm") != 0 &&
           strcmp(name, "x-amz-checksum-type") != 0 &&
           strcmp(name, "x-amz-checksum-mode") != 0;
}

/* Which checksum the request asks for and where its expected value is. */
static enum s3_err setup_checksum(struct s3_body *b)
{
    struct s3_request *req = b->req;
    enum checksum_alg hdr_alg = CK_NONE, tr_alg = CK_NONE;
    const char *hdr_val = NULL;
    size_t nhdr = 0, ntr = 0;

    /* CompleteMultipartUpload: the checksum headers describe the assembled object */
    if (req->method == M_POST && s3_req_qparam(req, "uploadId"))
        return S3E_OK;
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct s3_header *h = &req->headers[i];
        if (!checksum_value_header(h->name))
            continue;
        hdr_alg = checksum_alg_from_header(h->name, strlen(h->name));
        if (hdr_alg == CK_NONE)
            return fail(b, S3E_INVALID_REQUEST, MSG_BAD_ALG);
        hdr_val = h->value;
        nhdr++;
    }
    if (nhdr > 1)
        return fail(b, S3E_INVALID_REQUEST, MSG_MULTI);

    const char *t = s3_req_header(req, "x-amz-trailer");
    for (const char *p = t; p && *p;) {
        const char *comma = strchr(p, ',');
        const char *item = p;
        size_t ilen = comma ? (size_t)(comma - p) : strlen(p);
        trim(&item, &ilen);
        if (ilen) {
            tr_alg = checksum_alg_from_header(item, ilen);
            if (tr_alg == CK_NONE)
                return fail(b, S3E_INVALID_REQUEST, MSG_BAD_TRAILER_HDR);
            ntr++;
        }
        p = comma ? comma + 1 : NULL;
    }
    if (ntr > 1 || (ntr && nhdr))
        return fail(b, S3E_INVALID_REQUEST, MSG_HDR_AND_TRAILER);

    enum checksum_alg alg = nhdr ? hdr_alg : tr_alg;
    const char *sdk = s3_req_header(req, "x-amz-sdk-checksum-algorithm");
    if (sdk) {
        size_t slen = strlen(sdk);
        trim(&sdk, &slen);
        enum checksum_alg sdk_alg = checksum_alg_from_name(sdk, slen);
        if (sdk_alg == CK_NONE || (alg != CK_NONE && alg != sdk_alg))
            return fail(b, S3E_INVALID_REQUEST, MSG_BAD_SDK_ALG);
        alg = sdk_alg;
    }
    if (alg == CK_NONE)
        return S3E_OK;
    if (nhdr) {
        size_t vlen = strlen(hdr_val);
        trim(&hdr_val, &vlen);
        if (checksum_b64_decode(alg, hdr_val, vlen, b->ck_want) < 0)
            return fail(b, S3E_INVALID_REQUEST,
                        arena_printf(req->arena, "Value for %s header is invalid.",
                                     checksum_header_name(alg)));
        b->ck_source = BODY_CK_HEADER;
    } else if (ntr) {
        b->ck_source = BODY_CK_TRAILER;
    }
    b->ck_alg = alg;
    if (checksum_init(&b->ck, alg) < 0)
        return fail(b, S3E_INTERNAL, NULL);
    return S3E_OK;
}

/* The aws-chunked decoder for the three STREAMING-* payload modes. */
static enum s3_err setup_chunked(struct s3_body *b)
{
    struct s3_request *req = b->req;
    const struct s3_auth_result *au = &req->auth;
    if (req->decoded_length < 0)
        return fail(b, S3E_MISSING_CONTENT_LENGTH, NULL);
    b->expected = req->decoded_length;

    int signatures = req->payload_mode != PAYLOAD_STREAMING_UNSIGNED_TRAILER;
    const char *t = s3_req_header(req, "x-amz-trailer");
    struct chunked_params p = {
        .signatures = signatures,
        .signed_trailer = req->payload_mode == PAYLOAD_STREAMING_SIGNED_TRAILER,
        /* anonymous requests (anonymous_full) have nothing to verify against */
        .signing_key = au->cred ? au->signing_key : NULL,
        .seed_signature = au->seed_signature,
        .amz_date = au->amz_date,
        .scope = au->scope,
        .scope_len = strlen(au->scope),
        .decoded_length = (unsigned long long)req->decoded_length,
        /* S3 also refuses small chunks in the unsigned form, but JS SDK v3 streams
         * sent them before requestStreamBufferSize existed: accepting them costs no
         * safety. Signed streams come from signers that always used >= 8 KiB. */
        .min_chunk = signatures ? CHUNKED_MIN_CHUNK : 0,
        .trailers = t,
        .trailers_len = t ? strlen(t) : 0,
    };
    b->chunked = malloc(sizeof *b->chunked);
    b->raw = malloc(RAW_BUF);
    if (!b->chunked || !b->raw)
        return fail(b, S3E_INTERNAL, NULL);
    enum s3_err e = chunked_init(b->chunked, &p);
    return e ? fail(b, e, NULL) : S3E_OK;
}

enum s3_err body_init(struct s3_body *b, struct s3_request *req, int want_md5, int want_sha256)
{
    enum s3_err e;
    memset(b, 0, sizeof *b);
    b->req = req;
    b->expected = req->content_length;
    if ((e = setup_checksum(b)))
        return e;
    switch (req->payload_mode) {
    case PAYLOAD_STREAMING_SIGNED:
    case PAYLOAD_STREAMING_UNSIGNED_TRAILER:
    case PAYLOAD_STREAMING_SIGNED_TRAILER:
        if ((e = setup_chunked(b)))
            return e;
        break;
    default:
        if (b->ck_source == BODY_CK_TRAILER)
            return fail(b, S3E_MALFORMED_TRAILER, NULL);
        break;
    }
    /* the payload hash must be computed whenever it is to be verified */
    if (req->payload_mode == PAYLOAD_SHA256 || req->payload_mode == PAYLOAD_NONE_GIVEN)
        want_sha256 = 1;
    if (s3_req_header(req, "content-md5"))
        want_md5 = 1;
    if ((b->want_md5 = want_md5))
        hash_init(&b->md5, HASH_MD5);
    if ((b->want_sha256 = want_sha256))
        hash_init(&b->sha256, HASH_SHA256);
    return S3E_OK;
}

enum s3_err body_default_checksum(struct s3_body *b, enum checksum_alg alg)
{
    if (b->err)
        return b->err;
    if (b->ck_alg != CK_NONE)
        return S3E_OK;
    if (b->total || b->raw_total || checksum_init(&b->ck, alg) < 0)
        return fail(b, S3E_INTERNAL, NULL);
    b->ck_alg = alg;
    return S3E_OK;
}

/* Fills the raw buffer from the client, never past Content-Length when known. */
static enum s3_err refill(struct s3_body *b)
{
    const struct s3_io *io = b->req->io;
    long long cl = b->req->content_length;
    size_t want = RAW_BUF;
    if (cl >= 0) {
        if (b->raw_total >= cl) {
            b->raw_eof = 1;
            return S3E_OK;
        }
        if ((unsigned long long)(cl - b->raw_total) < want)
            want = (size_t)(cl - b->raw_total);
    }
    ssize_t n = io->read(io->ctx, b->raw, want);
    if (n < 0 || (n == 0 && cl >= 0))
        return fail(b, S3E_INCOMPLETE_BODY, NULL);
    if (n == 0)
        b->raw_eof = 1;
    b->raw_off = 0;
    b->raw_len = (size_t)n;
    b->raw_total += n;
    return S3E_OK;
}

static void log_chunked(const struct s3_body *b)
{
    const struct s3_request *req = b->req;
    const char *why = chunked_why(b->chunked);
    if (why && req->cfg && req->cfg->log_level >= 2 && req->io)
        s3_io_logf(req->io, "aws-chunked body refused: %s (request %s)", why, req->request_id);
}

/* Decoded payload into buf: >0, 0 at the verified end of the body, -1 error. Returns
 * what it has rather than block for more input. */
static ssize_t read_chunked(struct s3_body *b, unsigned char *buf, size_t len)
{
    size_t got = 0;
    enum s3_err e;
    for (;;) {
        if (b->raw_off < b->raw_len) {
            size_t used, prod;
            e = chunked_decode(b->chunked, b->raw + b->raw_off, b->raw_len - b->raw_off, &used,
                               buf + got, len - got, &prod);
            b->raw_off += used;
            got += prod;
            if (e) {
                log_chunked(b);
                fail(b, e, NULL);
                return -1;
            }
            if (got == len)
                return (ssize_t)got;
            continue;
        }
        if (got)
            return (ssize_t)got;
        if (b->raw_eof) {
            if ((e = chunked_eof(b->chunked))) {
                log_chunked(b);
                fail(b, e, NULL);
                return -1;
            }
            return 0;
        }
        /* complete or not, the input must be read to its end: bytes after the
         * final chunk are an error the decoder reports */
        if (refill(b))
            return -1;
    }
}

static ssize_t read_plain(struct s3_body *b, void *buf, size_t len)
{
    if (b->expected >= 0) {
        long long left = b->expected - b->total;
        if (left == 0)
            return 0;
        if ((unsigned long long)left < len)
            len = (size_t)left;
    }
    ssize_t n = b->req->io->read(b->req->io->ctx, buf, len);
    if (n < 0 || (n == 0 && b->expected >= 0 && b->total < b->expected)) {
        fail(b, S3E_INCOMPLETE_BODY, NULL);
        return -1;
    }
    return n;
}

/* MD5 of n more payload bytes on the request thread; once the body has proved large
 * (BODY_PIPE_MIN so far and at least as much to come, or of unknown length), the
 * digest moves to a helper thread (hashpipe.h) for the rest. */
static void md5_inline(struct s3_body *b, const void *buf, size_t n)
{
    hash_update(&b->md5, buf, n);
    long long seen = b->total + (long long)n;
    if (!b->md5_pipe_tried && seen >= BODY_PIPE_MIN &&
        (b->expected < 0 || b->expected - seen >= BODY_PIPE_MIN)) {
        b->md5_pipe_tried = 1;
        b->md5_pipe = hashpipe_start(&b->md5);      /* NULL: stays inline */
    }
}

ssize_t body_read(struct s3_body *b, void *buf, size_t len)
{
    if (b->err)
        return -1;
    if (b->eof || len == 0)
        return 0;
    ssize_t n = b->chunked ? read_chunked(b, buf, len) : read_plain(b, buf, len);
    if (n < 0)
        return -1;
    if (n == 0) {
        b->eof = 1;
        return 0;
    }
    if (b->md5_pipe)
        hashpipe_feed(b->md5_pipe, buf, (size_t)n);
    else if (b->want_md5)
        md5_inline(b, buf, (size_t)n);
    if (b->want_sha256)
        hash_update(&b->sha256, buf, (size_t)n);
    if (b->ck_alg != CK_NONE && checksum_update(&b->ck, buf, (size_t)n) < 0) {
        fail(b, S3E_INTERNAL, NULL);
        return -1;
    }
    b->total += n;
    return n;
}

static enum s3_err check_content_md5(struct s3_body *b, const unsigned char md5[16])
{
    const char *cmd5 = s3_req_header(b->req, "content-md5");
    if (!cmd5)
        return S3E_OK;
    unsigned char want[16];
    if (base64_decode(cmd5, strlen(cmd5), want, sizeof want) != 16)
        return S3E_INVALID_DIGEST;
    return memcmp(want, md5, 16) == 0 ? S3E_OK : S3E_BAD_DIGEST;
}

/* The additional checksum against the header's or trailer's value. */
static enum s3_err check_checksum(struct s3_body *b)
{
    unsigned char got[CHECKSUM_MAX_DIGEST], trailer_want[CHECKSUM_MAX_DIGEST];
    const unsigned char *want = b->ck_want;
    size_t dlen = checksum_digest_len(b->ck_alg);
    struct arena *a = b->req->arena;
    if (checksum_final(&b->ck, got, b->ck_b64) < 0)
        return fail(b, S3E_INTERNAL, NULL);
    if (b->ck_source == BODY_CK_NONE)
        return S3E_OK;
    if (b->ck_source == BODY_CK_TRAILER) {
        size_t vlen = 0;
        const char *v = chunked_trailer(b->chunked, checksum_header_name(b->ck_alg), &vlen);
        if (!v)     /* the decoder insists on declared trailers; kept as a guard */
            return fail(b, S3E_MALFORMED_TRAILER, NULL);
        if (checksum_b64_decode(b->ck_alg, v, vlen, trailer_want) < 0)
            return fail(b, S3E_INVALID_REQUEST,
                        arena_printf(a, "Value for %s trailing header is invalid.",
                                     checksum_header_name(b->ck_alg)));
        want = trailer_want;
    }
    if (memcmp(want, got, dlen) != 0)
        return fail(b, S3E_BAD_DIGEST,
                    arena_printf(a, "The %s you specified did not match the calculated checksum.",
                                 checksum_alg_name(b->ck_alg)));
    return S3E_OK;
}

enum s3_err body_finish(struct s3_body *b, unsigned char md5_out[16], unsigned char sha256_out[32])
{
    if (b->err)
        return b->err;
    /* drain: the payload must be read to its end before it can be trusted */
    char tmp[4096];
    ssize_t n;
    while ((n = body_read(b, tmp, sizeof tmp)) > 0)
        ;
    if (n < 0)
        return b->err;
    unsigned char md5[16], sha[32];
    if (b->md5_pipe)
        hashpipe_finish(b->md5_pipe, md5);
    else if (b->want_md5)
        hash_final(&b->md5, md5);
    if (b->want_sha256)
        hash_final(&b->sha256, sha);
    enum s3_err e;
    if (b->want_md5 && (e = check_content_md5(b, md5)))
        return fail(b, e, NULL);
    char hex[65];
    if (b->want_sha256)
        hex_encode(sha, 32, hex);
    if (b->req->payload_mode == PAYLOAD_SHA256 && !ct_memeq(hex, b->req->payload_sha256, 64))
        return fail(b, S3E_SHA256_MISMATCH, NULL);
    if (b->req->payload_mode == PAYLOAD_NONE_GIVEN && b->req->auth.deferred &&
        (e = s3_auth_finish(b->req, hex)))
        return fail(b, e, NULL);
    if (b->ck_alg != CK_NONE && (e = check_checksum(b)))
        return e;
    if (md5_out && b->want_md5)
        memcpy(md5_out, md5, 16);
    if (sha256_out && b->want_sha256)
        memcpy(sha256_out, sha, 32);
    b->finished = 1;
    return S3E_OK;
}

const char *body_checksum(const struct s3_body *b, enum checksum_alg *alg)
{
    if (!b->finished || b->ck_alg == CK_NONE)
        return NULL;
    if (alg)
        *alg = b->ck_alg;
    return b->ck_b64;
}

const char *body_error_message(const struct s3_body *b)
{
    return b->err ? b->message : NULL;
}

void body_free(struct s3_body *b)
{
    hashpipe_free(b->md5_pipe);
    b->md5_pipe = NULL;
    checksum_free(&b->ck);
    if (b->chunked)
        chunked_free(b->chunked);
    free(b->chunked);
    free(b->raw);
    b->chunked = NULL;
    b->raw = NULL;
}

enum s3_err body_read_all(struct s3_request *req, size_t cap, char **data, size_t *len)
{
    struct s3_body b;
    enum s3_err err = body_init(&b, req, 0, 0);
    if (err)
        goto out;
    /* b.expected: Content-Length, or x-amz-decoded-content-length when aws-chunked */
    if (b.expected > (long long)cap) {
        err = S3E_ENTITY_TOO_LARGE;
        goto out;
    }
    size_t alloc = b.expected >= 0 ? (size_t)b.expected : cap;
    char *p = arena_alloc(req->arena, alloc + 1);
    if (!p) {
        err = S3E_INTERNAL;
        goto out;
    }
    size_t got = 0;
    for (;;) {
        if (got == alloc) {
            /* at the cap: one more byte means the body is too large */
            char extra;
            ssize_t x = body_read(&b, &extra, 1);
            if (x > 0)
                err = S3E_ENTITY_TOO_LARGE;
            else if (x < 0)
                err = b.err;
            if (err)
                goto out;
            break;
        }
        ssize_t n = body_read(&b, p + got, alloc - got);
        if (n < 0) {
            err = b.err;
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    p[got] = '\0';
    if ((err = body_finish(&b, NULL, NULL)))
        goto out;
    *data = p;
    *len = got;
out:
    body_free(&b);
    return err;
}
