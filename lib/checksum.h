/* checksum.h - the S3 "additional checksums": CRC32, CRC32C, CRC64NVME, SHA1, SHA256,
 * computed while data streams, as S3 sends and expects them: the base64 of the
 * big-endian digest ("x-amz-checksum-crc32: NSRBwg==" for "abc").
 *
 * Spec: S3 User Guide "Checking object integrity" (algorithms, header names) and the
 * CRC catalogue parameters the AWS SDKs and aws-c-checksums implement:
 *   CRC32     = CRC-32/ISO-HDLC  poly 0x04c11db7 reflected, init/xorout 0xffffffff
 *   CRC32C    = CRC-32/ISCSI     poly 0x1edc6f41 reflected, init/xorout 0xffffffff
 *   CRC64NVME = CRC-64/NVME      poly 0xad93d23594c93659 reflected, init/xorout all ones
 * ("123456789" -> 0xcbf43926, 0xe3069283, 0xae8b14860a799888). SHA1 and SHA256 come
 * from OpenSSL EVP.
 *
 * The CRCs run slice-by-8 over tables computed into the context at init (16 KiB on
 * the heap, no shared state); CRC32C uses the SSE4.2 crc32 instruction when the CPU
 * has it. Every function is safe on a context that checksum_init never touched, as
 * long as it was zeroed (so one cleanup path can free it unconditionally).
 */
#ifndef S3CGI_CHECKSUM_H
#define S3CGI_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include "hash.h"

enum checksum_alg { CK_NONE = 0, CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1, CK_SHA256 };

#define CHECKSUM_MAX_DIGEST 32          /* SHA256 */
#define CHECKSUM_B64_MAX 45             /* base64 of 32 bytes (44) + NUL */

struct checksum {
    enum checksum_alg alg;
    uint64_t crc;                       /* CRC register, pre-inverted */
    uint64_t (*tab)[256];               /* 8 slice-by-8 tables (heap), NULL with hw */
    int hw;                             /* CRC32C via SSE4.2 */
    int is_hash;                        /* SHA1 / SHA256: md runs */
    struct hash_ctx md;
};

/* "CRC32", "crc32c", "CRC64NVME", "SHA1", "SHA256" (any case) -> alg; else CK_NONE.
 * The x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm values. */
enum checksum_alg checksum_alg_from_name(const char *s, size_t len);
/* "x-amz-checksum-crc32" ... (any case) -> alg; else CK_NONE. */
enum checksum_alg checksum_alg_from_header(const char *s, size_t len);
/* "CRC32" ..., or NULL for CK_NONE / out of range. */
const char *checksum_alg_name(enum checksum_alg alg);
/* "x-amz-checksum-crc32" ..., or NULL. */
const char *checksum_header_name(enum checksum_alg alg);
/* Digest size in bytes (4, 4, 8, 20, 32), 0 for CK_NONE. */
size_t checksum_digest_len(enum checksum_alg alg);

/* 0 ok, -1 (unknown alg, out of memory, OpenSSL failure). On failure c is left
 * freeable. */
int checksum_init(struct checksum *c, enum checksum_alg alg);
/* As checksum_init, but never uses CPU instructions (tests, benchmarks). */
int checksum_init_sw(struct checksum *c, enum checksum_alg alg);
/* 0 ok, -1 (OpenSSL failure). */
int checksum_update(struct checksum *c, const void *data, size_t len);
/* The digest, big-endian for the CRCs, into digest (checksum_digest_len bytes);
 * with b64 not NULL also its base64 (NUL-terminated). The context is spent
 * afterwards (free it, or init it again). 0 ok, -1. */
int checksum_final(struct checksum *c, unsigned char digest[CHECKSUM_MAX_DIGEST],
                   char b64[CHECKSUM_B64_MAX]);
void checksum_free(struct checksum *c);

/* Decodes an S3 checksum value: standard padded base64 (no whitespace, canonical:
 * unused bits zero) of exactly checksum_digest_len(alg) bytes. 0 ok, -1 malformed ("Value for x-amz-checksum-crc32
 * header is invalid."). */
int checksum_b64_decode(enum checksum_alg alg, const char *s, size_t len,
                        unsigned char out[CHECKSUM_MAX_DIGEST]);

/* CRC of A followed by B from the CRCs of A and B (big-endian digests as above) and
 * the length of B: out = crc(A || B). For the full-object checksum of a multipart
 * upload (S3 "FULL_OBJECT" type) from its parts. 0 ok, -1 when alg is not a CRC. */
int checksum_crc_combine(enum checksum_alg alg, const unsigned char *crc_a,
                         const unsigned char *crc_b, unsigned long long len_b, unsigned char *out);

#endif
