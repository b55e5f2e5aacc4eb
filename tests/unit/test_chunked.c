/* test_chunked.c - checksums (checksum.c), the aws-chunked decoder (chunked.c) and
 * the request body reader on top of them (body.c).
 *
 * Oracles: the CRC catalogue check values and FIPS 180 vectors; the S3 API
 * reference's worked examples for chunked uploads ("sigv4-streaming": 66,560 bytes
 * of 'a' in 64 KiB + 1 KiB chunks, seed 4f232c43..., chunk signatures ad80c730...,
 * 0055627c..., b6c6ea8a...) and for trailing headers ("sigv4-streaming-trailers":
 * seed 106e2a8a..., x-amz-checksum-crc32c:sOO8/Q==, trailer signature d81f82fc...);
 * the aws-sdk-go-v2 aws-chunked example ("Hello world" with a SHA256 trailer).
 *
 * Built two ways: in `make check` against libs3cgi.a (then one more test drives the
 * doc example through s3_request_parse and s3_auth_check too), or standalone with
 * -DCHUNKED_STANDALONE_TEST, where the few request/auth functions body.c calls are
 * replaced by the stand-ins below:
 *   gcc -std=c11 -D_GNU_SOURCE -DCHUNKED_STANDALONE_TEST -Ilib tests/unit/test_chunked.c \
 *       lib/chunked.c lib/checksum.c lib/body.c lib/sigv4.c lib/uri.c lib/util.c \
 *       lib/buf.c lib/arena.c lib/errors.c lib/io.c $(pkg-config --cflags --libs check libcrypto)
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "arena.h"
#include "auth.h"
#include "body.h"
#include "checksum.h"
#include "chunked.h"
#include "config.h"
#include "request.h"
#include "sigv4.h"
#include "util.h"

#ifdef CHUNKED_STANDALONE_TEST
/* Stand-ins for request.c and auth.c: same contracts, nothing else. */
const char *s3_req_header(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const struct s3_qparam *s3_req_qparam(const struct s3_request *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return &req->query[i];
    return NULL;
}

enum s3_err s3_auth_finish(struct s3_request *req, const char *payload_sha256_hex)
{
    (void)req;
    (void)payload_sha256_hex;
    return S3E_OK;
}
#endif

/* ---- helpers ---------------------------------------------------------------- */

struct tb {                     /* growable test buffer */
    char *p;
    size_t len, cap;
};

static void tb_add(struct tb *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_adds(struct tb *b, const char *s)
{
    tb_add(b, s, strlen(s));
}

static void tb_free(struct tb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE "20130524T000000Z"
#define SCOPE "20130524/us-east-1/s3/aws4_request"
#define DOC_SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define DOC_SIG1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define DOC_SIG2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define DOC_SIG3 "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
#define TR_SEED "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define TR_SIG1 "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
#define TR_SIG2 "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
#define TR_SIG3 "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
#define TR_TRAILER_SIG "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
#define DOC_LEN 66560

static void doc_key(unsigned char key[32])
{
    sigv4_signing_key(SECRET, "20130524", 8, "us-east-1", 9, "s3", 2, key);
}

/* The documented STREAMING-AWS4-HMAC-SHA256-PAYLOAD body (66,824 bytes); with
 * trailer, the documented -TRAILER body. */
static void doc_body(struct tb *b, int trailer)
{
    char *a = malloc(65536);
    memset(a, 'a', 65536);
    tb_adds(b, trailer ? "10000;chunk-signature=" TR_SIG1 "\r\n" : "10000;chunk-signature=" DOC_SIG1 "\r\n");
    tb_add(b, a, 65536);
    tb_adds(b, trailer ? "\r\n400;chunk-signature=" TR_SIG2 "\r\n" : "\r\n400;chunk-signature=" DOC_SIG2 "\r\n");
    tb_add(b, a, 1024);
    tb_adds(b, trailer ? "\r\n0;chunk-signature=" TR_SIG3 "\r\n" : "\r\n0;chunk-signature=" DOC_SIG3 "\r\n");
    if (trailer)
        tb_adds(b, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" TR_TRAILER_SIG "\r\n");
    tb_adds(b, "\r\n");
    free(a);
}

static struct chunked_params doc_params(const unsigned char key[32], int trailer)
{
    struct chunked_params p = {
        .signatures = 1,
        .signed_trailer = trailer,
        .signing_key = key,
        .seed_signature = trailer ? TR_SEED : DOC_SEED,
        .amz_date = AMZ_DATE,
        .scope = SCOPE,
        .scope_len = strlen(SCOPE),
        .decoded_length = DOC_LEN,
        .min_chunk = CHUNKED_MIN_CHUNK,
        .trailers = trailer ? "x-amz-checksum-crc32c" : NULL,
        .trailers_len = trailer ? strlen("x-amz-checksum-crc32c") : 0,
    };
    return p;
}

/* Signature of one chunk after prev (same algorithm, independent code path from
 * chunked.c's: the doc vectors pin both). */
static void sign_chunk(const unsigned char key[32], const char *prev, const void *data, size_t n,
                       char out[65])
{
    char hash[65], sts[512];
    sigv4_sha256_hex(data, n, hash);
    int l = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", AMZ_DATE, SCOPE,
                     prev, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hash);
    sigv4_hmac_hex(key, sts, (size_t)l, out);
}

static void sign_trailer(const unsigned char key[32], const char *prev, const char *canon, char out[65])
{
    char hash[65], sts[512];
    sigv4_sha256_hex(canon, strlen(canon), hash);
    int l = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s", AMZ_DATE, SCOPE,
                     prev, hash);
    sigv4_hmac_hex(key, sts, (size_t)l, out);
}

/* Encodes data as aws-chunked with the given chunk sizes (the final 0 chunk is
 * added). key NULL: unsigned form. trailer: raw trailer lines (CRLF-terminated) or
 * NULL. *last_sig gets the final chunk's signature when signed. */
static void encode(struct tb *b, const unsigned char *key, const char *seed, const unsigned char *data,
                   const size_t *sizes, size_t nsizes, const char *trailer, char last_sig[65])
{
    char prev[65], sig[65], line[128];
    size_t off = 0;
    if (seed)
        memcpy(prev, seed, 65);
    for (size_t i = 0; i <= nsizes; i++) {
        size_t n = i < nsizes ? sizes[i] : 0;
        if (key) {
            sign_chunk(key, prev, data + off, n, sig);
            snprintf(line, sizeof line, "%zx;chunk-signature=%s\r\n", n, sig);
            memcpy(prev, sig, 65);
        } else {
            snprintf(line, sizeof line, "%zx\r\n", n);
        }
        tb_adds(b, line);
        if (n) {
            tb_add(b, data + off, n);
            tb_adds(b, "\r\n");
        }
        off += n;
    }
    if (last_sig)
        memcpy(last_sig, prev, 65);
    if (trailer)
        tb_adds(b, trailer);
    tb_adds(b, "\r\n");
}

/* Runs body through a fresh decoder: input in pieces of `piece` bytes (0: random
 * 1..9000), output buffer of outcap bytes. Output appended to out. Returns the
 * first error, else chunked_eof's verdict. When tr_name is given, its trailer value
 * is copied into tr_value (or "" when absent). */
static enum s3_err run(const struct chunked_params *p, const char *body, size_t len, size_t piece,
                       size_t outcap, unsigned *seed, struct tb *out, const char *tr_name,
                       char *tr_value, size_t tr_cap)
{
    struct chunked *c = malloc(sizeof *c);
    unsigned char *ob = malloc(outcap);
    enum s3_err e = chunked_init(c, p);
    size_t off = 0;
    while (!e && off < len) {
        size_t n = piece ? piece : 1 + (size_t)rand_r(seed) % 9000;
        if (n > len - off)
            n = len - off;
        size_t pos = 0;
        while (!e && pos < n) {
            size_t used = 99, prod = 99;
            e = chunked_decode(c, body + off + pos, n - pos, &used, ob, outcap, &prod);
            ck_assert_uint_le(used, n - pos);
            ck_assert_uint_le(prod, outcap);
            ck_assert(e || used || prod);       /* progress */
            tb_add(out, ob, prod);
            pos += used;
        }
        off += n;
    }
    if (!e)
        e = chunked_eof(c);
    if (tr_name) {
        const char *v = chunked_trailer(c, tr_name, NULL);
        snprintf(tr_value, tr_cap, "%s", v ? v : "");
    }
    if (e)
        ck_assert_ptr_nonnull(chunked_why(c));
    else
        ck_assert(chunked_complete(c));
    chunked_free(c);
    free(c);
    free(ob);
    return e;
}

static enum s3_err run_simple(const struct chunked_params *p, const struct tb *body, struct tb *out)
{
    return run(p, body->p, body->len, body->len ? body->len : 1, 1 << 17, NULL, out, NULL, NULL, 0);
}

static int all_a(const struct tb *b, size_t n)
{
    if (b->len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != 'a')
            return 0;
    return 1;
}

/* ---- checksum ---------------------------------------------------------------- */

static const struct {
    enum checksum_alg alg;
    const char *in;
    const char *hex;
    const char *b64;
} ck_vectors[] = {
    /* CRC catalogue check values ("123456789") and the empty input */
    { CK_CRC32, "", "00000000", "AAAAAA==" },
    { CK_CRC32, "123456789", "cbf43926", "y/Q5Jg==" },
    { CK_CRC32, "abc", "352441c2", "NSRBwg==" },
    { CK_CRC32C, "", "00000000", "AAAAAA==" },
    { CK_CRC32C, "123456789", "e3069283", "4waSgw==" },
    { CK_CRC32C, "abc", "364b3fb7", "Nks/tw==" },
    { CK_CRC64NVME, "", "0000000000000000", "AAAAAAAAAAA=" },
    { CK_CRC64NVME, "123456789", "ae8b14860a799888", "rosUhgp5mIg=" },
    { CK_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" },
    { CK_SHA1, "123456789", "f7c3bc1d808e04732adf679965ccc34ca7ae3441", "98O8HYCOBHMq32eZZczDTKeuNEE=" },
    { CK_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=" },
    { CK_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
    { CK_SHA256, "123456789", "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
      "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=" },
    { CK_SHA256, "Hello world", "64ec88ca00b268e5ba1a35678a1b5316d212f4f366b2477232534a8aeca37f3c",
      "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=" },   /* aws-sdk-go-v2's example */
};

START_TEST(test_checksum_vectors)
{
    for (size_t i = 0; i < sizeof ck_vectors / sizeof ck_vectors[0]; i++) {
        for (int sw = 0; sw < 2; sw++) {
            struct checksum c;
            unsigned char d[CHECKSUM_MAX_DIGEST];
            char b64[CHECKSUM_B64_MAX], hex[2 * CHECKSUM_MAX_DIGEST + 1];
            ck_assert_int_eq(sw ? checksum_init_sw(&c, ck_vectors[i].alg)
                                : checksum_init(&c, ck_vectors[i].alg), 0);
            ck_assert_int_eq(checksum_update(&c, ck_vectors[i].in, strlen(ck_vectors[i].in)), 0);
            ck_assert_int_eq(checksum_final(&c, d, b64), 0);
            hex_encode(d, checksum_digest_len(ck_vectors[i].alg), hex);
            ck_assert_str_eq(hex, ck_vectors[i].hex);
            ck_assert_str_eq(b64, ck_vectors[i].b64);
            checksum_free(&c);
            checksum_free(&c);      /* idempotent */
        }
    }
}
END_TEST

/* Streaming in uneven pieces gives the one-shot result; hardware and table CRC32C
 * agree on every length and alignment. */
START_TEST(test_checksum_streaming)
{
    size_t n = 1 << 20;
    unsigned char *data = malloc(n);
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)rand_r(&seed);
    for (enum checksum_alg a = CK_CRC32; a <= CK_SHA256; a++) {
        struct checksum one, parts, sw;
        unsigned char d1[32], d2[32], d3[32];
        ck_assert_int_eq(checksum_init(&one, a), 0);
        ck_assert_int_eq(checksum_init(&parts, a), 0);
        ck_assert_int_eq(checksum_init_sw(&sw, a), 0);
        ck_assert_int_eq(checksum_update(&one, data, n), 0);
        for (size_t off = 0; off < n;) {
            size_t k = 1 + (size_t)rand_r(&seed) % 5000;
            if (k > n - off)
                k = n - off;
            ck_assert_int_eq(checksum_update(&parts, data + off, k), 0);
            ck_assert_int_eq(checksum_update(&sw, data + off, k), 0);
            off += k;
        }
        checksum_final(&one, d1, NULL);
        checksum_final(&parts, d2, NULL);
        checksum_final(&sw, d3, NULL);
        ck_assert_mem_eq(d1, d2, checksum_digest_len(a));
        ck_assert_mem_eq(d1, d3, checksum_digest_len(a));
        checksum_free(&one);
        checksum_free(&parts);
        checksum_free(&sw);
    }
    /* every short length at every alignment: hw vs table */
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len < 40; len++) {
            struct checksum h, s;
            unsigned char dh[32], ds[32];
            checksum_init(&h, CK_CRC32C);
            checksum_init_sw(&s, CK_CRC32C);
            checksum_update(&h, data + off, len);
            checksum_update(&s, data + off, len);
            checksum_final(&h, dh, NULL);
            checksum_final(&s, ds, NULL);
            ck_assert_mem_eq(dh, ds, 4);
            checksum_free(&h);
            checksum_free(&s);
        }
    free(data);
}
END_TEST

/* crc(A || B) from crc(A), crc(B) and len(B), at every split of a buffer. */
START_TEST(test_checksum_combine)
{
    unsigned char data[3000];
    unsigned seed = 11;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)rand_r(&seed);
    static const size_t lens[] = { 0, 1, 2, 9, 100, 2999, 3000 };
    for (enum checksum_alg alg = CK_CRC32; alg <= CK_CRC64NVME; alg++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li];
            unsigned char whole[32], a[32], b[32], got[32];
            struct checksum c;
            checksum_init(&c, alg);
            checksum_update(&c, data, n);
            checksum_final(&c, whole, NULL);
            checksum_free(&c);
            for (size_t cut = 0; cut <= n; cut += n > 50 ? 1 + (size_t)rand_r(&seed) % 97 : 1) {
                checksum_init(&c, alg);
                checksum_update(&c, data, cut);
                checksum_final(&c, a, NULL);
                checksum_free(&c);
                checksum_init(&c, alg);
                checksum_update(&c, data + cut, n - cut);
                checksum_final(&c, b, NULL);
                checksum_free(&c);
                ck_assert_int_eq(checksum_crc_combine(alg, a, b, n - cut, got), 0);
                ck_assert_mem_eq(got, whole, checksum_digest_len(alg));
            }
        }
    unsigned char x[32] = { 0 };
    ck_assert_int_eq(checksum_crc_combine(CK_SHA256, x, x, 1, x), -1);
    ck_assert_int_eq(checksum_crc_combine(CK_NONE, x, x, 1, x), -1);
}
END_TEST

START_TEST(test_checksum_names)
{
    ck_assert_int_eq(checksum_alg_from_name("CRC32", 5), CK_CRC32);
    ck_assert_int_eq(checksum_alg_from_name("crc32c", 6), CK_CRC32C);
    ck_assert_int_eq(checksum_alg_from_name("Crc64Nvme", 9), CK_CRC64NVME);
    ck_assert_int_eq(checksum_alg_from_name("sha1", 4), CK_SHA1);
    ck_assert_int_eq(checksum_alg_from_name("SHA256", 6), CK_SHA256);
    ck_assert_int_eq(checksum_alg_from_name("SHA256x", 6), CK_SHA256);   /* length given */
    ck_assert_int_eq(checksum_alg_from_name("SHA2", 4), CK_NONE);
    ck_assert_int_eq(checksum_alg_from_name("MD5", 3), CK_NONE);
    ck_assert_int_eq(checksum_alg_from_name("", 0), CK_NONE);
    ck_assert_int_eq(checksum_alg_from_header("x-amz-checksum-crc32", 20), CK_CRC32);
    ck_assert_int_eq(checksum_alg_from_header("X-Amz-Checksum-CRC64NVME", 24), CK_CRC64NVME);
    ck_assert_int_eq(checksum_alg_from_header("x-amz-checksum-sha512", 21), CK_NONE);
    ck_assert_int_eq(checksum_alg_from_header("x-amz-checksum-crc32", 19), CK_NONE);
    ck_assert_str_eq(checksum_header_name(CK_CRC32C), "x-amz-checksum-crc32c");
    ck_assert_str_eq(checksum_alg_name(CK_CRC64NVME), "CRC64NVME");
    ck_assert_ptr_null(checksum_alg_name(CK_NONE));
    ck_assert_ptr_null(checksum_header_name((enum checksum_alg)99));
    ck_assert_uint_eq(checksum_digest_len(CK_CRC32), 4);
    ck_assert_uint_eq(checksum_digest_len(CK_CRC64NVME), 8);
    ck_assert_uint_eq(checksum_digest_len(CK_SHA1), 20);
    ck_assert_uint_eq(checksum_digest_len(CK_SHA256), 32);
    ck_assert_uint_eq(checksum_digest_len(CK_NONE), 0);
    struct checksum c;
    ck_assert_int_eq(checksum_init(&c, CK_NONE), -1);
    checksum_free(&c);

    unsigned char d[32];
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSRBwg==", 8, d), 0);
    ck_assert_int_eq(d[0], 0x35);
    ck_assert_int_eq(d[3], 0xc2);
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSRBwg=", 7, d), -1);       /* padding */
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSRBwg", 6, d), -1);
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSRBwgAA", 8, d), -1);      /* 6 bytes */
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "NSR*wg==", 8, d), -1);
    ck_assert_int_eq(checksum_b64_decode(CK_CRC32, "rosUhgp5mIg=", 12, d), -1); /* CRC64 size */
    ck_assert_int_eq(checksum_b64_decode(CK_CRC64NVME, "rosUhgp5mIg=", 12, d), 0);
    ck_assert_int_eq(checksum_b64_decode(CK_SHA256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 44, d), 0);
    ck_assert_int_eq(checksum_b64_decode(CK_NONE, "", 0, d), -1);
}
END_TEST

