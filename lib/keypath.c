/* keypath.c - bucket-name and key rules, and symlink-free path resolution beneath an
 * open directory (GUIDE section 3: "Keys map to paths", "Resolve every path beneath
 * the root"). See store.h for the contracts.
 *
 * Nothing here builds an absolute path: every lookup starts at a directory fd and
 * either goes through openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) or opens one
 * component at a time with O_NOFOLLOW, so a symlink anywhere stops the walk (ELOOP).
 */
#include "store.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
#define MKDIR_RETRIES 8

/* ---- names ---- */

static int bucket_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* 1 when s looks like a dotted-quad IPv4 address (digits and exactly three dots). */
static int looks_like_ipv4(const char *s, size_t len)
{
    size_t dots = 0, run = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (run == 0)
                return 0;
            dots++;
            run = 0;
        } else if (s[i] >= '0' && s[i] <= '9') {
            run++;
        } else {
            return 0;
        }
    }
    return dots == 3 && run > 0;
}

enum s3_err s3_bucket_name_check(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len < 3 || len > 63)
        return S3E_INVALID_BUCKET_NAME;
    for (size_t i = 0; i < len; i++)
        if (!bucket_char_ok(name[i]))
            return S3E_INVALID_BUCKET_NAME;
    if (!is_alnum_lower(name[0]) || !is_alnum_lower(name[len - 1]))
        return S3E_INVALID_BUCKET_NAME;         /* also rules out a leading '.' */
    if (strstr(name, "..") || looks_like_ipv4(name, len))
        return S3E_INVALID_BUCKET_NAME;
    if (strncmp(name, "xn--", 4) == 0)
        return S3E_INVALID_BUCKET_NAME;
    if (len >= 8 && memcmp(name + len - 8, "-s3alias", 8) == 0)
        return S3E_INVALID_BUCKET_NAME;
    return S3E_OK;
}

int store_reserved_name(const char *p, size_t len)
{
    static const char r[] = S3_RESERVED_DIR;
    return len >= sizeof(r) - 1 && memcmp(p, r, sizeof(r) - 1) == 0;
}

/* One key segment: non-empty, not "." or "..", <= NAME_MAX, not reserved. */
static int segment_ok(const char *p, size_t len)
{
    if (len == 0 || len > NAME_MAX)
        return 0;
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
    return !store_reserved_name(p, len);
}

enum s3_err s3_key_check(const char *key, size_t len)
{
    if (len == 0)
        return S3E_KEY_UNMAPPABLE;
    if (len > S3_MAX_KEY_LEN)
        return S3E_KEY_TOO_LONG;
    if (memchr(key, '\0', len) || !utf8_valid(key, len) || key[0] == '/')
        return S3E_KEY_UNMAPPABLE;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && key[i] != '/')
            continue;
        /* segment [start, i); a trailing '/' leaves an empty last segment: allowed */
        if (!(i == len && start == len) && !segment_ok(key + start, i - start))
            return S3E_KEY_UNMAPPABLE;
        start = i + 1;
    }
    return S3E_OK;
}

/* ---- resolution ---- */

int store_component(const char *p, size_t len, char *out, size_t outsz)
{
    if (len == 0 || memchr(p, '/', len) || memchr(p, '\0', len) ||
        (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return EINVAL;
    if (len > NAME_MAX || len >= outsz)
        return ENAMETOOLONG;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

/* After openat(dir, name, O_NOFOLLOW|O_DIRECTORY) failed with err: ELOOP when name is
 * a symlink, ENOTDIR when it is something else that is not a directory. */
static int classify_open_error(int dir, const char *name, int err)
{
    if (err != ELOOP && err != ENOTDIR)
        return err;
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno;
    return S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
}

/* Tries openat2; returns 0 and *out, an errno, or -1 when the caller must fall back
 * (no openat2, filtered by seccomp, or a rename raced with RESOLVE_BENEATH). */
static int opendir_openat2(int base, const char *rel, size_t len, int *out)
{
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
    char path[PATH_MAX];
    if (len >= sizeof(path))
        return -1;
    memcpy(path, rel, len);
    path[len] = '\0';
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = DIR_FLAGS;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, base, path, &how, sizeof(how));
    if (fd >= 0) {
        *out = (int)fd;
        return 0;
    }
    switch (errno) {
    case ENOSYS: case EPERM: case EINVAL: case E2BIG: case EAGAIN: case EXDEV:
    case ELOOP: case ENOTDIR:   /* the component walk tells a symlink from a file */
        return -1;
    default:
        return errno;
    }
#else
    (void)base; (void)rel; (void)len; (void)out;
    return -1;
#endif
}

/* Walks rel one component at a time. With mode != 0, missing components are made. */
static int walk_components(int base, const char *rel, size_t len, mode_t mode,
                           int do_fsync, int *out, int *created)
{
    char name[NAME_MAX + 1];
    int cur = -1, err = 0;
    size_t start = 0;
    while (start < len) {
        const char *slash = memchr(rel + start, '/', len - start);
        size_t end = slash ? (size_t)(slash - rel) : len;
        if ((err = store_component(rel + start, end - start, name, sizeof(name))))
            goto fail;
        int dir = cur >= 0 ? cur : base, next = -1;
        for (int attempt = 0; next < 0; attempt++) {
            next = openat(dir, name, DIR_FLAGS);
            if (next >= 0)
                break;
            err = errno;
            if (err != ENOENT || mode == 0 || attempt >= MKDIR_RETRIES) {
                err = classify_open_error(dir, name, err);
                goto fail;
            }
            if (mkdirat(dir, name, mode) == 0) {
                *created = 1;
                if (do_fsync && fsync(dir) != 0) {
                    err = errno;
                    goto fail;
                }
            } else if (errno != EEXIST) {
                err = errno;
                goto fail;
            }
        }
        if (cur >= 0)
            close(cur);
        cur = next;
        start = end + 1;
    }
    if (cur < 0 && (cur = openat(base, ".", DIR_FLAGS)) < 0) {
        err = errno;
        goto fail;
    }
    *out = cur;
    return 0;
fail:
    if (cur >= 0)
        close(cur);
    return err;
}

int store_opendir_beneath(int base, const char *rel, size_t len, int *out)
{
    int created = 0;
    if (len > 0) {
        int r = opendir_openat2(base, rel, len, out);
        if (r >= 0)
            return r;
    }
    return walk_components(base, rel, len, 0, 0, out, &created);
}

int store_mkdirs_beneath(int base, const char *rel, size_t len, mode_t mode,
                         int do_fsync, int *out, int *created)
{
    *created = 0;
    int r = store_opendir_beneath(base, rel, len, out);
    /* ENOENT again: a directory already opened on the way was removed meanwhile (a
     * concurrent delete pruning empty parents); start over from base */
    for (int i = 0; r == ENOENT && i < MKDIR_RETRIES; i++)
        r = walk_components(base, rel, len, mode, do_fsync, out, created);
    return r;
}

void store_tmp_name(char *out, size_t outsz, const char *prefix)
{
    unsigned char rnd[8];
    char hex[17];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        /* no entropy source: time and pid still make a name unlikely to collide,
         * and every user of these names creates them with O_EXCL or link(2) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v = (unsigned long long)ts.tv_nsec ^
                               ((unsigned long long)getpid() << 32) ^ (unsigned long long)ts.tv_sec;
        memcpy(rnd, &v, sizeof(rnd));
    }
    hex_encode(rnd, sizeof(rnd), hex);
    snprintf(out, outsz, "%s%s", prefix, hex);
}
