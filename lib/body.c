/* body.c - see body.h. */
#include "body.h"

#include <string.h>

#include "auth.h"
#include "request.h"
#include "util.h"

enum s3_err body_init(struct s3_body *b, struct s3_request *req, int want_md5, int want_sha256)
{
    memset(b, 0, sizeof *b);
    b->req = req;
    b->expected = req->content_length;
    switch (req->payload_mode) {
    case PAYLOAD_STREAMING_SIGNED:
    case PAYLOAD_STREAMING_UNSIGNED_TRAILER:
    case PAYLOAD_STREAMING_SIGNED_TRAILER:
        return b->err = S3E_NOT_IMPLEMENTED;
    default:
        break;
    }
    /* the payload hash must be computed whenever it is to be verified */
    if (req->payload_mode == PAYLOAD_SHA256 || req->payload_mode == PAYLOAD_NONE_GIVEN)
        want_sha256 = 1;
    if (s3_req_header(req, "content-md5"))
        want_md5 = 1;
    if (want_md5 && (!(b->md5 = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(b->md5, EVP_md5(), NULL)))
        return b->err = S3E_INTERNAL;
    if (want_sha256 &&
        (!(b->sha256 = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(b->sha256, EVP_sha256(), NULL)))
        return b->err = S3E_INTERNAL;
    return S3E_OK;
}

ssize_t body_read(struct s3_body *b, void *buf, size_t len)
{
    if (b->err)
        return -1;
    if (b->eof || len == 0)
        return 0;
    if (b->expected >= 0) {
        long long left = b->expected - b->total;
        if (left == 0) {
            b->eof = 1;
            return 0;
        }
        if ((unsigned long long)left < len)
            len = (size_t)left;
    }
    ssize_t n = b->req->io->read(b->req->io->ctx, buf, len);
    if (n < 0) {
        b->err = S3E_INCOMPLETE_BODY;
        return -1;
    }
    if (n == 0) {
        if (b->expected >= 0 && b->total < b->expected) {
            b->err = S3E_INCOMPLETE_BODY;
            return -1;
        }
        b->eof = 1;
        return 0;
    }
    if ((b->md5 && !EVP_DigestUpdate(b->md5, buf, (size_t)n)) ||
        (b->sha256 && !EVP_DigestUpdate(b->sha256, buf, (size_t)n))) {
        b->err = S3E_INTERNAL;
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
    unsigned int l;
    if (b->md5 && !EVP_DigestFinal_ex(b->md5, md5, &l))
        return b->err = S3E_INTERNAL;
    if (b->sha256 && !EVP_DigestFinal_ex(b->sha256, sha, &l))
        return b->err = S3E_INTERNAL;
    if (b->md5 && (b->err = check_content_md5(b, md5)))
        return b->err;
    char hex[65];
    if (b->sha256)
        hex_encode(sha, 32, hex);
    if (b->req->payload_mode == PAYLOAD_SHA256 && !ct_memeq(hex, b->req->payload_sha256, 64))
        return b->err = S3E_SHA256_MISMATCH;
    if (b->req->payload_mode == PAYLOAD_NONE_GIVEN && b->req->auth.deferred &&
        (b->err = s3_auth_finish(b->req, hex)))
        return b->err;
    if (md5_out && b->md5)
        memcpy(md5_out, md5, 16);
    if (sha256_out && b->sha256)
        memcpy(sha256_out, sha, 32);
    return S3E_OK;
}

void body_free(struct s3_body *b)
{
    EVP_MD_CTX_free(b->md5);
    EVP_MD_CTX_free(b->sha256);
    b->md5 = b->sha256 = NULL;
}

enum s3_err body_read_all(struct s3_request *req, size_t cap, char **data, size_t *len)
{
    struct s3_body b;
    enum s3_err err = body_init(&b, req, 0, 0);
    if (err)
        goto out;
    if (req->content_length > (long long)cap) {
        err = S3E_ENTITY_TOO_LARGE;
        goto out;
    }
    size_t alloc = req->content_length >= 0 ? (size_t)req->content_length : cap;
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