/* ---- chunked: the documented examples -------------------------------------- */

START_TEST(test_doc_example)
{
    unsigned char key[32];
    struct tb body = { 0 };
    doc_key(key);
    doc_body(&body, 0);
    ck_assert_uint_eq(body.len, 66824);         /* the documented Content-Length */
    struct chunked_params p = doc_params(key, 0);
    static const size_t pieces[] = { 1, 7, 4096, 66824, 0 };
    static const size_t outcaps[] = { 1, 100, 65536, 1 << 17 };
    unsigned seed = 1;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
        for (size_t j = 0; j < sizeof outcaps / sizeof outcaps[0]; j++) {
            if (pieces[i] == 1 && outcaps[j] < 100)
                continue;       /* slow and adds nothing */
            struct tb out = { 0 };
            ck_assert_int_eq(run(&p, body.p, body.len, pieces[i], outcaps[j], &seed, &out, NULL,
                                 NULL, 0), S3E_OK);
            ck_assert(all_a(&out, DOC_LEN));
            tb_free(&out);
        }
    /* random piece sizes, many times */
    for (int r = 0; r < 20; r++) {
        struct tb out = { 0 };
        ck_assert_int_eq(run(&p, body.p, body.len, 0, 1 + (size_t)rand_r(&seed) % 70000, &seed,
                             &out, NULL, NULL, 0), S3E_OK);
        ck_assert(all_a(&out, DOC_LEN));
        tb_free(&out);
    }
    /* our own signer reproduces the documented signatures */
    char a[65536], s1[65], s2[65], s3[65];
    memset(a, 'a', sizeof a);
    sign_chunk(key, DOC_SEED, a, 65536, s1);
    sign_chunk(key, s1, a, 1024, s2);
    sign_chunk(key, s2, "", 0, s3);
    ck_assert_str_eq(s1, DOC_SIG1);
    ck_assert_str_eq(s2, DOC_SIG2);
    ck_assert_str_eq(s3, DOC_SIG3);
    tb_free(&body);
}
END_TEST

