/* fuzz_chunked.c - libFuzzer target for the aws-chunked decoder (and the checksum
 * value decoder on what it yields).
 *
 * Build and run (from the source root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_chunked.c lib/chunked.c lib/checksum.c lib/sigv4.c lib/uri.c \
 *       lib/util.c lib/buf.c lib/errors.c $(pkg-config --cflags --libs libcrypto) \
 *       -o fuzz_chunked
 *   ./fuzz_chunked -max_total_time=60 fuzz/corpus/chunked
 *
 * Input: a 7-byte header, then the encoded body.
 *   byte 0    bits 0-1 form: 0 unsigned, 1 signed (seed of the S3 doc example),
 *             2 signed with signed trailer (seed of the doc trailer example),
 *             3 signed, no key (signatures parsed, not verified);
 *             bit 2 enforce the 8 KiB minimum; bits 3-5 pick the x-amz-trailer value
 *   bytes 1-4 x-amz-decoded-content-length, little endian
 *   byte 5    output buffer size (0: 4096)
 *   byte 6    seed of the input split
 * The seeds in fuzz/corpus/chunked are the documented examples in this framing.
 *
 * Checks beyond "no crash": the body is decoded twice, in one piece and in pieces
 * of pseudo-random size, and both runs must agree on the verdict and the payload
 * bytes (splitting cannot change the outcome); no more payload than declared; a
 * success delivers exactly the declared length and exposes every declared trailer;
 * errors are sticky and carry a reason; the only errors are the documented ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "chunked.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOC_SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define TR_SEED "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define SCOPE "20130524/us-east-1/s3/aws4_request"

static const char *const declared[8] = {
    NULL, "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha256", "x-amz-checksum-sha1", "x-amz-checksum-crc32, x-amz-checksum-sha1",
    " X-Amz-Checksum-CRC32 ,",
};

struct result {
    enum s3_err err;
    unsigned char *out;
    size_t len;
};

static void run(const struct chunked_params *p, const uint8_t *in, size_t n, size_t outcap,
                unsigned split, struct result *r)
{
    struct chunked c;
    unsigned char *ob = malloc(outcap);
    r->out = malloc(p->decoded_length + 1);
    r->len = 0;
    r->err = chunked_init(&c, p);
    size_t off = 0;
    while (!r->err && off < n) {
        size_t piece = n - off;
        if (split) {
            split = split * 1103515245u + 12345u;
            piece = 1 + (split >> 16) % 97;
            if (piece > n - off)
                piece = n - off;
        }
        size_t used, prod;
        r->err = chunked_decode(&c, in + off, piece, &used, ob, outcap, &prod);
        if (used > piece || prod > outcap || (!r->err && !used && !prod))
            abort();
        if (r->len + prod > p->decoded_length)
            abort();
        memcpy(r->out + r->len, ob, prod);
        r->len += prod;
        off += used;
    }
    if (!r->err)
        r->err = chunked_eof(&c);
    if (r->err) {
        size_t u, pr;
        if (!chunked_why(&c) || chunked_complete(&c) ||
            chunked_decode(&c, "x", 1, &u, ob, outcap, &pr) != r->err || u || pr ||
            chunked_eof(&c) != r->err)
            abort();
        switch (r->err) {
        case S3E_INCOMPLETE_BODY: case S3E_SIGNATURE_MISMATCH: case S3E_INVALID_CHUNK_SIZE:
        case S3E_MALFORMED_TRAILER:
            break;
        default:
            abort();
        }
    } else {
        if (!chunked_complete(&c) || chunked_why(&c) || r->len != p->decoded_length)
            abort();
        /* every declared checksum trailer arrived; its value is a string */
        for (enum checksum_alg a = CK_CRC32; a <= CK_SHA256; a++) {
            size_t vl = 0;
            const char *v = chunked_trailer(&c, checksum_header_name(a), &vl);
            unsigned char d[CHECKSUM_MAX_DIGEST];
            if (v && (strlen(v) != vl))
                abort();
            if (v)
                (void)checksum_b64_decode(a, v, vl, d);
        }
    }
    chunked_free(&c);
    free(ob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7)
        return 0;
    unsigned form = data[0] & 3;
    unsigned char key[32];
    sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", 8, "us-east-1", 9,
                      "s3", 2, key);
    const char *tr = declared[(data[0] >> 3) & 7];
    struct chunked_params p = {
        .signatures = form != 0,
        .signed_trailer = form == 2,
        .signing_key = form == 1 || form == 2 ? key : NULL,
        .seed_signature = form == 2 ? TR_SEED : DOC_SEED,
        .amz_date = "20130524T000000Z",
        .scope = SCOPE,
        .scope_len = strlen(SCOPE),
        .decoded_length = (unsigned long long)data[1] | (unsigned long long)data[2] << 8 |
                          (unsigned long long)data[3] << 16 | (unsigned long long)data[4] << 24,
        .min_chunk = (data[0] & 4) ? CHUNKED_MIN_CHUNK : 0,
        .trailers = tr,
        .trailers_len = tr ? strlen(tr) : 0,
    };
    if (p.decoded_length > (1u << 20))
        p.decoded_length &= 0xfffff;
    size_t outcap = data[5] ? data[5] : 4096;
    unsigned split = data[6] | 1u;
    data += 7;
    size_t n = size - 7;
    /* the body in its own allocation, so overreads trip ASan */
    uint8_t *in = malloc(n ? n : 1);
    memcpy(in, data, n);
    struct result whole, parts;
    run(&p, in, n, outcap, 0, &whole);
    run(&p, in, n, outcap, split, &parts);
    /* Splitting changes when a fault is seen, never whether: the same verdict and,
     * on success, the same bytes. */
    if (whole.err != parts.err)
        abort();
    if (!whole.err && (whole.len != parts.len || memcmp(whole.out, parts.out, whole.len) != 0))
        abort();
    free(whole.out);
    free(parts.out);
    free(in);
    return 0;
}
