/* test_util.c - util (hex, base64, numbers, UTF-8, time), buf, arena and hash. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "arena.h"
#include "buf.h"
#include "hash.h"
#include "hashpipe.h"
#include "util.h"

START_TEST(test_hex)
{
    unsigned char in[] = { 0x00, 0x7f, 0xab, 0xff }, out[4];
    char hex[9];
    hex_encode(in, 4, hex);
    ck_assert_str_eq(hex, "007fabff");
    ck_assert_int_eq(hex_decode("007FABff", 8, out, 4), 0);
    ck_assert_mem_eq(out, in, 4);
    ck_assert_int_eq(hex_decode("007fabf", 7, out, 4), -1);
    ck_assert_int_eq(hex_decode("007fabfg", 8, out, 4), -1);
}
END_TEST

static const struct { const char *plain, *b64; } b64_cases[] = {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

START_TEST(test_base64)
{
    for (size_t i = 0; i < sizeof b64_cases / sizeof *b64_cases; i++) {
        char enc[64];
        unsigned char dec[64];
        size_t n = strlen(b64_cases[i].plain);
        base64_encode((const unsigned char *)b64_cases[i].plain, n, enc);
        ck_assert_str_eq(enc, b64_cases[i].b64);
        long d = base64_decode(b64_cases[i].b64, strlen(b64_cases[i].b64), dec, sizeof dec);
        ck_assert_int_eq(d, (long)n);
        ck_assert_mem_eq(dec, b64_cases[i].plain, n);
    }
    unsigned char dec[16];
    ck_assert_int_eq(base64_decode("Zg=", 3, dec, sizeof dec), -1);       /* not a multiple of 4 */
    ck_assert_int_eq(base64_decode("Z===", 4, dec, sizeof dec), -1);      /* too much padding */
    ck_assert_int_eq(base64_decode("Zg==Zg==", 8, dec, sizeof dec), -1);  /* padding inside */
    ck_assert_int_eq(base64_decode("Zm9v", 4, dec, 2), -1);               /* over capacity */
    ck_assert_int_eq(base64_decode("Zm9*", 4, dec, sizeof dec), -1);
    /* Content-MD5 of "" is 1B2M2Y8AsgTpgAmY7PhCfg== */
    ck_assert_int_eq(base64_decode("1B2M2Y8AsgTpgAmY7PhCfg==", 24, dec, sizeof dec), 16);
}
END_TEST