START_TEST(test_doc_trailer_example)
{
    unsigned char key[32];
    struct tb body = { 0 };
    char v[64];
    doc_key(key);
    doc_body(&body, 1);
    struct chunked_params p = doc_params(key, 1);
    unsigned seed = 3;
    for (size_t piece = 0; piece < 3; piece++) {
        struct tb out = { 0 };
        ck_assert_int_eq(run(&p, body.p, body.len, piece == 2 ? 1 : piece * 1000, 5000, &seed, &out,
                             "X-Amz-Checksum-CRC32C", v, sizeof v), S3E_OK);
        ck_assert(all_a(&out, DOC_LEN));
        ck_assert_str_eq(v, "sOO8/Q==");
        tb_free(&out);
    }
    /* the trailer's CRC32C is that of the payload */
    struct checksum c;
    char b64[CHECKSUM_B64_MAX];
    unsigned char d[32];
    char *a = malloc(DOC_LEN);
    memset(a, 'a', DOC_LEN);
    checksum_init(&c, CK_CRC32C);
    checksum_update(&c, a, DOC_LEN);
    checksum_final(&c, d, b64);
    checksum_free(&c);
    ck_assert_str_eq(b64, "sOO8/Q==");
    free(a);
    /* and our trailer signer gives the documented trailer signature */
    char sig[65];
    sign_trailer(key, TR_SIG3, "x-amz-checksum-crc32c:sOO8/Q==\n", sig);
    ck_assert_str_eq(sig, TR_TRAILER_SIG);

    /* tampering with the trailer value or signature, or leaving the signature out */
    static const struct { const char *from, *to; enum s3_err want; } edits[] = {
        { "sOO8/Q==", "sOO8/Q=A", S3E_SIGNATURE_MISMATCH },
        { "d81f82fc", "d81f82fd", S3E_SIGNATURE_MISMATCH },
        { "x-amz-trailer-signature:", "x-amz-trailer-signaturx:", S3E_MALFORMED_TRAILER },
        { "crc32c:", "crc32:", S3E_MALFORMED_TRAILER },
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        struct tb t = { 0 }, out = { 0 };
        tb_add(&t, body.p, body.len);
        char *at = strstr(t.p + 66000, edits[i].from);
        ck_assert_ptr_nonnull(at);
        memcpy(at, edits[i].to, strlen(edits[i].to));
        ck_assert_int_eq(run_simple(&p, &t, &out), edits[i].want);
        tb_free(&t);
        tb_free(&out);
    }
    /* signature line missing */
    struct tb t = { 0 }, out = { 0 };
    tb_add(&t, body.p, body.len);
    char *at = strstr(t.p + 66000, "x-amz-trailer-signature:");
    memcpy(at, "\r\n", 3);
    t.len = (size_t)(at - t.p) + 2;
    ck_assert_int_eq(run_simple(&p, &t, &out), S3E_INCOMPLETE_BODY);
    tb_free(&t);
    tb_free(&out);
    tb_free(&body);
}
END_TEST

/* ---- chunked: unsigned trailer form ----------------------------------------- */

static struct chunked_params unsigned_params(unsigned long long dlen, const char *trailers)
{
    struct chunked_params p = {
        .decoded_length = dlen,
        .trailers = trailers,
        .trailers_len = trailers ? strlen(trailers) : 0,
    };
    return p;
}

START_TEST(test_unsigned_trailer)
{
    char v[64];
    struct tb out = { 0 };
    /* aws-sdk-go-v2's documented encoding */
    const char *go = "b\r\nHello world\r\n0\r\n"
                     "x-amz-checksum-sha256:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=\r\n\r\n";
    struct chunked_params p = unsigned_params(11, "x-amz-checksum-sha256");
    for (size_t piece = 1; piece < 4; piece++) {
        out.len = 0;
        ck_assert_int_eq(run(&p, go, strlen(go), piece, 3, NULL, &out, "x-amz-checksum-sha256", v,
                             sizeof v), S3E_OK);
        ck_assert_uint_eq(out.len, 11);
        ck_assert_mem_eq(out.p, "Hello world", 11);
        ck_assert_str_eq(v, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=");
    }
    /* JS SDK v3 shape; whitespace and case in the trailer are tolerated */
    static const char *const ok[] = {
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32: NSRBwg==\r\n\r\n",
        "3\r\nabc\r\n0\r\n X-Amz-Checksum-CRC32 :\tNSRBwg== \r\n\r\n",
        "1\r\na\r\n2\r\nbc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
        "0003\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
        "3  \r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
    };
    p = unsigned_params(3, "x-amz-checksum-crc32");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        out.len = 0;
        ck_assert_int_eq(run(&p, ok[i], strlen(ok[i]), 2, 64, NULL, &out, "x-amz-checksum-crc32", v,
                             sizeof v), S3E_OK);
        ck_assert_uint_eq(out.len, 3);
        ck_assert_mem_eq(out.p, "abc", 3);
        ck_assert_str_eq(v, "NSRBwg==");
    }
    /* trailer contract (S3: MalformedTrailerError) and framing faults */
    static const struct { const char *body, *declared; unsigned long long dlen; enum s3_err want; } bad[] = {
        /* declared, not sent */
        { "3\r\nabc\r\n0\r\n\r\n", "x-amz-checksum-crc32", 3, S3E_MALFORMED_TRAILER },
        /* sent, not declared */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", NULL, 3, S3E_MALFORMED_TRAILER },
        /* another one than declared */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32c:Nks/tw==\r\n\r\n", "x-amz-checksum-crc32", 3,
          S3E_MALFORMED_TRAILER },
        /* twice */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
          "x-amz-checksum-crc32", 3, S3E_MALFORMED_TRAILER },
        /* no colon, empty name, bare LF */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32 NSRBwg==\r\n\r\n", "x-amz-checksum-crc32", 3,
          S3E_MALFORMED_TRAILER },
        { "3\r\nabc\r\n0\r\n:NSRBwg==\r\n\r\n", "x-amz-checksum-crc32", 3, S3E_MALFORMED_TRAILER },
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\n\r\n", "x-amz-checksum-crc32", 3,
          S3E_MALFORMED_TRAILER },
        /* control characters in the value */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSR\x01" "Bwg==\r\n\r\n", "x-amz-checksum-crc32", 3,
          S3E_MALFORMED_TRAILER },
        /* a trailer signature in the unsigned form */
        { "3\r\nabc\r\n0\r\nx-amz-trailer-signature:" DOC_SIG1 "\r\n\r\n", NULL, 3,
          S3E_MALFORMED_TRAILER },
        /* cut inside the trailer section */
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n", "x-amz-checksum-crc32", 3,
          S3E_INCOMPLETE_BODY },
        { "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRB", "x-amz-checksum-crc32", 3, S3E_INCOMPLETE_BODY },
        /* signatures in the unsigned form */
        { "3;chunk-signature=" DOC_SIG1 "\r\nabc\r\n0\r\n\r\n", NULL, 3, S3E_INCOMPLETE_BODY },
        /* decoded length mismatches */
        { "3\r\nabc\r\n0\r\n\r\n", NULL, 4, S3E_INCOMPLETE_BODY },
        { "3\r\nabc\r\n0\r\n\r\n", NULL, 2, S3E_INCOMPLETE_BODY },
        /* bytes after the end */
        { "3\r\nabc\r\n0\r\n\r\nX", NULL, 3, S3E_INCOMPLETE_BODY },
        { "3\r\nabc\r\n0\r\n\r\n\r\n", NULL, 3, S3E_INCOMPLETE_BODY },
        /* no final chunk */
        { "3\r\nabc\r\n", NULL, 3, S3E_INCOMPLETE_BODY },
        { "3\r\nabc", NULL, 3, S3E_INCOMPLETE_BODY },
        { "", NULL, 0, S3E_INCOMPLETE_BODY },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = unsigned_params(bad[i].dlen, bad[i].declared);
        for (size_t piece = 1; piece <= 64; piece += 63) {
            out.len = 0;
            ck_assert_msg(run(&p, bad[i].body, strlen(bad[i].body), piece, 64, NULL, &out, NULL, NULL,
                              0) == bad[i].want, "case %zu", i);
        }
    }
    /* the last CRLF may be missing when no trailer can follow */
    p = unsigned_params(3, NULL);
    out.len = 0;
    ck_assert_int_eq(run(&p, "3\r\nabc\r\n0\r\n", 11, 1, 8, NULL, &out, NULL, NULL, 0), S3E_OK);
    /* an empty payload */
    p = unsigned_params(0, "x-amz-checksum-crc32");
    const char *empty = "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    ck_assert_int_eq(run(&p, empty, strlen(empty), 5, 8, NULL, &out, "x-amz-checksum-crc32", v,
                         sizeof v), S3E_OK);
    ck_assert_str_eq(v, "AAAAAA==");
    tb_free(&out);
}
END_TEST

