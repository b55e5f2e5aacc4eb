/* fuzz_keypath.c - libFuzzer target for the key and bucket-name rules (s3_key_check,
 * s3_bucket_name_check, store_component) and the symlink-free directory walk
 * (store_opendir_beneath) of lib/keypath.c.
 *
 * Build and run (from the source root; or `make -f fuzz/Makefile.fuzz`):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_keypath.c lib/[a-z]*.c $(pkg-config --cflags --libs expat libcrypto) \
 *       -o fuzz_keypath
 *   ./fuzz_keypath -max_total_time=60 fuzz/corpus/keypath
 *
 * Input: the whole input is the key (an exact-size heap copy, so overreads trip
 * ASan); the bucket name is the input up to its first NUL.
 *
 * Checks:
 *   - s3_key_check agrees with an independent statement of the rules in store.h
 *     (both ways, error code included). In particular any key accepted maps under
 *     the root: no ".", ".." or empty segment (but a trailing '/'), no leading '/',
 *     no NUL, no segment over NAME_MAX or starting with ".s3cgi", valid UTF-8.
 *   - s3_bucket_name_check agrees with the S3 naming rules; an accepted name is one
 *     path component that is neither hidden nor reserved.
 *   - store_component accepts exactly the single components and copies them.
 *   - For an accepted key, opening its directory part beneath a fixture tree that
 *     holds symlinks out of it (to "/" and to "../..") either fails or yields one
 *     of the fixture's own directories (compared by device and inode).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the rules, restated independently ---- */

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static enum s3_err key_rule(const char *k, size_t n)
{
    if (n == 0)
        return S3E_KEY_UNMAPPABLE;
    if (n > 1024)
        return S3E_KEY_TOO_LONG;
    if (memchr(k, '\0', n) || k[0] == '/' || !utf8_ok((const unsigned char *)k, n))
        return S3E_KEY_UNMAPPABLE;
    const char *p = k, *end = k + n;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (len == 0 || len > NAME_MAX || (len == 1 && p[0] == '.') ||
            (len == 2 && p[0] == '.' && p[1] == '.') || (len >= 6 && memcmp(p, ".s3cgi", 6) == 0))
            return S3E_KEY_UNMAPPABLE;
        if (!slash)
            break;
        p = slash + 1;      /* a '/' at the very end leaves p == end: a directory object */
    }
    return S3E_OK;
}

static int lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static enum s3_err bucket_rule(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || !lower_or_digit(b[0]) || !lower_or_digit(b[n - 1]))
        return S3E_INVALID_BUCKET_NAME;
    int dots = 0, digits_only = 1, run = 0, ip_shape = 1;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!lower_or_digit(c) && c != '.' && c != '-')
            return S3E_INVALID_BUCKET_NAME;
        if (c == '.' && i && b[i - 1] == '.')
            return S3E_INVALID_BUCKET_NAME;
        if (c == '.') {
            dots++;
            ip_shape &= run > 0;
            run = 0;
        } else if (c >= '0' && c <= '9') {
            run++;
        } else {
            digits_only = 0;
        }
    }
    if (digits_only && ip_shape && dots == 3 && run > 0)
        return S3E_INVALID_BUCKET_NAME;     /* 192.168.5.4 */
    if (strncmp(b, "xn--", 4) == 0 || (n >= 8 && strcmp(b + n - 8, "-s3alias") == 0))
        return S3E_INVALID_BUCKET_NAME;
    return S3E_OK;
}

/* ---- fixture: root/{d/e, l -> /, d/up -> ../.., d/f (file)} ---- */

static int rootfd = -1;
static struct stat inside[3];       /* root, d, d/e */

static char fixture_dir[200];

static void fixture_remove(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fixture_dir);
}

static void fixture(void)
{
    char dir[200], p[300];
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 150)
        tmp = "/tmp";
    snprintf(dir, sizeof dir, "%s/s3cgi-fuzz-keypath-XXXXXX", tmp);
    if (!mkdtemp(dir))
        abort();
    snprintf(p, sizeof p, "%s/d", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/d/e", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/l", dir);
    if (symlink("/", p) != 0)
        abort();
    snprintf(p, sizeof p, "%s/d/up", dir);
    if (symlink("../..", p) != 0)
        abort();
    snprintf(p, sizeof p, "%s/d/f", dir);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    rootfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (rootfd < 0 || fstatat(rootfd, ".", &inside[0], 0) || fstatat(rootfd, "d", &inside[1], 0) ||
        fstatat(rootfd, "d/e", &inside[2], 0))
        abort();
    strcpy(fixture_dir, dir);
    atexit(fixture_remove);
}

static void check_walk(const char *key, size_t len)
{
    const char *slash = NULL;
    for (size_t i = len; i > 0; i--)
        if (key[i - 1] == '/') {
            slash = key + i - 1;
            break;
        }
    if (!slash)
        return;
    int fd = -1;
    int r = store_opendir_beneath(rootfd, key, (size_t)(slash - key), &fd);
    if (r != 0) {
        FZ_CHECK(fd == -1 || r == 0, "fd set on failure");
        return;
    }
    struct stat st;
    FZ_CHECK(fstat(fd, &st) == 0, "fstat");
    int ok = 0;
    for (int i = 0; i < 3; i++)
        ok |= st.st_dev == inside[i].st_dev && st.st_ino == inside[i].st_ino;
    FZ_CHECK(ok, "walk of '%.*s' left the tree", (int)(slash - key), key);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (rootfd < 0)
        fixture();
    char *key = malloc(size ? size : 1);
    memcpy(key, data, size);

    enum s3_err got = s3_key_check(key, size), want = key_rule(key, size);
    FZ_CHECK(got == want, "s3_key_check %d, rules say %d", (int)got, (int)want);
    if (got == S3E_OK)
        check_walk(key, size);

    /* the bucket: the input as a C string */
    char *b = malloc(size + 1);
    memcpy(b, data, size);
    b[size] = '\0';
    got = s3_bucket_name_check(b);
    want = bucket_rule(b);
    FZ_CHECK(got == want, "s3_bucket_name_check(%s) %d, rules say %d", b, (int)got, (int)want);
    if (got == S3E_OK)
        FZ_CHECK(!strchr(b, '/') && b[0] != '.' && strcmp(b, "..") && !store_reserved_name(b, strlen(b)),
                 "bucket %s is not one plain component", b);
    free(b);

    char out[NAME_MAX + 1];
    memset(out, 0x55, sizeof out);
    int c = store_component(key, size, out, sizeof out);
    int single = size > 0 && size <= NAME_MAX && !memchr(key, '/', size) && !memchr(key, '\0', size) &&
                 !(size == 1 && key[0] == '.') && !(size == 2 && key[0] == '.' && key[1] == '.');
    FZ_CHECK((c == 0) == single, "store_component %d", c);
    if (c == 0)
        FZ_CHECK(memcmp(out, key, size) == 0 && out[size] == '\0', "component copy");
    FZ_CHECK(store_reserved_name(key, size) == (size >= 6 && memcmp(key, ".s3cgi", 6) == 0),
             "store_reserved_name");
    free(key);
    return 0;
}
