/* checksum.c - see checksum.h.
 *
 * All three CRCs are reflected (LSB-first) with init and xorout all ones, so one
 * slice-by-8 engine over 64-bit tables serves them: a 32-bit CRC simply never sets
 * the upper half of the register. Tables: T0[i] is the CRC register after shifting
 * byte i through (8 steps), T_k[i] = (T_{k-1}[i] >> 8) ^ T0[T_{k-1}[i] & 0xff], i.e.
 * byte i followed by k zero bytes (Kounavis & Berry, "A Systematic Approach to
 * Building High Performance Software-based CRC Generators", 2005).
 */
#include "checksum.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Normal (MSB-first) polynomials as the CRC catalogue lists them. */
#define POLY_CRC32      0x04c11db7u
#define POLY_CRC32C     0x1edc6f41u
#define POLY_CRC64NVME  0xad93d23594c93659ull

struct alg_info {
    enum checksum_alg alg;
    const char *name;           /* x-amz-sdk-checksum-algorithm spelling */
    const char *header;
    size_t digest_len;
    int width;                  /* CRC width in bits, 0 for SHA */
    uint64_t poly;              /* normal form */
};

static const struct alg_info algs[] = {
    { CK_CRC32, "CRC32", "x-amz-checksum-crc32", 4, 32, POLY_CRC32 },
    { CK_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4, 32, POLY_CRC32C },
    { CK_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8, 64, POLY_CRC64NVME },
    { CK_SHA1, "SHA1", "x-amz-checksum-sha1", 20, 0, 0 },
    { CK_SHA256, "SHA256", "x-amz-checksum-sha256", 32, 0, 0 },
};

#define NALGS (sizeof algs / sizeof algs[0])

static const struct alg_info *info_of(enum checksum_alg alg)
{
    for (size_t i = 0; i < NALGS; i++)
        if (algs[i].alg == alg)
            return &algs[i];
    return NULL;
}

static int eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return 0;
    }
    return 1;
}

enum checksum_alg checksum_alg_from_name(const char *s, size_t len)
{
    for (size_t i = 0; i < NALGS; i++)
        if (eq_nocase(s, len, algs[i].name))
            return algs[i].alg;
    return CK_NONE;
}

enum checksum_alg checksum_alg_from_header(const char *s, size_t len)
{
    for (size_t i = 0; i < NALGS; i++)
        if (eq_nocase(s, len, algs[i].header))
            return algs[i].alg;
    return CK_NONE;
}

const char *checksum_alg_name(enum checksum_alg alg)
{
    const struct alg_info *in = info_of(alg);
    return in ? in->name : NULL;
}

const char *checksum_header_name(enum checksum_alg alg)
{
    const struct alg_info *in = info_of(alg);
    return in ? in->header : NULL;
}

size_t checksum_digest_len(enum checksum_alg alg)
{
    const struct alg_info *in = info_of(alg);
    return in ? in->digest_len : 0;
}

/* ---- CRC engine ---------------------------------------------------------- */

static uint64_t reflect(uint64_t v, int width)
{
    uint64_t r = 0;
    for (int i = 0; i < width; i++)
        if (v & (1ull << i))
            r |= 1ull << (width - 1 - i);
    return r;
}

static void crc_tables(uint64_t (*t)[256], uint64_t poly_normal, int width)
{
    uint64_t p = reflect(poly_normal, width);
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ p : c >> 1;
        t[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint64_t crc_sw(uint64_t (*t)[256], uint64_t crc, const unsigned char *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t x = crc ^ load_le64(p);
        crc = t[7][x & 0xff] ^ t[6][(x >> 8) & 0xff] ^ t[5][(x >> 16) & 0xff] ^
              t[4][(x >> 24) & 0xff] ^ t[3][(x >> 32) & 0xff] ^ t[2][(x >> 40) & 0xff] ^
              t[1][(x >> 48) & 0xff] ^ t[0][x >> 56];
    }
    for (; n; p++, n--)
        crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xff];
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_HW_CRC32C 1
/* The SSE4.2 crc32 instruction is exactly the reflected CRC32C register update. */
__attribute__((target("sse4.2")))
static uint64_t crc32c_hw(uint64_t crc, const unsigned char *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8)
        crc = __builtin_ia32_crc32di(crc, load_le64(p));
    for (; n; p++, n--)
        crc = __builtin_ia32_crc32qi((unsigned)crc, *p);
    return crc;
}