/* ---- chunked: framing and signature faults ------------------------------------ */

START_TEST(test_signed_faults)
{
    unsigned char key[32];
    struct tb body = { 0 }, out = { 0 };
    doc_key(key);
    doc_body(&body, 0);
    struct chunked_params p = doc_params(key, 0);

    /* a data byte changed: its chunk's signature fails */
    static const size_t at[] = { 88, 88 + 40000, 88 + 65535, 88 + 65538 + 86 + 500 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        struct tb t = { 0 };
        tb_add(&t, body.p, body.len);
        ck_assert_int_eq(t.p[at[i]], 'a');
        t.p[at[i]] = 'b';
        out.len = 0;
        ck_assert_int_eq(run_simple(&p, &t, &out), S3E_SIGNATURE_MISMATCH);
        tb_free(&t);
    }
    /* each signature changed in one digit, or uppercased (accepted) */
    static const char *const sigs[] = { DOC_SIG1, DOC_SIG2, DOC_SIG3 };
    for (size_t i = 0; i < 3; i++) {
        struct tb t = { 0 };
        tb_add(&t, body.p, body.len);
        char *s = strstr(t.p, sigs[i]);
        s[63] = s[63] == '0' ? '1' : '0';
        out.len = 0;
        ck_assert_int_eq(run_simple(&p, &t, &out), S3E_SIGNATURE_MISMATCH);
        memcpy(s, sigs[i], 64);
        for (int k = 0; k < 64; k++)
            s[k] = (char)(s[k] >= 'a' && s[k] <= 'f' ? s[k] - 32 : s[k]);
        out.len = 0;
        ck_assert_int_eq(run_simple(&p, &t, &out), S3E_OK);
        tb_free(&t);
    }
    /* the wrong seed, date or key */
    struct chunked_params q = p;
    q.seed_signature = DOC_SIG1;
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_SIGNATURE_MISMATCH);
    q = p;
    q.amz_date = "20130524T000001Z";
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_SIGNATURE_MISMATCH);
    unsigned char k2[32];
    memcpy(k2, key, 32);
    k2[0] ^= 1;
    q = p;
    q.signing_key = k2;
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_SIGNATURE_MISMATCH);
    /* no key (anonymous): signatures parsed, not checked */
    q = p;
    q.signing_key = NULL;
    q.seed_signature = NULL;
    struct tb t = { 0 };
    tb_add(&t, body.p, body.len);
    t.p[100] = 'b';
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &t, &out), S3E_OK);
    ck_assert_uint_eq(out.len, DOC_LEN);
    tb_free(&t);

    /* truncated: no final chunk, or cut anywhere */
    static const size_t cuts[] = { 0, 1, 87, 88, 1000, 65624, 65626, 66738, 66739, 66821, 66823 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        out.len = 0;
        ck_assert_msg(run(&p, body.p, cuts[i], 4096, 1 << 17, NULL, &out, NULL, NULL, 0) ==
                      S3E_INCOMPLETE_BODY, "cut at %zu", cuts[i]);
    }
    /* the final CRLF alone may be missing */
    out.len = 0;
    ck_assert_int_eq(run(&p, body.p, 66822, 4096, 1 << 17, NULL, &out, NULL, NULL, 0), S3E_OK);
    /* declared length larger or smaller than the chunks carry */
    q = p;
    q.decoded_length = DOC_LEN + 1;
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_INCOMPLETE_BODY);
    q.decoded_length = DOC_LEN - 1;
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_INCOMPLETE_BODY);
    ck_assert_uint_eq(out.len, 65536);          /* the 1 KiB chunk was refused up front */
    q.decoded_length = 65535;
    out.len = 0;
    ck_assert_int_eq(run_simple(&q, &body, &out), S3E_INCOMPLETE_BODY);
    ck_assert_uint_eq(out.len, 0);
    tb_free(&body);
    tb_free(&out);
}
END_TEST

/* Lines that are not a chunk-size line. */
START_TEST(test_bad_lines)
{
    unsigned char key[32];
    struct tb out = { 0 };
    char line[8192];
    doc_key(key);
    /* out: payload bytes handed out before the fault showed (a chunk's data passes
     * before its signature is checked) */
    static const struct { const char *line; int sig; enum s3_err want; size_t out; } cases[] = {
        { "zz\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { " 3\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "0x3\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "-3\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "3\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "3\r\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "3;\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "3;foo=bar\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "00000000000000003\r\n", 0, S3E_INCOMPLETE_BODY, 0 },      /* 17 digits */
        { "ffffffffffffffff\r\n", 0, S3E_INCOMPLETE_BODY, 0 },       /* 16: over the length */
        { "fffffffffffffffffffffffffffffffff\r\n", 0, S3E_INCOMPLETE_BODY, 0 },
        { "3\r\n", 1, S3E_INCOMPLETE_BODY, 0 },                       /* signature missing */
        { "3;chunk-signature=abc\r\n", 1, S3E_INCOMPLETE_BODY, 0 },
        { "3;chunk-signature=" DOC_SIG1 "0\r\n", 1, S3E_INCOMPLETE_BODY, 0 },
        { "3;chunk-signature=" DOC_SIG1 ";x=y\r\n", 1, S3E_INCOMPLETE_BODY, 0 },
        { "3;chunk-signature " DOC_SIG1 "\r\n", 1, S3E_INCOMPLETE_BODY, 0 },
        { "3;chunk-signatur=" DOC_SIG1 "\r\n", 1, S3E_SIGNATURE_MISMATCH, 0 },
        { "3;x-amz-foo=1;chunk-signature=" DOC_SIG1 "\r\n", 1, S3E_SIGNATURE_MISMATCH, 0 },
        { "3;chunk-signature=" DOC_SIG1 "\r\n", 1, S3E_SIGNATURE_MISMATCH, 3 },  /* wrong value */
        { "3 ; chunk-signature = " DOC_SIG1 " \r\n", 1, S3E_SIGNATURE_MISMATCH, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct chunked_params p = cases[i].sig ? doc_params(key, 0) : unsigned_params(100, NULL);
        p.decoded_length = 100;
        snprintf(line, sizeof line, "%sabc\r\n0\r\n\r\n", cases[i].line);
        out.len = 0;
        ck_assert_msg(run(&p, line, strlen(line), 3, 16, NULL, &out, NULL, NULL, 0) == cases[i].want,
                      "case %zu", i);
        ck_assert_uint_eq(out.len, cases[i].out);
    }
    /* whitespace tolerance in a signed line that verifies */
    char s1[65], s2[65];
    sign_chunk(key, DOC_SEED, "abc", 3, s1);
    sign_chunk(key, s1, "", 0, s2);
    struct chunked_params p = doc_params(key, 0);
    p.decoded_length = 3;
    snprintf(line, sizeof line, "3 ;\tchunk-signature = %s \r\nabc\r\n0;chunk-signature=%s\r\n\r\n", s1, s2);
    out.len = 0;
    ck_assert_int_eq(run(&p, line, strlen(line), 1, 2, NULL, &out, NULL, NULL, 0), S3E_OK);
    ck_assert_mem_eq(out.p, "abc", 3);
    /* an over-long line: refused at the limit, not buffered */
    memset(line, '0', sizeof line);
    p = unsigned_params(1, NULL);
    out.len = 0;
    ck_assert_int_eq(run(&p, line, sizeof line, 100, 16, NULL, &out, NULL, NULL, 0), S3E_INCOMPLETE_BODY);
    memset(line, ' ', sizeof line);
    memcpy(line, "3", 1);
    ck_assert_int_eq(run(&p, line, sizeof line, 100, 16, NULL, &out, NULL, NULL, 0), S3E_INCOMPLETE_BODY);
    /* a trailer section over 8 KiB */
    struct tb t = { 0 };
    tb_adds(&t, "1\r\na\r\n0\r\n");
    for (int i = 0; i < 300; i++)
        tb_adds(&t, "x-amz-checksum-crc32:AAAAAAAAAAAAAAAAAAAAAAA=\r\n");
    tb_adds(&t, "\r\n");
    p = unsigned_params(1, "x-amz-checksum-crc32");
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &t, &out), S3E_MALFORMED_TRAILER);
    tb_free(&t);
    /* CRLF after data */
    static const char *const nocrlf[] = { "3\r\nabcX\r\n0\r\n\r\n", "3\r\nabc\rX0\r\n\r\n",
                                          "3\r\nabc\n\r\n0\r\n\r\n", "3\r\nabcd\r\n0\r\n\r\n" };
    p = unsigned_params(3, NULL);
    for (size_t i = 0; i < sizeof nocrlf / sizeof nocrlf[0]; i++) {
        out.len = 0;
        ck_assert_int_eq(run(&p, nocrlf[i], strlen(nocrlf[i]), 1, 16, NULL, &out, NULL, NULL, 0),
                         S3E_INCOMPLETE_BODY);
    }
    tb_free(&out);
}
END_TEST

