/* fuzz_range.c - libFuzzer target for s3_range_parse (and s3_cond_eval on the side).
 *
 * Build and run (from the source root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_range.c lib/range.c lib/cond.c lib/util.c lib/errors.c -o fuzz_range
 *   ./fuzz_range -max_total_time=60 fuzz/corpus/range
 *
 * Input: the first 8 bytes (little endian, sign bit cleared) are the object size, the
 * rest is the Range header, passed without a NUL so overreads trip ASan. Checks: a
 * RANGE_OK result lies inside the object; out is untouched otherwise; the header's
 * pieces fed to s3_cond_eval give one of its three documented results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned long long u = 0;
    if (size < 8)
        return 0;
    for (int i = 0; i < 8; i++)
        u |= (unsigned long long)data[i] << (8 * i);
    /* small sizes are the interesting ones: let one byte pick a small size */
    long long osize = (u & 0x100) ? (long long)(u & 0xff) : (long long)(u >> 1);
    data += 8;
    size -= 8;

    char *hdr = malloc(size ? size : 1);
    memcpy(hdr, data, size);
    struct s3_range r = { -7, -7 };
    enum range_result res = s3_range_parse(hdr, size, osize, &r);
    if (res == RANGE_OK) {
        if (r.start < 0 || r.start > r.end || r.end >= osize)
            abort();
    } else if (res == RANGE_NONE || res == RANGE_UNSATISFIABLE) {
        if (r.start != -7 || r.end != -7)
            abort();
    } else {
        abort();
    }
    free(hdr);

    /* cond: split the header at '|' into If-Match, If-None-Match, IMS, IUS. */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    const char *f[4] = { NULL, NULL, NULL, NULL };
    char *p = s;
    for (int i = 0; i < 4 && p; i++) {
        f[i] = p;
        p = strchr(p, '|');
        if (p)
            *p++ = '\0';
    }
    struct s3_cond c = { f[0], f[1], f[2], f[3] };
    for (int m = 0; m < 3; m++) {
        enum s3_err e = m == 2 ? s3_cond_eval_copy(&c, "abc", (time_t)osize)
                               : s3_cond_eval(&c, "abc", (time_t)osize, m);
        if (e != S3E_OK && e != S3E_PRECONDITION_FAILED && e != S3E_NOT_MODIFIED)
            abort();
        if (m != 1 && e == S3E_NOT_MODIFIED)
            abort();
    }
    free(s);
    return 0;
}