static int have_hw_crc32c(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
#define HAVE_HW_CRC32C 0
static int have_hw_crc32c(void)
{
    return 0;
}
#endif

/* ---- context ------------------------------------------------------------- */

static int init(struct checksum *c, enum checksum_alg alg, int allow_hw)
{
    const struct alg_info *in = info_of(alg);
    memset(c, 0, sizeof *c);
    if (!in)
        return -1;
    c->alg = alg;
    if (in->width) {
        c->crc = in->width == 64 ? ~0ull : 0xffffffffull;
        if (alg == CK_CRC32C && allow_hw && have_hw_crc32c()) {
            c->hw = 1;
            return 0;
        }
        c->tab = malloc(8 * sizeof *c->tab);
        if (!c->tab)
            return -1;
        crc_tables(c->tab, in->poly, in->width);
        return 0;
    }
    c->is_hash = 1;
    hash_init(&c->md, alg == CK_SHA1 ? HASH_SHA1 : HASH_SHA256);
    return 0;
}

int checksum_init(struct checksum *c, enum checksum_alg alg)
{
    return init(c, alg, 1);
}

int checksum_init_sw(struct checksum *c, enum checksum_alg alg)
{
    return init(c, alg, 0);
}

int checksum_update(struct checksum *c, const void *data, size_t len)
{
    if (c->is_hash) {
        hash_update(&c->md, data, len);
        return 0;
    }
#if HAVE_HW_CRC32C
    if (c->hw) {
        c->crc = crc32c_hw(c->crc, data, len);
        return 0;
    }
#endif
    if (!c->tab)
        return -1;
    c->crc = crc_sw(c->tab, c->crc, data, len);
    return 0;
}

int checksum_final(struct checksum *c, unsigned char digest[CHECKSUM_MAX_DIGEST],
                   char b64[CHECKSUM_B64_MAX])
{
    const struct alg_info *in = info_of(c->alg);
    if (!in)
        return -1;
    if (in->width) {
        uint64_t v = ~c->crc;
        for (size_t i = 0; i < in->digest_len; i++)
            digest[i] = (unsigned char)(v >> (8 * (in->digest_len - 1 - i)));
    } else {
        if (!c->is_hash || hash_final(&c->md, digest) != in->digest_len)
            return -1;
    }
    if (b64)
        base64_encode(digest, in->digest_len, b64);
    return 0;
}

void checksum_free(struct checksum *c)
{
    free(c->tab);
    c->tab = NULL;
    c->is_hash = 0;
}

int checksum_b64_decode(enum checksum_alg alg, const char *s, size_t len,
                        unsigned char out[CHECKSUM_MAX_DIGEST])
{
    size_t want = checksum_digest_len(alg);
    char again[CHECKSUM_B64_MAX];
    if (!want || len != 4 * ((want + 2) / 3) ||
        base64_decode(s, len, out, CHECKSUM_MAX_DIGEST) != (long)want)
        return -1;
    /* canonical form only: "NSRBwh==" decodes like "NSRBwg==" but is not what any
     * encoder produces */
    base64_encode(out, want, again);
    return memcmp(again, s, len) == 0 ? 0 : -1;
}

/* ---- combining (zlib's crc32_combine, for any width) --------------------------
 * Appending len zero bytes to the message is a linear map on the CRC register;
 * build it by repeated squaring of the one-zero-bit operator. Init and xorout of
 * all ones cancel out, so final CRC values combine directly. */

static uint64_t gf2_times(const uint64_t *mat, uint64_t vec)
{
    uint64_t sum = 0;
    for (; vec; vec >>= 1, mat++)
        if (vec & 1)
            sum ^= *mat;
    return sum;
}

static void gf2_square(uint64_t *sq, const uint64_t *mat, int width)
{
    for (int n = 0; n < width; n++)
        sq[n] = gf2_times(mat, mat[n]);
}

static uint64_t load_be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int checksum_crc_combine(enum checksum_alg alg, const unsigned char *crc_a,
                         const unsigned char *crc_b, unsigned long long len_b, unsigned char *out)
{
    const struct alg_info *in = info_of(alg);
    if (!in || !in->width)
        return -1;
    uint64_t even[64], odd[64], row = 1;
    uint64_t a = load_be(crc_a, in->digest_len), b = load_be(crc_b, in->digest_len);
    if (len_b) {
        odd[0] = reflect(in->poly, in->width);     /* one zero bit */
        for (int n = 1; n < in->width; n++, row <<= 1)
            odd[n] = row;
        gf2_square(even, odd, in->width);           /* two zero bits */
        gf2_square(odd, even, in->width);           /* four */
        do {                                        /* one zero byte first */
            gf2_square(even, odd, in->width);
            if (len_b & 1)
                a = gf2_times(even, a);
            len_b >>= 1;
            if (!len_b)
                break;
            gf2_square(odd, even, in->width);
            if (len_b & 1)
                a = gf2_times(odd, a);
            len_b >>= 1;
        } while (len_b);
    }
    a ^= b;
    for (size_t i = 0; i < in->digest_len; i++)
        out[i] = (unsigned char)(a >> (8 * (in->digest_len - 1 - i)));
    return 0;
}