/* Chunks swapped, chunks under 8 KiB, an empty signed body. */
START_TEST(test_chunk_order_and_size)
{
    unsigned char key[32], data[3 * 8192];
    struct tb body = { 0 }, out = { 0 };
    char last[65];
    doc_key(key);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i / 8192 + 'x');
    static const size_t three[] = { 8192, 8192, 8192 };
    encode(&body, key, DOC_SEED, data, three, 3, NULL, last);
    struct chunked_params p = doc_params(key, 0);
    p.decoded_length = sizeof data;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_OK);
    ck_assert_mem_eq(out.p, data, sizeof data);
    /* swap chunks 1 and 2 ("2000;chunk-signature=<64>\r\n", data, CRLF) */
    size_t clen = 87 + 8192 + 2;
    char *tmp = malloc(clen);
    memcpy(tmp, body.p, clen);
    memmove(body.p, body.p + clen, clen);
    memcpy(body.p + clen, tmp, clen);
    free(tmp);
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_SIGNATURE_MISMATCH);
    ck_assert_uint_eq(out.len, 8192);   /* refused at the end of the first chunk */
    tb_free(&body);

    /* a non-final chunk under 8 KiB: InvalidChunkSizeError when signed */
    static const size_t small[] = { 8191, 8192, 1 };
    body.len = 0;
    encode(&body, key, DOC_SEED, data, small, 3, NULL, NULL);
    p.decoded_length = 8191 + 8192 + 1;
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_INVALID_CHUNK_SIZE);
    p.min_chunk = 0;
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_OK);
    p.min_chunk = CHUNKED_MIN_CHUNK;
    static const size_t last_small[] = { 8192, 8192, 1 };
    body.len = 0;
    encode(&body, key, DOC_SEED, data, last_small, 3, NULL, NULL);
    p.decoded_length = 8192 * 2 + 1;
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_OK);
    /* the unsigned form takes any chunk sizes (see body.c) */
    static const size_t tiny[] = { 1, 2, 3, 4 };
    body.len = 0;
    encode(&body, NULL, NULL, data, tiny, 4, NULL, NULL);
    struct chunked_params u = unsigned_params(10, NULL);
    out.len = 0;
    ck_assert_int_eq(run_simple(&u, &body, &out), S3E_OK);
    ck_assert_mem_eq(out.p, data, 10);

    /* an empty object, signed, with and without trailer */
    body.len = 0;
    encode(&body, key, DOC_SEED, data, NULL, 0, NULL, NULL);
    p.decoded_length = 0;
    out.len = 0;
    ck_assert_int_eq(run_simple(&p, &body, &out), S3E_OK);
    ck_assert_uint_eq(out.len, 0);
    body.len = 0;
    encode(&body, key, TR_SEED, data, NULL, 0, NULL, last);
    char tsig[65], tr[256];
    sign_trailer(key, last, "x-amz-checksum-crc32:AAAAAA==\n", tsig);
    snprintf(tr, sizeof tr, "x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:%s\r\n", tsig);
    body.len -= 2;
    tb_adds(&body, tr);
    tb_adds(&body, "\r\n");
    struct chunked_params st = doc_params(key, 1);
    st.decoded_length = 0;
    st.trailers = " x-amz-checksum-crc32 ";
    st.trailers_len = strlen(st.trailers);
    out.len = 0;
    ck_assert_int_eq(run_simple(&st, &body, &out), S3E_OK);
    tb_free(&body);
    tb_free(&out);
}
END_TEST

/* Random payloads, chunkings, input pieces and output sizes round-trip. */
START_TEST(test_roundtrip_random)
{
    unsigned char key[32];
    unsigned seed = 42;
    doc_key(key);
    for (int r = 0; r < 60; r++) {
        size_t n = (size_t)rand_r(&seed) % 200000;
        unsigned char *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (unsigned char)rand_r(&seed);
        int sig = r % 3 != 0, trailer = r % 3 == 2;
        size_t sizes[64], k = 0, off = 0;
        while (off < n && k < 63) {
            size_t c = sig ? 8192 + (size_t)rand_r(&seed) % 30000 : 1 + (size_t)rand_r(&seed) % 30000;
            if (c > n - off || k == 62)
                c = n - off;
            sizes[k++] = c;
            off += c;
        }
        struct checksum ck;
        char b64[CHECKSUM_B64_MAX], tr[256], v[64], last[65];
        unsigned char d[32];
        checksum_init(&ck, CK_CRC64NVME);
        checksum_update(&ck, data, n);
        checksum_final(&ck, d, b64);
        checksum_free(&ck);
        struct tb body = { 0 }, out = { 0 };
        encode(&body, sig ? key : NULL, DOC_SEED, data, sizes, k, NULL, last);
        if (trailer || !sig) {
            body.len -= 2;
            snprintf(tr, sizeof tr, "x-amz-checksum-crc64nvme:%s\r\n", b64);
            tb_adds(&body, tr);
            if (trailer) {
                char canon[128], tsig[65];
                snprintf(canon, sizeof canon, "x-amz-checksum-crc64nvme:%s\n", b64);
                sign_trailer(key, last, canon, tsig);
                snprintf(tr, sizeof tr, "x-amz-trailer-signature:%s\r\n", tsig);
                tb_adds(&body, tr);
            }
            tb_adds(&body, "\r\n");
        }
        struct chunked_params p = sig ? doc_params(key, trailer) : unsigned_params(n, NULL);
        p.seed_signature = DOC_SEED;
        p.decoded_length = n;
        p.trailers = trailer || !sig ? "x-amz-checksum-crc64nvme" : NULL;
        p.trailers_len = p.trailers ? strlen(p.trailers) : 0;
        ck_assert_int_eq(run(&p, body.p, body.len, 0, 1 + (size_t)rand_r(&seed) % 40000, &seed, &out,
                             "x-amz-checksum-crc64nvme", v, sizeof v), S3E_OK);
        ck_assert_uint_eq(out.len, n);
        if (n)
            ck_assert_mem_eq(out.p, data, n);
        if (p.trailers)
            ck_assert_str_eq(v, b64);
        tb_free(&body);
        tb_free(&out);
        free(data);
    }
}
END_TEST

