/* hash.h - the digests s3cgi computes: MD5 (ETag, Content-MD5), SHA-1 and SHA-256
 * (payload hashes, checksums, SigV4/SigV2) and HMAC over SHA-1/SHA-256.
 *
 * Contract: contexts are plain values (no allocation, nothing to free); no call can
 * fail. Backed by OpenSSL's one-algorithm functions (MD5_Init, SHA256_Init...), the
 * same assembly as EVP (SHA-NI where the CPU has it) without EVP's provider machinery:
 * the first EVP digest of a process loads the default provider and the configuration
 * (about 6 million instructions, 70% of a CGI request), and every EVP_DigestInit_ex
 * looks the algorithm up again. Those functions are deprecated in OpenSSL 3 but
 * present in every build that keeps the 3.0 API (Debian, Ubuntu, Fedora); hash.c is
 * the one file that names them.
 */
#ifndef S3CGI_HASH_H
#define S3CGI_HASH_H

#include <stddef.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

enum hash_alg { HASH_MD5 = 0, HASH_SHA1, HASH_SHA256 };

#define HASH_MD5_LEN 16
#define HASH_SHA1_LEN 20
#define HASH_SHA256_LEN 32
#define HASH_MAX_LEN 32

struct hash_ctx {
    enum hash_alg alg;
    union {
        MD5_CTX md5;
        SHA_CTX sha1;
        SHA256_CTX sha256;
    } u;
};

void hash_init(struct hash_ctx *h, enum hash_alg alg);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Writes the digest to out (hash_len(alg) bytes) and returns its length. h must be
 * initialised again before it is used again. */
size_t hash_final(struct hash_ctx *h, unsigned char *out);
size_t hash_len(enum hash_alg alg);
/* The digest of one buffer; returns its length. */
size_t hash_once(enum hash_alg alg, const void *data, size_t len, unsigned char *out);
/* HMAC (RFC 2104) over HASH_SHA1 or HASH_SHA256, any key length; returns the length
 * of the MAC written to out. */
size_t hash_hmac(enum hash_alg alg, const void *key, size_t keylen, const void *data,
                 size_t len, unsigned char *out);

#endif