START_TEST(test_parse_u64)
{
    unsigned long long v;
    ck_assert_int_eq(parse_u64("0", 1, 100, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(parse_u64("100", 3, 100, &v), 0);
    ck_assert_int_eq(v, 100);
    ck_assert_int_eq(parse_u64("101", 3, 100, &v), -1);
    ck_assert_int_eq(parse_u64("", 0, 100, &v), -1);
    ck_assert_int_eq(parse_u64("-1", 2, 100, &v), -1);
    ck_assert_int_eq(parse_u64(" 1", 2, 100, &v), -1);
    ck_assert_int_eq(parse_u64("18446744073709551615", 20, ~0ULL, &v), 0);
    ck_assert_int_eq(parse_u64("18446744073709551616", 20, ~0ULL, &v), -1);
    ck_assert_int_eq(parse_u64("99999999999999999999999", 23, ~0ULL, &v), -1);
}
END_TEST

START_TEST(test_utf8)
{
    ck_assert_int_eq(utf8_valid("abc", 3), 1);
    ck_assert_int_eq(utf8_valid("\xc3\xa9", 2), 1);                 /* é */
    ck_assert_int_eq(utf8_valid("\xe2\x82\xac", 3), 1);             /* € */
    ck_assert_int_eq(utf8_valid("\xf0\x9f\x98\x80", 4), 1);         /* emoji */
    ck_assert_int_eq(utf8_valid("\xc3", 1), 0);                     /* truncated */
    ck_assert_int_eq(utf8_valid("\xe2\x82", 2), 0);
    ck_assert_int_eq(utf8_valid("\xc0\xaf", 2), 0);                 /* overlong '/' */
    ck_assert_int_eq(utf8_valid("\xe0\x80\xaf", 3), 0);             /* overlong '/' */
    ck_assert_int_eq(utf8_valid("\xed\xa0\x80", 3), 0);             /* surrogate */
    ck_assert_int_eq(utf8_valid("\xf4\x90\x80\x80", 4), 0);         /* > U+10FFFF */
    ck_assert_int_eq(utf8_valid("\xff", 1), 0);
    ck_assert_int_eq(utf8_valid("a\x80", 2), 0);
}
END_TEST

START_TEST(test_time_format)
{
    char h[30], iso[25];
    time_http(784111777, h);
    ck_assert_str_eq(h, "Sun, 06 Nov 1994 08:49:37 GMT");
    time_iso8601(1255369830, iso);
    ck_assert_str_eq(iso, "2009-10-12T17:50:30.000Z");
    struct timespec ts = { 1255369830, 527999999 };
    time_iso8601_ms(&ts, iso);
    ck_assert_str_eq(iso, "2009-10-12T17:50:30.527Z");
}
END_TEST

START_TEST(test_time_parse)
{
    time_t t;
    ck_assert_int_eq(time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t), 0);
    ck_assert_int_eq(t, 784111777);
    ck_assert_int_eq(time_parse_http("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), 0);
    ck_assert_int_eq(t, 784111777);
    ck_assert_int_eq(time_parse_http("Sun Nov  6 08:49:37 1994", 24, &t), 0);
    ck_assert_int_eq(t, 784111777);
    ck_assert_int_eq(time_parse_http("Sun, 06 Nov 1994 08:49:37 CET", 29, &t), -1);
    ck_assert_int_eq(time_parse_http("Sun, 30 Feb 1994 08:49:37 GMT", 29, &t), -1);
    ck_assert_int_eq(time_parse_http("Sun, 32 Feb 1994 08:49:37 GMT", 29, &t), -1);
    ck_assert_int_eq(time_parse_http("garbage", 7, &t), -1);
    ck_assert_int_eq(time_parse_amz("20130524T000000Z", 16, &t), 0);
    ck_assert_int_eq(t, 1369353600);
    ck_assert_int_eq(time_parse_amz("20130524T000000", 15, &t), -1);
    ck_assert_int_eq(time_parse_amz("20131324T000000Z", 16, &t), -1);
    /* 29 February only in leap years (every 4th, not every 100th, every 400th) */
    ck_assert_int_eq(time_parse_amz("20240229T000000Z", 16, &t), 0);
    ck_assert_int_eq(t, 1709164800);
    ck_assert_int_eq(time_parse_amz("20000229T000000Z", 16, &t), 0);
    ck_assert_int_eq(time_parse_amz("20230229T000000Z", 16, &t), -1);
    ck_assert_int_eq(time_parse_amz("21000229T000000Z", 16, &t), -1);
    ck_assert_int_eq(time_parse_http("Tue, 29 Feb 2022 08:49:37 GMT", 29, &t), -1);
    ck_assert_int_eq(time_parse_iso8601("2009-10-12T17:50:30.000Z", 24, &t), 0);
    ck_assert_int_eq(t, 1255369830);
    ck_assert_int_eq(time_parse_iso8601("2009-10-12T17:50:30Z", 20, &t), 0);
    ck_assert_int_eq(time_parse_iso8601("2009-10-12T17:50:30.Z", 21, &t), -1);
}
END_TEST

START_TEST(test_http_token)
{
    ck_assert_int_eq(http_token_valid("x-amz-meta-ok_1", 15), 1);
    ck_assert_int_eq(http_token_valid("a!#$%&'*+-.^_`|~z", 17), 1);
    ck_assert_int_eq(http_token_valid("", 0), 0);
    ck_assert_int_eq(http_token_valid("a:b", 3), 0);
    ck_assert_int_eq(http_token_valid("a b", 3), 0);
    ck_assert_int_eq(http_token_valid("a\0b", 3), 0);
    ck_assert_int_eq(http_token_valid("\xc3\xa9", 2), 0);
    ck_assert_int_eq(http_token_valid("a\"b", 3), 0);
}
END_TEST

START_TEST(test_buf_cap)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_adds(&b, "12345678"), 0);
    ck_assert_str_eq(buf_str(&b), "12345678");
    ck_assert_int_eq(buf_addc(&b, '9'), -1);        /* over the cap */
    ck_assert_int_eq(b.failed, 1);
    ck_assert_int_eq(buf_adds(&b, ""), -1);         /* sticky */
    ck_assert_str_eq(buf_str(&b), "");
    buf_free(&b);
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(buf_printf(&b, "%04d", i), 0);
    ck_assert_uint_eq(b.len, 4000);
    ck_assert_int_eq(memcmp(b.data + 3996, "0999", 4), 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_arena)
{
    struct arena a;
    arena_init(&a, 1 << 20);
    char *s = arena_strdup(&a, "hello");
    ck_assert_str_eq(s, "hello");
    ck_assert_ptr_eq((void *)((uintptr_t)s & 15), NULL);
    for (int i = 0; i < 1000; i++)
        ck_assert_ptr_nonnull(arena_alloc(&a, 100));
    ck_assert_ptr_nonnull(arena_alloc(&a, 200000));     /* big block */
    ck_assert_str_eq(s, "hello");
    ck_assert_ptr_null(arena_alloc(&a, 1 << 20));       /* over the cap */
    char *p = arena_printf(&a, "%s-%d", "x", 42);
    ck_assert_str_eq(p, "x-42");
    arena_free(&a);
}
END_TEST

/* hash.c against published vectors and against OpenSSL's EVP/HMAC as a reference,
 * over many lengths and split points (block boundaries, keys longer than a block). */
START_TEST(test_hash)
{
    unsigned char out[HASH_MAX_LEN], ref[EVP_MAX_MD_SIZE];
    char hex[2 * HASH_MAX_LEN + 1];
    hash_once(HASH_MD5, "abc", 3, out);
    hex_encode(out, 16, hex);
    ck_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
    hash_once(HASH_SHA1, "abc", 3, out);
    hex_encode(out, 20, hex);
    ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hash_once(HASH_SHA256, "abc", 3, out);
    hex_encode(out, 32, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 and RFC 2202 test case 2 */
    ck_assert_uint_eq(hash_hmac(HASH_SHA256, "Jefe", 4, "what do ya want for nothing?", 28, out), 32);
    hex_encode(out, 32, hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    ck_assert_uint_eq(hash_hmac(HASH_SHA1, "Jefe", 4, "what do ya want for nothing?", 28, out), 20);
    hex_encode(out, 20, hex);
    ck_assert_str_eq(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");

    static unsigned char data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    const EVP_MD *mds[] = { EVP_md5(), EVP_sha1(), EVP_sha256() };
    for (int alg = HASH_MD5; alg <= HASH_SHA256; alg++) {
        for (size_t len = 0; len <= sizeof data; len += 37) {
            unsigned int rl = 0;
            struct hash_ctx h;
            hash_init(&h, (enum hash_alg)alg);
            hash_update(&h, data, len / 3);
            hash_update(&h, data + len / 3, len - len / 3);
            size_t n = hash_final(&h, out);
            ck_assert(EVP_Digest(data, len, ref, &rl, mds[alg], NULL));
            ck_assert_uint_eq(n, rl);
            ck_assert_mem_eq(out, ref, n);
            if (alg == HASH_MD5)
                continue;
            /* keys of 0..200 bytes: shorter than, equal to and longer than a block */
            size_t klen = len % 201;
            n = hash_hmac((enum hash_alg)alg, data + 500, klen, data, len, out);
            ck_assert_ptr_nonnull(HMAC(mds[alg], data + 500, (int)klen, data, len, ref, &rl));
            ck_assert_uint_eq(n, rl);
            ck_assert_mem_eq(out, ref, n);
        }
    }
}
END_TEST

/* hashpipe gives the digest of exactly the bytes fed, in order, across ring wraps and
 * feeds larger than the ring; freeing an unfinished pipe joins its thread. */
START_TEST(test_hashpipe)
{
    size_t total = 3 * HASHPIPE_RING + 12345;
    unsigned char *data = malloc(total), want[HASH_MAX_LEN], got[HASH_MAX_LEN];
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)((i * 2654435761u) >> 13);
    struct hash_ctx h;
    hash_init(&h, HASH_MD5);
    hash_update(&h, data, 1000);            /* a context that already holds data */
    struct hashpipe *p = hashpipe_start(&h);
    ck_assert_ptr_nonnull(p);
    size_t off = 1000, step = 1;
    while (off < total) {
        size_t n = step < total - off ? step : total - off;
        hashpipe_feed(p, data + off, n);
        off += n;
        step = step * 3 + 7;                /* 1, 10, 37, ... up to several rings */
        if (step > 2 * HASHPIPE_RING)
            step = 4099;
    }
    ck_assert_uint_eq(hashpipe_finish(p, got), 16);
    hashpipe_free(p);
    hash_once(HASH_MD5, data, total, want);
    ck_assert_mem_eq(got, want, 16);

    hash_init(&h, HASH_SHA256);
    p = hashpipe_start(&h);
    ck_assert_ptr_nonnull(p);
    hashpipe_feed(p, data, total);
    hashpipe_free(p);                       /* never finished: must not hang or leak */
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");
    tcase_add_test(tc, test_hex);
    tcase_add_test(tc, test_base64);
    tcase_add_test(tc, test_parse_u64);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_time_format);
    tcase_add_test(tc, test_time_parse);
    tcase_add_test(tc, test_http_token);
    tcase_add_test(tc, test_buf_cap);
    tcase_add_test(tc, test_arena);
    tcase_add_test(tc, test_hash);
    tcase_add_test(tc, test_hashpipe);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
