/* hash.c - see hash.h. The only file that calls OpenSSL's one-algorithm digest
 * functions, deprecated (not removed) in OpenSSL 3: their warnings are silenced here
 * and nowhere else. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "hash.h"

#include <string.h>

#include <openssl/crypto.h>

#define HMAC_BLOCK 64               /* MD5, SHA-1 and SHA-256 all use 64-byte blocks */

void hash_init(struct hash_ctx *h, enum hash_alg alg)
{
    h->alg = alg;
    switch (alg) {
    case HASH_MD5:
        MD5_Init(&h->u.md5);
        break;
    case HASH_SHA1:
        SHA1_Init(&h->u.sha1);
        break;
    case HASH_SHA256:
        SHA256_Init(&h->u.sha256);
        break;
    }
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
    switch (h->alg) {
    case HASH_MD5:
        MD5_Update(&h->u.md5, data, len);
        break;
    case HASH_SHA1:
        SHA1_Update(&h->u.sha1, data, len);
        break;
    case HASH_SHA256:
        SHA256_Update(&h->u.sha256, data, len);
        break;
    }
}

size_t hash_len(enum hash_alg alg)
{
    return alg == HASH_MD5 ? HASH_MD5_LEN : alg == HASH_SHA1 ? HASH_SHA1_LEN : HASH_SHA256_LEN;
}

size_t hash_final(struct hash_ctx *h, unsigned char *out)
{
    switch (h->alg) {
    case HASH_MD5:
        MD5_Final(out, &h->u.md5);
        break;
    case HASH_SHA1:
        SHA1_Final(out, &h->u.sha1);
        break;
    case HASH_SHA256:
        SHA256_Final(out, &h->u.sha256);
        break;
    }
    return hash_len(h->alg);
}

size_t hash_once(enum hash_alg alg, const void *data, size_t len, unsigned char *out)
{
    struct hash_ctx h;
    hash_init(&h, alg);
    hash_update(&h, data, len);
    return hash_final(&h, out);
}

size_t hash_hmac(enum hash_alg alg, const void *key, size_t keylen, const void *data,
                 size_t len, unsigned char *out)
{
    unsigned char k[HMAC_BLOCK] = { 0 }, inner[HASH_MAX_LEN];
    struct hash_ctx h;
    if (keylen > HMAC_BLOCK)
        keylen = hash_once(alg, key, keylen, k);
    else
        memcpy(k, key, keylen);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        k[i] ^= 0x36;
    hash_init(&h, alg);
    hash_update(&h, k, HMAC_BLOCK);
    hash_update(&h, data, len);
    size_t n = hash_final(&h, inner);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        k[i] ^= 0x36 ^ 0x5c;
    hash_init(&h, alg);
    hash_update(&h, k, HMAC_BLOCK);
    hash_update(&h, inner, n);
    n = hash_final(&h, out);
    OPENSSL_cleanse(k, sizeof k);   /* key material: do not leave it on the stack */
    OPENSSL_cleanse(inner, sizeof inner);
    return n;
}