START_TEST(test_chunked_api_edges)
{
    struct chunked c;
    struct chunked_params p = unsigned_params(3, NULL);
    char big[CHUNKED_DECLARED_MAX + 2];
    memset(big, 'x', sizeof big);
    p.trailers = big;
    p.trailers_len = sizeof big;
    ck_assert_int_eq(chunked_init(&c, &p), S3E_INVALID_REQUEST);
    chunked_free(&c);
    unsigned char key[32] = { 0 };
    p = doc_params(key, 0);
    p.seed_signature = "xyz";
    ck_assert_int_eq(chunked_init(&c, &p), S3E_INVALID_REQUEST);
    chunked_free(&c);
    chunked_free(&c);
    /* errors are sticky; trailers are only offered once complete */
    p = unsigned_params(3, "x-amz-checksum-crc32");
    ck_assert_int_eq(chunked_init(&c, &p), S3E_OK);
    size_t used, prod;
    char o[8];
    ck_assert_int_eq(chunked_decode(&c, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:x\r\n", 35, &used, o,
                                    sizeof o, &prod), S3E_OK);
    ck_assert_uint_eq(used, 35);
    ck_assert_uint_eq(prod, 3);
    ck_assert_ptr_null(chunked_trailer(&c, "x-amz-checksum-crc32", NULL));
    ck_assert(!chunked_complete(&c));
    ck_assert_ptr_null(chunked_why(&c));
    ck_assert_int_eq(chunked_decode(&c, "\r\n", 2, &used, o, sizeof o, &prod), S3E_OK);
    ck_assert(chunked_complete(&c));
    size_t vl = 0;
    ck_assert_str_eq(chunked_trailer(&c, "x-amz-checksum-crc32", &vl), "x");
    ck_assert_uint_eq(vl, 1);
    ck_assert_ptr_null(chunked_trailer(&c, "x-amz-checksum-crc32c", NULL));
    ck_assert_int_eq(chunked_eof(&c), S3E_OK);
    ck_assert_int_eq(chunked_decode(&c, "x", 1, &used, o, sizeof o, &prod), S3E_INCOMPLETE_BODY);
    ck_assert_int_eq(chunked_decode(&c, "", 0, &used, o, sizeof o, &prod), S3E_INCOMPLETE_BODY);
    ck_assert_int_eq(chunked_eof(&c), S3E_INCOMPLETE_BODY);
    ck_assert_ptr_nonnull(chunked_why(&c));
    chunked_free(&c);
    /* a zero-size output buffer: framing still advances, payload waits */
    p = unsigned_params(3, NULL);
    ck_assert_int_eq(chunked_init(&c, &p), S3E_OK);
    ck_assert_int_eq(chunked_decode(&c, "3\r\nabc\r\n0\r\n\r\n", 13, &used, o, 0, &prod), S3E_OK);
    ck_assert_uint_eq(used, 3);
    ck_assert_uint_eq(prod, 0);
    chunked_free(&c);
}
END_TEST

/* ---- body.c end to end --------------------------------------------------------- */

struct fake {
    const char *data;
    size_t len, off, piece;
    int fail_at_end;            /* read error instead of EOF */
};

static ssize_t fake_read(void *ctx, void *p, size_t len)
{
    struct fake *f = ctx;
    size_t n = f->len - f->off;
    if (n == 0 && f->fail_at_end)
        return -1;
    if (n > len)
        n = len;
    if (f->piece && n > f->piece)
        n = f->piece;
    memcpy(p, f->data + f->off, n);
    f->off += n;
    return (ssize_t)n;
}

static int fake_write(void *ctx, const void *p, size_t len)
{
    (void)ctx;
    (void)p;
    (void)len;
    return 0;
}

struct env {
    struct arena arena;
    struct fake fake;
    struct s3_io io;
    struct s3_request req;
    struct s3_credential cred;
};

/* A request as s3_request_parse and s3_auth_check would leave it. hdrs: name, value
 * pairs (lowercase names), NULL-terminated. cl: Content-Length (-1 absent). */
static struct s3_request *mkreq(struct env *e, enum s3_method m, const char *const *hdrs,
                                const char *data, size_t len, long long cl, size_t piece)
{
    memset(e, 0, sizeof *e);
    arena_init(&e->arena, 1 << 20);
    e->fake.data = data;
    e->fake.len = len;
    e->fake.piece = piece;
    e->io.ctx = &e->fake;
    e->io.read = fake_read;
    e->io.write = fake_write;
    struct s3_request *r = &e->req;
    r->arena = &e->arena;
    r->io = &e->io;
    r->method = m;
    r->content_length = cl;
    r->decoded_length = -1;
    size_t n = 0;
    while (hdrs && hdrs[2 * n])
        n++;
    r->headers = arena_zalloc(&e->arena, (n + 1) * sizeof *r->headers);
    for (size_t i = 0; i < n; i++) {
        r->headers[i].name = arena_strdup(&e->arena, hdrs[2 * i]);
        r->headers[i].value = arena_strdup(&e->arena, hdrs[2 * i + 1]);
        const char *v = hdrs[2 * i + 1];
        if (strcmp(hdrs[2 * i], "x-amz-decoded-content-length") == 0)
            r->decoded_length = atoll(v);
        if (strcmp(hdrs[2 * i], "x-amz-content-sha256") == 0) {
            if (strcmp(v, "UNSIGNED-PAYLOAD") == 0)
                r->payload_mode = PAYLOAD_UNSIGNED;
            else if (strcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0)
                r->payload_mode = PAYLOAD_STREAMING_SIGNED;
            else if (strcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == 0)
                r->payload_mode = PAYLOAD_STREAMING_SIGNED_TRAILER;
            else if (strcmp(v, "STREAMING-UNSIGNED-PAYLOAD-TRAILER") == 0)
                r->payload_mode = PAYLOAD_STREAMING_UNSIGNED_TRAILER;
            else {
                r->payload_mode = PAYLOAD_SHA256;
                snprintf(r->payload_sha256, sizeof r->payload_sha256, "%s", v);
            }
        }
    }
    r->nheaders = n;
    if (r->payload_mode == PAYLOAD_NONE_GIVEN)
        r->payload_mode = PAYLOAD_UNSIGNED;
    /* what auth.c fills in for the documented examples */
    e->cred.access_key = "AKIAIOSFODNN7EXAMPLE";
    e->cred.secret_key = SECRET;
    r->auth.cred = &e->cred;
    doc_key(r->auth.signing_key);
    snprintf(r->auth.seed_signature, sizeof r->auth.seed_signature, "%s",
             r->payload_mode == PAYLOAD_STREAMING_SIGNED_TRAILER ? TR_SEED : DOC_SEED);
    snprintf(r->auth.amz_date, sizeof r->auth.amz_date, "%s", AMZ_DATE);
    snprintf(r->auth.scope, sizeof r->auth.scope, "%s", SCOPE);
    return r;
}

static void env_free(struct env *e)
{
    arena_free(&e->arena);
}

/* Reads the whole body with reads of `chunk` bytes; returns body_finish's result
 * (or the read error). */
static enum s3_err read_body(struct s3_request *r, size_t chunk, struct tb *out, struct s3_body *b,
                             unsigned char md5[16])
{
    enum s3_err e = body_init(b, r, 1, 0);
    if (e)
        return e;
    char *buf = malloc(chunk);
    ssize_t n;
    while ((n = body_read(b, buf, chunk)) > 0) {
        ck_assert_int_le(n, (ssize_t)chunk);
        tb_add(out, buf, (size_t)n);
    }
    free(buf);
    if (n < 0)
        return b->err;
    ck_assert_int_eq(body_read(b, &n, 1), 0);       /* stays at the end */
    return body_finish(b, md5, NULL);
}

static const char *const DOC_HDRS[] = {
    "content-encoding", "aws-chunked",
    "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "x-amz-decoded-content-length", "66560",
    NULL,
};

START_TEST(test_body_doc_example)
{
    struct tb body = { 0 };
    doc_body(&body, 0);
    unsigned char want_md5[16];
    char *a = malloc(DOC_LEN);
    memset(a, 'a', DOC_LEN);
    EVP_Digest(a, DOC_LEN, want_md5, NULL, EVP_md5(), NULL);
    free(a);
    static const size_t reads[] = { 1000, 65536, 1 << 20 };
    static const size_t pieces[] = { 1, 777, 0 };
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++) {
            if (pieces[j] == 1 && reads[i] != 65536)
                continue;
            struct env e;
            struct s3_body b;
            struct tb out = { 0 };
            unsigned char md5[16];
            struct s3_request *r = mkreq(&e, M_PUT, DOC_HDRS, body.p, body.len,
                                         i == 1 ? -1 : (long long)body.len, pieces[j]);
            ck_assert_int_eq(read_body(r, reads[i], &out, &b, md5), S3E_OK);
            ck_assert(all_a(&out, DOC_LEN));
            ck_assert_int_eq(b.total, DOC_LEN);
            ck_assert_mem_eq(md5, want_md5, 16);
            enum checksum_alg alg = CK_SHA1;
            ck_assert_ptr_null(body_checksum(&b, &alg));
            ck_assert_int_eq(alg, CK_SHA1);
            body_free(&b);
            body_free(&b);
            tb_free(&out);
            env_free(&e);
        }
    /* a tampered byte, a body cut short, bytes past the end, a read error */
    struct {
        size_t cut;             /* bytes of the body sent */
        const char *extra;      /* appended */
        long long cl;           /* Content-Length given */
        int flip, fail;
        enum s3_err want;
    } cases[] = {
        { 66824, NULL, 66824, 1, 0, S3E_SIGNATURE_MISMATCH },
        { 66000, NULL, 66824, 0, 0, S3E_INCOMPLETE_BODY },  /* client stops early */
        { 66000, NULL, 66000, 0, 0, S3E_INCOMPLETE_BODY },  /* declared short */
        { 66000, NULL, -1, 0, 0, S3E_INCOMPLETE_BODY },
        { 66824, "xyz", 66827, 0, 0, S3E_INCOMPLETE_BODY },
        { 66824, "xyz", -1, 0, 0, S3E_INCOMPLETE_BODY },
        { 66824, "xyz", 66824, 0, 0, S3E_OK },              /* beyond Content-Length: not read */
        { 66824, NULL, -1, 0, 1, S3E_INCOMPLETE_BODY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tb t = { 0 }, out = { 0 };
        tb_add(&t, body.p, cases[i].cut);
        if (cases[i].extra)
            tb_adds(&t, cases[i].extra);
        if (cases[i].flip)
            t.p[5000] = 'b';
        struct env e;
        struct s3_body b;
        unsigned char md5[16];
        struct s3_request *r = mkreq(&e, M_PUT, DOC_HDRS, t.p, t.len, cases[i].cl, 0);
        e.fake.fail_at_end = cases[i].fail;
        ck_assert_msg(read_body(r, 4096, &out, &b, md5) == cases[i].want, "case %zu", i);
        if (cases[i].want) {
            ck_assert_int_eq(b.err, cases[i].want);
            ck_assert_int_eq(body_finish(&b, NULL, NULL), cases[i].want);    /* sticky */
        }
        body_free(&b);
        tb_free(&t);
        tb_free(&out);
        env_free(&e);
    }
    tb_free(&body);
}
END_TEST

START_TEST(test_body_trailer_checksums)
{
    struct tb body = { 0 };
    doc_body(&body, 1);
    const char *hdrs[] = {
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length", "66560",
        "x-amz-trailer", "x-amz-checksum-crc32c",
        "x-amz-sdk-checksum-algorithm", "crc32c",
        NULL,
    };
    struct env e;
    struct s3_body b;
    struct tb out = { 0 };
    unsigned char md5[16];
    struct s3_request *r = mkreq(&e, M_PUT, hdrs, body.p, body.len, (long long)body.len, 1000);
    ck_assert_int_eq(read_body(r, 8192, &out, &b, md5), S3E_OK);
    ck_assert(all_a(&out, DOC_LEN));
    enum checksum_alg alg = CK_NONE;
    ck_assert_str_eq(body_checksum(&b, &alg), "sOO8/Q==");
    ck_assert_int_eq(alg, CK_CRC32C);
    body_free(&b);
    env_free(&e);
    tb_free(&out);
    tb_free(&body);

    /* unsigned trailer: right, wrong and malformed CRC32 */
    static const struct {
        const char *trailer;
        enum s3_err want;
        const char *msg;
    } cases[] = {
        { "NSRBwg==", S3E_OK, NULL },
        { "NSRBwh==", S3E_INVALID_REQUEST, "Value for x-amz-checksum-crc32 trailing header is invalid." },
        { "AAAAAA==", S3E_BAD_DIGEST, "The CRC32 you specified did not match the calculated checksum." },
        { "NSRBwg", S3E_INVALID_REQUEST, "Value for x-amz-checksum-crc32 trailing header is invalid." },
        { "rosUhgp5mIg=", S3E_INVALID_REQUEST, "Value for x-amz-checksum-crc32 trailing header is invalid." },
    };
    const char *uh[] = {
        "content-encoding", "aws-chunked",
        "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length", "3",
        "x-amz-trailer", "x-amz-checksum-crc32",
        NULL,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char wire[128];
        snprintf(wire, sizeof wire, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", cases[i].trailer);
        struct tb o = { 0 };
        r = mkreq(&e, M_PUT, uh, wire, strlen(wire), -1, 4);
        ck_assert_int_eq(read_body(r, 2, &o, &b, md5), cases[i].want);
        if (cases[i].want == S3E_OK) {
            ck_assert_str_eq(body_checksum(&b, &alg), "NSRBwg==");
            ck_assert_ptr_null(body_error_message(&b));
        } else {
            ck_assert_ptr_null(body_checksum(&b, &alg));
            ck_assert_str_eq(body_error_message(&b), cases[i].msg);
        }
        body_free(&b);
        env_free(&e);
        tb_free(&o);
    }
}
END_TEST

/* Checksum headers on a plain body, and the request-level checksum rules. */
START_TEST(test_body_checksum_headers)
{
    static const struct {
        enum s3_method m;
        const char *h1, *v1, *h2, *v2;
        const char *query;          /* a query parameter name, or NULL */
        enum s3_err want;
        const char *msg;            /* body_error_message, or NULL */
        const char *stored;         /* body_checksum on success */
    } cases[] = {
        { M_PUT, "x-amz-checksum-crc32", "NSRBwg==", NULL, NULL, NULL, S3E_OK, NULL, "NSRBwg==" },
        { M_PUT, "x-amz-checksum-crc32", " NSRBwg== ", NULL, NULL, NULL, S3E_OK, NULL, "NSRBwg==" },
        { M_PUT, "x-amz-checksum-crc32c", "Nks/tw==", "x-amz-sdk-checksum-algorithm", "CRC32C", NULL,
          S3E_OK, NULL, "Nks/tw==" },
        { M_PUT, "x-amz-checksum-sha1", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", NULL, NULL, NULL, S3E_OK, NULL,
          "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=" },
        { M_PUT, "x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", NULL, NULL,
          NULL, S3E_OK, NULL, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" },
        { M_PUT, "x-amz-checksum-crc64nvme", "BeXKuz/B+us=", NULL, NULL, NULL, S3E_OK, NULL,
          "BeXKuz/B+us=" },
        { M_POST, "x-amz-checksum-crc32", "NSRBwg==", NULL, NULL, "delete", S3E_OK, NULL, "NSRBwg==" },
        /* only the algorithm: computed and offered for storage */
        { M_PUT, "x-amz-sdk-checksum-algorithm", "crc64nvme", NULL, NULL, NULL, S3E_OK, NULL,
          "BeXKuz/B+us=" },
        /* CompleteMultipartUpload: the headers are the object's, not the XML's */
        { M_POST, "x-amz-checksum-crc32", "AAAAAA==-3", NULL, NULL, "uploadId", S3E_OK, NULL, NULL },
        /* headers without a value are not checksums */
        { M_PUT, "x-amz-checksum-mode", "ENABLED", "x-amz-checksum-type", "FULL_OBJECT", NULL, S3E_OK,
          NULL, NULL },
        { M_PUT, "x-amz-checksum-crc32", "AAAAAA==", NULL, NULL, NULL, S3E_BAD_DIGEST,
          "The CRC32 you specified did not match the calculated checksum.", NULL },
        { M_PUT, "x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", NULL, NULL,
          NULL, S3E_BAD_DIGEST, "The SHA256 you specified did not match the calculated checksum.", NULL },
        { M_PUT, "x-amz-checksum-crc32", "NSRBwg", NULL, NULL, NULL, S3E_INVALID_REQUEST,
          "Value for x-amz-checksum-crc32 header is invalid.", NULL },
        { M_PUT, "x-amz-checksum-crc32c", "BeXKuz/B+us=", NULL, NULL, NULL, S3E_INVALID_REQUEST,
          "Value for x-amz-checksum-crc32c header is invalid.", NULL },
        { M_PUT, "x-amz-checksum-crc32", "NSRBwg==", "x-amz-checksum-crc32c", "Nks/tw==", NULL,
          S3E_INVALID_REQUEST,
          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", NULL },
        { M_PUT, "x-amz-checksum-md5", "kAFQmDzST7DWlj99KOF/cg==", NULL, NULL, NULL, S3E_INVALID_REQUEST,
          "The algorithm type you specified in x-amz-checksum- header is invalid.", NULL },
        { M_PUT, "x-amz-checksum-crc32", "NSRBwg==", "x-amz-sdk-checksum-algorithm", "SHA1", NULL,
          S3E_INVALID_REQUEST, "Value for x-amz-sdk-checksum-algorithm header is invalid.", NULL },
        { M_PUT, "x-amz-sdk-checksum-algorithm", "MD5", NULL, NULL, NULL, S3E_INVALID_REQUEST,
          "Value for x-amz-sdk-checksum-algorithm header is invalid.", NULL },
        { M_PUT, "x-amz-trailer", "x-amz-checksum-crc32", NULL, NULL, NULL, S3E_MALFORMED_TRAILER, NULL,
          NULL },
        { M_PUT, "x-amz-trailer", "x-amz-meta-foo", NULL, NULL, NULL, S3E_INVALID_REQUEST,
          "The value specified in the x-amz-trailer header is not supported", NULL },
        { M_PUT, "x-amz-trailer", "x-amz-checksum-crc32", "x-amz-checksum-crc32", "NSRBwg==", NULL,
          S3E_INVALID_REQUEST, "Expecting a single x-amz-checksum- header", NULL },
        { M_PUT, "x-amz-trailer", "x-amz-checksum-crc32,x-amz-checksum-sha1", NULL, NULL, NULL,
          S3E_INVALID_REQUEST, "Expecting a single x-amz-checksum- header", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *hdrs[] = { cases[i].h1, cases[i].v1, cases[i].h2, cases[i].v2, NULL };
        struct env e;
        struct s3_body b;
        struct tb out = { 0 };
        unsigned char md5[16];
        struct s3_request *r = mkreq(&e, cases[i].m, hdrs, "abc", 3, 3, 2);
        if (cases[i].query) {
            r->query = arena_zalloc(&e.arena, sizeof *r->query);
            r->query[0].name = (char *)cases[i].query;
            r->query[0].value = "";
            r->nquery = 1;
        }
        enum s3_err got = read_body(r, 16, &out, &b, md5);
        ck_assert_msg(got == cases[i].want, "case %zu: %d", i, got);
        if (cases[i].msg)
            ck_assert_str_eq(body_error_message(&b), cases[i].msg);
        else
            ck_assert_ptr_null(body_error_message(&b));
        enum checksum_alg alg;
        const char *stored = body_checksum(&b, &alg);
        if (cases[i].stored)
            ck_assert_str_eq(stored, cases[i].stored);
        else
            ck_assert_ptr_null(stored);
        body_free(&b);
        env_free(&e);
        tb_free(&out);
    }
}
END_TEST

START_TEST(test_body_misc)
{
    struct env e;
    struct s3_body b;
    struct tb out = { 0 };
    unsigned char md5[16];
    /* aws-chunked without x-amz-decoded-content-length: 411 MissingContentLength */
    const char *nodl[] = { "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", NULL };
    struct s3_request *r = mkreq(&e, M_PUT, nodl, "0\r\n\r\n", 5, 5, 0);
    ck_assert_int_eq(read_body(r, 16, &out, &b, md5), S3E_MISSING_CONTENT_LENGTH);
    body_free(&b);
    env_free(&e);
    /* the default checksum: computed when the request names none */
    const char *plain[] = { "x-amz-content-sha256", "UNSIGNED-PAYLOAD", NULL };
    r = mkreq(&e, M_PUT, plain, "123456789", 9, 9, 0);
    ck_assert_int_eq(body_init(&b, r, 0, 0), S3E_OK);
    ck_assert_int_eq(body_default_checksum(&b, CK_CRC64NVME), S3E_OK);
    ck_assert_int_eq(body_finish(&b, NULL, NULL), S3E_OK);
    enum checksum_alg alg;
    ck_assert_str_eq(body_checksum(&b, &alg), "rosUhgp5mIg=");
    ck_assert_int_eq(alg, CK_CRC64NVME);
    body_free(&b);
    env_free(&e);
    /* ... but the request's own algorithm wins */
    const char *own[] = { "x-amz-checksum-crc32", "y/Q5Jg==", NULL };
    r = mkreq(&e, M_PUT, own, "123456789", 9, 9, 0);
    ck_assert_int_eq(body_init(&b, r, 0, 0), S3E_OK);
    ck_assert_int_eq(body_default_checksum(&b, CK_CRC64NVME), S3E_OK);
    ck_assert_int_eq(body_finish(&b, NULL, NULL), S3E_OK);
    ck_assert_str_eq(body_checksum(&b, &alg), "y/Q5Jg==");
    ck_assert_int_eq(alg, CK_CRC32);
    body_free(&b);
    env_free(&e);
    /* too late once reading started */
    r = mkreq(&e, M_PUT, plain, "123456789", 9, 9, 0);
    ck_assert_int_eq(body_init(&b, r, 0, 0), S3E_OK);
    char c;
    ck_assert_int_eq(body_read(&b, &c, 1), 1);
    ck_assert_int_eq(body_default_checksum(&b, CK_CRC32), S3E_INTERNAL);
    body_free(&b);
    env_free(&e);
    /* a plain body keeps its old contract: short -> IncompleteBody */
    r = mkreq(&e, M_PUT, plain, "12345", 5, 9, 0);
    out.len = 0;
    ck_assert_int_eq(read_body(r, 16, &out, &b, md5), S3E_INCOMPLETE_BODY);
    body_free(&b);
    env_free(&e);
    /* body_free on a zeroed body (an operation that failed before body_init) */
    memset(&b, 0, sizeof b);
    body_free(&b);
    tb_free(&out);
}
END_TEST

/* body_read_all (XML bodies) over aws-chunked framing. */
START_TEST(test_body_read_all_chunked)
{
    static const char xml[] = "<Delete><Object><Key>k</Key></Object></Delete>";
    struct tb wire = { 0 };
    static const size_t sizes[] = { 10, 20, sizeof xml - 31 };
    encode(&wire, NULL, NULL, (const unsigned char *)xml, sizes, 3, NULL, NULL);
    char dl[16];
    snprintf(dl, sizeof dl, "%zu", sizeof xml - 1);
    const char *hdrs[] = {
        "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length", dl,
        NULL,
    };
    for (size_t cap = sizeof xml - 2; cap <= sizeof xml; cap++) {
        struct env e;
        struct s3_request *r = mkreq(&e, M_POST, hdrs, wire.p, wire.len, (long long)wire.len, 7);
        char *data = NULL;
        size_t len = 0;
        enum s3_err err = body_read_all(r, cap, &data, &len);
        if (cap < sizeof xml - 1) {
            ck_assert_int_eq(err, S3E_ENTITY_TOO_LARGE);
        } else {
            ck_assert_int_eq(err, S3E_OK);
            ck_assert_uint_eq(len, sizeof xml - 1);
            ck_assert_str_eq(data, xml);
        }
        env_free(&e);
    }
    /* signed framing, decoded length understated: the extra byte is refused */
    struct env e;
    unsigned char key[32];
    doc_key(key);
    wire.len = 0;
    encode(&wire, key, DOC_SEED, (const unsigned char *)xml, sizes + 2, 1, NULL, NULL);
    snprintf(dl, sizeof dl, "%zu", sizes[2] - 1);
    const char *sh[] = {
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length", dl,
        NULL,
    };
    struct s3_request *r = mkreq(&e, M_POST, sh, wire.p, wire.len, (long long)wire.len, 0);
    char *data;
    size_t len;
    ck_assert_int_eq(body_read_all(r, 1000, &data, &len), S3E_INCOMPLETE_BODY);
    env_free(&e);
    tb_free(&wire);
}
END_TEST

#ifndef CHUNKED_STANDALONE_TEST
#include "s3cgi.h"

/* The documented request, through the real parser and authenticator. */
START_TEST(test_body_doc_request_authenticated)
{
    struct tb wire = { 0 };
    doc_body(&wire, 0);
    struct s3_credential cred = { .access_key = "AKIAIOSFODNN7EXAMPLE", .secret_key = SECRET };
    struct s3_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.creds = &cred;
    cfg.ncreds = 1;
    cfg.region = "us-east-1";
    cfg.prefix = "";
    cfg.max_skew = 900;
    cfg.root_fd = -1;
    char *env[] = {
        "REQUEST_METHOD=PUT",
        "REQUEST_URI=/examplebucket/chunkObject.txt",
        "HTTP_HOST=s3.amazonaws.com",
        "HTTP_X_AMZ_DATE=20130524T000000Z",
        "HTTP_X_AMZ_STORAGE_CLASS=REDUCED_REDUNDANCY",
        "HTTP_CONTENT_ENCODING=aws-chunked",
        "HTTP_X_AMZ_CONTENT_SHA256=STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "HTTP_X_AMZ_DECODED_CONTENT_LENGTH=66560",
        "CONTENT_LENGTH=66824",
        "HTTP_AUTHORIZATION=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
        "aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;"
        "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=" DOC_SEED,
        NULL,
    };
    struct fake f = { wire.p, wire.len, 0, 1234, 0 };
    struct s3_io io = { &f, env, fake_read, fake_write, NULL, NULL };
    struct arena a;
    struct s3_request req;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(s3_request_parse(&req, &a, &io, &cfg, 1369353600), S3E_OK);   /* 2013-05-24 */
    int deferred = 1;
    ck_assert_int_eq(s3_auth_check(&req, &deferred), S3E_OK);
    ck_assert_int_eq(deferred, 0);
    ck_assert_str_eq(req.auth.seed_signature, DOC_SEED);
    struct s3_body b;
    struct tb out = { 0 };
    unsigned char md5[16];
    ck_assert_int_eq(read_body(&req, 5000, &out, &b, md5), S3E_OK);
    ck_assert(all_a(&out, DOC_LEN));
    body_free(&b);
    arena_free(&a);
    tb_free(&out);
    tb_free(&wire);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("chunked");
    TCase *ck = tcase_create("checksum");
    tcase_add_test(ck, test_checksum_vectors);
    tcase_add_test(ck, test_checksum_streaming);
    tcase_add_test(ck, test_checksum_names);
    tcase_add_test(ck, test_checksum_combine);
    suite_add_tcase(s, ck);
    TCase *ch = tcase_create("chunked");
    tcase_set_timeout(ch, 120);
    tcase_add_test(ch, test_doc_example);
    tcase_add_test(ch, test_doc_trailer_example);
    tcase_add_test(ch, test_unsigned_trailer);
    tcase_add_test(ch, test_signed_faults);
    tcase_add_test(ch, test_bad_lines);
    tcase_add_test(ch, test_chunk_order_and_size);
    tcase_add_test(ch, test_roundtrip_random);
    tcase_add_test(ch, test_chunked_api_edges);
    suite_add_tcase(s, ch);
    TCase *bo = tcase_create("body");
    tcase_set_timeout(bo, 60);
    tcase_add_test(bo, test_body_doc_example);
    tcase_add_test(bo, test_body_trailer_checksums);
    tcase_add_test(bo, test_body_checksum_headers);
    tcase_add_test(bo, test_body_misc);
    tcase_add_test(bo, test_body_read_all_chunked);
#ifndef CHUNKED_STANDALONE_TEST
    tcase_add_test(bo, test_body_doc_request_authenticated);
#endif
    suite_add_tcase(s, bo);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
