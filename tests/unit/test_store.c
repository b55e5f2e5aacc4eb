/* test_store.c - the filesystem model: names, keys, PUT/GET/DELETE, conflicts,
 * symlinks, ETag revalidation, metadata blobs and sidecars, full disks.
 * Every test runs on a fresh temp root under /tmp. Tests that need mounts (ENOSPC on
 * a tiny tmpfs, a filesystem without xattrs, no /proc) run in a private mount
 * namespace and are skipped when that is not allowed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <openssl/evp.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "meta.h"
#include "store.h"
#include "util.h"

static char root[PATH_MAX];
static char outside[PATH_MAX];
static struct s3_config cfg;
static int bfd = -1;

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    remove(p);
    return 0;
}

static void rm_rf(const char *p)
{
    nftw(p, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
}

static void make_root(const char *at, int do_fsync)
{
    if (at)
        snprintf(root, sizeof(root), "%s", at);
    else {
        snprintf(root, sizeof(root), "/tmp/s3cgi-store-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(root));
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.root = root;
    cfg.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(cfg.root_fd, 0);
    cfg.fsync = do_fsync;
    ck_assert_int_eq(store_bucket_create(&cfg, "bkt"), S3E_OK);
    ck_assert_int_eq(store_bucket_open(&cfg, "bkt", &bfd), S3E_OK);
}

static void setup(void)
{
    make_root(NULL, 0);
    snprintf(outside, sizeof(outside), "/tmp/s3cgi-out-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(outside));
}

static void setup_fsync(void)
{
    setup();
    cfg.fsync = 1;
}

static void teardown(void)
{
    if (bfd >= 0)
        close(bfd);
    bfd = -1;
    close(cfg.root_fd);
    rm_rf(root);
    rm_rf(outside);
}

/* ---- helpers ---- */

static void md5_hex(const void *p, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ck_assert(EVP_Digest(p, n, md, &len, EVP_md5(), NULL));
    hex_encode(md, 16, out);
}

static enum s3_err put_hdrs(const char *key, const void *data, size_t len, int inm,
                            const char *if_match, struct s3_meta_kv *hdrs, size_t nhdrs)
{
    struct store_put p;
    struct s3_meta m;
    memset(&m, 0, sizeof(m));
    enum s3_err err = store_put_begin(&p, &cfg, bfd, key, strlen(key));
    if (err)
        return err;
    /* stream in uneven pieces */
    const char *s = data;
    size_t off = 0;
    while (off < len) {
        size_t n = len - off < 7777 ? len - off : 7777;
        if ((err = store_put_write(&p, s + off, n))) {
            store_put_abort(&p);
            return err;
        }
        off += n;
    }
    md5_hex(data, len, m.etag);
    m.size = (long long)len;
    m.hdrs = hdrs;
    m.nhdrs = nhdrs;
    return store_put_commit(&p, &m, inm, if_match);
}

static enum s3_err put(const char *key, const char *data)
{
    return put_hdrs(key, data, strlen(data), 0, NULL, NULL, 0);
}

/* Opens key and returns its content (malloc'd, NUL-terminated) or NULL with *err. */
static char *get(const char *key, enum s3_err *err, struct s3_meta *m, struct arena *a)
{
    int fd = -1;
    *err = store_object_open(&cfg, bfd, key, strlen(key), a, &fd, m);
    if (*err)
        return NULL;
    struct buf b;
    buf_init(&b, 1 << 24);
    char chunk[65536];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
        ck_assert_int_eq(buf_add(&b, chunk, (size_t)n), 0);
    if (fd >= 0)
        close(fd);
    buf_addc(&b, 0);
    return b.data;
}

static void assert_content(const char *key, const char *want)
{
    struct arena a;
    struct s3_meta m;
    enum s3_err err;
    arena_init(&a, 1 << 20);
    char *got = get(key, &err, &m, &a);
    ck_assert_msg(err == S3E_OK, "open %s: %d", key, err);
    ck_assert_str_eq(got, want);
    char md5[33];
    md5_hex(want, strlen(want), md5);
    ck_assert_str_eq(m.etag, md5);
    ck_assert_int_eq(m.size, (long long)strlen(want));
    free(got);
    arena_free(&a);
}

static void assert_absent(const char *key)
{
    struct arena a;
    struct s3_meta m;
    int fd = -1;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(store_object_open(&cfg, bfd, key, strlen(key), &a, &fd, &m), S3E_NO_SUCH_KEY);
    ck_assert_int_eq(fd, -1);
    arena_free(&a);
}

/* Whether path (relative to the bucket) exists, without following symlinks. */
static int exists(const char *rel)
{
    struct stat st;
    return fstatat(bfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Number of entries in directory rel of the bucket ("." for the bucket). */
static int count_entries(int dirfd_, const char *rel)
{
    int fd = openat(dirfd_, rel, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(fd, 0);
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void write_plain(const char *rel, const char *data)
{
    int fd = openat(bfd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    close(fd);
}

/* Runs fn in a child with a private mount namespace; skipped (returns 0) when
 * unshare or the mount is refused. */
static int in_private_ns(void)
{
    if (unshare(CLONE_NEWNS) != 0)
        return 0;
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return 0;
    return 1;
}

/* ---- names and keys ---- */

START_TEST(t_bucket_names)
{
    static const struct { const char *name; int ok; } t[] = {
        { "abc", 1 }, { "my-bucket.example", 1 }, { "a1b2c3", 1 }, { "123", 1 },
        { "ab", 0 }, { "", 0 }, { ".abc", 0 }, { "abc.", 0 }, { "-abc", 0 }, { "abc-", 0 },
        { "ABC", 0 }, { "a_b", 0 }, { "a..b", 0 }, { "192.168.1.1", 0 }, { "xn--abc", 0 },
        { "foo-s3alias", 0 }, { "a b", 0 }, { ".s3cgi", 0 },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },     /* 63 */
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },    /* 64 */
        { "1.2.3", 1 }, { "1.2.3.4a", 1 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_msg((s3_bucket_name_check(t[i].name) == S3E_OK) == t[i].ok, "%s", t[i].name);
    ck_assert_int_eq(s3_bucket_name_check(NULL), S3E_INVALID_BUCKET_NAME);
}
END_TEST

START_TEST(t_key_checks)
{
    static char long_ok[1025], long_bad[1026], seg256[300];
    memset(long_ok, 'a', 1024);
    for (int i = 100; i < 1024; i += 100)
        long_ok[i] = '/';
    memset(long_bad, 'a', 1025);
    for (int i = 100; i < 1025; i += 100)
        long_bad[i] = '/';
    memset(seg256, 'b', 256);
    static const struct { const char *k; size_t len; enum s3_err want; } t[] = {
        { "a", 1, S3E_OK }, { "dir/", 4, S3E_OK }, { "a/b/c.txt", 9, S3E_OK },
        { "with space", 10, S3E_OK }, { "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", 12, S3E_OK },
        { "+&=%?#;:@!$'()*,", 16, S3E_OK }, { "..a", 3, S3E_OK }, { "a..", 3, S3E_OK },
        { ".hidden", 7, S3E_OK }, { "a/.s3cg", 7, S3E_OK }, { "x.s3cgi", 7, S3E_OK },
        { "", 0, S3E_KEY_UNMAPPABLE }, { ".", 1, S3E_KEY_UNMAPPABLE },
        { "..", 2, S3E_KEY_UNMAPPABLE }, { "a//b", 4, S3E_KEY_UNMAPPABLE },
        { "/a", 2, S3E_KEY_UNMAPPABLE }, { "a/./b", 5, S3E_KEY_UNMAPPABLE },
        { "a/../b", 6, S3E_KEY_UNMAPPABLE }, { "a/..", 4, S3E_KEY_UNMAPPABLE },
        { "a\0b", 3, S3E_KEY_UNMAPPABLE }, { "\xff\xfe", 2, S3E_KEY_UNMAPPABLE },
        { "a\xc3", 2, S3E_KEY_UNMAPPABLE }, { "\xed\xa0\x80", 3, S3E_KEY_UNMAPPABLE },
        { ".s3cgi/x", 8, S3E_KEY_UNMAPPABLE }, { "a/.s3cgix/y", 11, S3E_KEY_UNMAPPABLE },
        { "a/.s3cgi-tmp-1", 14, S3E_KEY_UNMAPPABLE }, { ".s3cgi", 6, S3E_KEY_UNMAPPABLE },
        { "/", 1, S3E_KEY_UNMAPPABLE }, { "a//", 3, S3E_KEY_UNMAPPABLE },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_msg(s3_key_check(t[i].k, t[i].len) == t[i].want, "case %zu", i);
    ck_assert_int_eq(s3_key_check(long_ok, 1024), S3E_OK);
    ck_assert_int_eq(s3_key_check(long_bad, 1025), S3E_KEY_TOO_LONG);
    ck_assert_int_eq(s3_key_check(seg256, 256), S3E_KEY_UNMAPPABLE);   /* > NAME_MAX */
    ck_assert_int_eq(s3_key_check(seg256, 255), S3E_OK);
    /* a slice: only len bytes count */
    ck_assert_int_eq(s3_key_check("a/b/../c", 3), S3E_OK);
}
END_TEST

START_TEST(t_errno_map)
{
    ck_assert_int_eq(store_errno(ENOSPC), S3E_NO_SPACE);
    ck_assert_int_eq(store_errno(EDQUOT), S3E_NO_SPACE);
    ck_assert_int_eq(store_errno(ENOENT), S3E_NO_SUCH_KEY);
    ck_assert_int_eq(store_errno(EACCES), S3E_ACCESS_DENIED);
    ck_assert_int_eq(store_errno(EIO), S3E_INTERNAL);
    ck_assert_int_eq(store_errno(0), S3E_OK);
}
END_TEST

/* ---- objects ---- */

START_TEST(t_roundtrip)
{
    static const char *keys[] = { "hello.txt", "a/b/c/d.bin", "with space/+&=%?#", "caf\xc3\xa9/\xe6\x97\xa5" };
    size_t big_len = 300000;
    char *big = malloc(big_len + 1);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + (i * 7919) % 26);
    big[big_len] = '\0';
    struct s3_meta_kv hdrs[] = { { "content-type", "text/plain" }, { "x-amz-meta-colour", "blue\xc3\xa9" } };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(put_hdrs(keys[i], big, big_len, 0, NULL, hdrs, 2), S3E_OK);
        assert_content(keys[i], big);
    }
    struct arena a;
    struct s3_meta m;
    enum s3_err err;
    arena_init(&a, 1 << 20);
    free(get("hello.txt", &err, &m, &a));
    ck_assert_str_eq(s3_meta_get(&m, "content-type"), "text/plain");
    ck_assert_str_eq(s3_meta_get(&m, "X-Amz-Meta-Colour"), "blue\xc3\xa9");
    ck_assert_ptr_null(s3_meta_get(&m, "cache-control"));
    ck_assert_int_eq(m.is_dir, 0);
    struct stat st;
    ck_assert_int_eq(fstatat(bfd, "hello.txt", &st, 0), 0);
    ck_assert_int_eq(m.mtime.tv_sec, st.st_mtim.tv_sec);
    ck_assert_int_eq(m.mtime.tv_nsec, st.st_mtim.tv_nsec);
    arena_free(&a);
    /* empty object */
    ck_assert_int_eq(put("empty", ""), S3E_OK);
    assert_content("empty", "");
    /* no temp files left behind anywhere in the bucket root */
    ck_assert_int_eq(count_entries(bfd, "."), 5);  /* hello.txt a "with space" café empty */
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(store_object_delete(&cfg, bfd, keys[i], strlen(keys[i])), S3E_OK);
        assert_absent(keys[i]);
    }
    ck_assert_int_eq(count_entries(bfd, "."), 1);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "nope", 4), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "no/such/dir/x", 13), S3E_OK);
    free(big);
}
END_TEST

START_TEST(t_overwrite_atomic)
{
    ck_assert_int_eq(put("k", "version one"), S3E_OK);
    struct arena a;
    struct s3_meta m;
    int fd = -1;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(store_object_open(&cfg, bfd, "k", 1, &a, &fd, &m), S3E_OK);
    struct stat st1, st2;
    fstat(fd, &st1);
    /* a writer in progress is invisible */
    struct store_put p;
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, "k", 1), S3E_OK);
    ck_assert_int_eq(store_put_write(&p, "version two!", 12), S3E_OK);
    assert_content("k", "version one");
    struct s3_meta nm;
    memset(&nm, 0, sizeof(nm));
    md5_hex("version two!", 12, nm.etag);
    nm.size = 12;
    ck_assert_int_eq(store_put_commit(&p, &nm, 0, NULL), S3E_OK);
    store_put_abort(&p);        /* harmless after commit */
    /* the reader that opened before still reads the old bytes in full */
    char buf[64] = { 0 };
    ck_assert_int_eq(read(fd, buf, sizeof(buf)), 11);
    ck_assert_str_eq(buf, "version one");
    close(fd);
    assert_content("k", "version two!");
    ck_assert_int_eq(fstatat(bfd, "k", &st2, 0), 0);
    ck_assert(st1.st_ino != st2.st_ino);   /* replaced, not rewritten in place */
    ck_assert_int_eq(count_entries(bfd, "."), 1);
    arena_free(&a);
}
END_TEST

/* store_put_copy: block-aligned ranges (reflink candidates) and an unaligned tail
 * land in order; where the filesystem has no reflink, the first failure is
 * remembered and later copies go straight to copy_file_range. */
START_TEST(t_copy_ranges)
{
    enum { BS = 4096, TOTAL = 3 * BS + 100 };
    static char src[TOTAL + 1], want[TOTAL + 1];
    for (int i = 0; i < TOTAL; i++)
        src[i] = (char)('a' + (i * 7 + i / BS) % 26);
    int sfd = openat(bfd, "src", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(sfd, 0);
    ck_assert_int_eq(write(sfd, src, TOTAL), TOTAL);
    /* does this filesystem clone at all? */
    int probe = openat(bfd, "probe", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(probe, 0);
    int clones = ioctl(probe, FICLONE, sfd) == 0;
    int unsupported = !clones && (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV ||
                                  errno == ENOSYS);
    close(probe);
    unlinkat(bfd, "probe", 0);

    struct store_put p;
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, "dst", 3), S3E_OK);
    ck_assert_int_eq(store_put_copy(&p, sfd, BS, BS), S3E_OK);         /* aligned */
    if (unsupported)
        ck_assert_int_eq(p.no_reflink, 1);
    ck_assert_int_eq(store_put_copy(&p, sfd, 0, BS), S3E_OK);          /* aligned */
    ck_assert_int_eq(store_put_copy(&p, sfd, 2 * BS, BS + 100), S3E_OK); /* tail */
    ck_assert_int_eq(p.written, TOTAL);
    memcpy(want, src + BS, BS);
    memcpy(want + BS, src, BS);
    memcpy(want + 2 * BS, src + 2 * BS, BS + 100);
    struct s3_meta m;
    memset(&m, 0, sizeof m);
    md5_hex(want, TOTAL, m.etag);
    m.size = TOTAL;
    ck_assert_int_eq(store_put_commit(&p, &m, 0, NULL), S3E_OK);
    close(sfd);
    assert_content("dst", want);
}
END_TEST

START_TEST(t_abort_leaves_nothing)
{
    struct store_put p;
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, "x/y/z", 5), S3E_OK);
    ck_assert_int_eq(store_put_write(&p, "data", 4), S3E_OK);
    store_put_abort(&p);
    store_put_abort(&p);
    ck_assert_int_eq(count_entries(bfd, "."), 0);
    /* failed commit (412) leaves neither the object nor the parents it made */
    ck_assert_int_eq(put("q/r/k", "one"), S3E_OK);
    ck_assert_int_eq(put_hdrs("q/r/k", "two", 3, 1, NULL, NULL, 0), S3E_PRECONDITION_FAILED);
    ck_assert_int_eq(put_hdrs("n/e/w", "two", 3, 0, "\"0123\"", NULL, 0), S3E_NO_SUCH_KEY);
    ck_assert(!exists("n"));
    assert_content("q/r/k", "one");
    ck_assert_int_eq(count_entries(bfd, "q/r"), 1);
    /* bad keys are refused at begin */
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, "a/../b", 6), S3E_KEY_UNMAPPABLE);
    store_put_abort(&p);
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, ".s3cgi/x", 8), S3E_KEY_UNMAPPABLE);
    store_put_abort(&p);
}
END_TEST

START_TEST(t_if_none_match)
{
    ck_assert_int_eq(put_hdrs("once", "first", 5, 1, NULL, NULL, 0), S3E_OK);
    ck_assert_int_eq(put_hdrs("once", "second", 6, 1, NULL, NULL, 0), S3E_PRECONDITION_FAILED);
    assert_content("once", "first");
    ck_assert_int_eq(put_hdrs("deep/once", "first", 5, 1, NULL, NULL, 0), S3E_OK);
    ck_assert_int_eq(put_hdrs("deep/once", "second", 6, 1, NULL, NULL, 0), S3E_PRECONDITION_FAILED);
    assert_content("deep/once", "first");
    ck_assert_int_eq(count_entries(bfd, "."), 2);
    ck_assert_int_eq(count_entries(bfd, "deep"), 1);
}
END_TEST

START_TEST(t_if_match)
{
    char md5[33];
    ck_assert_int_eq(put_hdrs("m", "x", 1, 0, "\"abc\"", NULL, 0), S3E_NO_SUCH_KEY);
    ck_assert(!exists("m"));
    ck_assert_int_eq(put("m", "one"), S3E_OK);
    ck_assert_int_eq(put_hdrs("m", "two", 3, 0, "\"00000000000000000000000000000000\"", NULL, 0),
                     S3E_PRECONDITION_FAILED);
    assert_content("m", "one");
    md5_hex("one", 3, md5);
    char quoted[40];
    snprintf(quoted, sizeof(quoted), "\"%s\"", md5);
    ck_assert_int_eq(put_hdrs("m", "two", 3, 0, quoted, NULL, 0), S3E_OK);
    assert_content("m", "two");
    ck_assert_int_eq(put_hdrs("m", "three", 5, 0, "*", NULL, 0), S3E_OK);
    assert_content("m", "three");
}
END_TEST

START_TEST(t_key_conflicts)
{
    ck_assert_int_eq(put("a", "file"), S3E_OK);
    ck_assert_int_eq(put("a/b", "under a file"), S3E_KEY_CONFLICT);
    ck_assert_int_eq(put("a/", ""), S3E_KEY_CONFLICT);
    assert_content("a", "file");
    ck_assert_int_eq(put("d/", ""), S3E_OK);
    ck_assert_int_eq(put("d", "file over dir"), S3E_KEY_CONFLICT);
    ck_assert_int_eq(put_hdrs("d", "x", 1, 1, NULL, NULL, 0), S3E_KEY_CONFLICT);
    ck_assert_int_eq(put("x/y", "deep"), S3E_OK);
    ck_assert_int_eq(put("x", "over plain dir"), S3E_KEY_CONFLICT);
    assert_content("x/y", "deep");
    assert_absent("x");             /* a plain directory is no object */
    assert_absent("x/");
    ck_assert_int_eq(put("dirbody/", "data"), S3E_KEY_UNMAPPABLE);
    ck_assert(!exists("dirbody"));
}
END_TEST

START_TEST(t_dir_objects)
{
    struct arena a;
    struct s3_meta m;
    int fd = 7;
    struct s3_meta_kv hdrs[] = { { "content-type", "application/x-directory" } };
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(put_hdrs("photos/2024/", "", 0, 0, NULL, hdrs, 1), S3E_OK);
    ck_assert_int_eq(store_object_open(&cfg, bfd, "photos/2024/", 12, &a, &fd, &m), S3E_OK);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(m.is_dir, 1);
    ck_assert_int_eq(m.size, 0);
    ck_assert_str_eq(m.etag, META_EMPTY_MD5);
    ck_assert_str_eq(s3_meta_get(&m, "content-type"), "application/x-directory");
    assert_absent("photos/");       /* the parent is a plain directory */
    assert_absent("photos/2024");   /* no file of that name */
    ck_assert_int_eq(put_hdrs("photos/2024/", "", 0, 1, NULL, NULL, 0), S3E_PRECONDITION_FAILED);
    /* a file inside; deleting it keeps the directory object */
    ck_assert_int_eq(put("photos/2024/a.jpg", "jpg"), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "photos/2024/a.jpg", 17), S3E_OK);
    ck_assert(exists("photos/2024"));
    ck_assert_int_eq(store_object_open(&cfg, bfd, "photos/2024/", 12, &a, &fd, &m), S3E_OK);
    /* deleting the directory object removes it and its empty parents */
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "photos/2024/", 12), S3E_OK);
    ck_assert(!exists("photos"));
    /* delete of a plain directory's key is a no-op */
    ck_assert_int_eq(put("p/q", "x"), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "p/", 2), S3E_OK);
    assert_content("p/q", "x");
    /* a directory object with content stays a plain directory when deleted */
    ck_assert_int_eq(put("p/", ""), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "p/", 2), S3E_OK);
    assert_absent("p/");
    assert_content("p/q", "x");
    arena_free(&a);
}
END_TEST

START_TEST(t_delete_prunes)
{
    ck_assert_int_eq(put("p/q/r/s", "1"), S3E_OK);
    ck_assert_int_eq(put("p/t", "2"), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "p/q/r/s", 7), S3E_OK);
    ck_assert(!exists("p/q"));
    ck_assert(exists("p"));
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "p/t", 3), S3E_OK);
    ck_assert(!exists("p"));
    ck_assert_int_eq(count_entries(cfg.root_fd, "bkt"), 0);
    struct stat st;
    ck_assert_int_eq(fstatat(cfg.root_fd, "bkt", &st, 0), 0);     /* bucket stays */
    /* a parent that is a directory object stops the pruning */
    ck_assert_int_eq(put("keep/", ""), S3E_OK);
    ck_assert_int_eq(put("keep/x/y", "1"), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "keep/x/y", 8), S3E_OK);
    ck_assert(!exists("keep/x"));
    ck_assert(exists("keep"));
    /* deleting a key whose name is a directory touches nothing */
    ck_assert_int_eq(put("z/w", "1"), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "z", 1), S3E_OK);
    assert_content("z/w", "1");
    /* unmappable keys are reported, not deleted */
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "a/../z/w", 8), S3E_KEY_UNMAPPABLE);
    assert_content("z/w", "1");
}
END_TEST

START_TEST(t_symlinks)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/secret", outside);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "top secret", 10), 10);
    close(fd);
    ck_assert_int_eq(symlinkat(outside, bfd, "link"), 0);
    ck_assert_int_eq(symlinkat(path, bfd, "flink"), 0);
    ck_assert_int_eq(put("real/x", "1"), S3E_OK);
    ck_assert_int_eq(symlinkat(outside, bfd, "real/inner"), 0);
    assert_absent("link/secret");
    assert_absent("flink");
    assert_absent("real/inner/secret");
    assert_absent("link/");
    ck_assert_int_eq(put("link/new", "x"), S3E_ACCESS_DENIED);
    ck_assert_int_eq(put("real/inner/new", "x"), S3E_ACCESS_DENIED);
    ck_assert_int_eq(put("link/sub/new", "x"), S3E_ACCESS_DENIED);
    ck_assert_int_eq(put("flink", "overwrite"), S3E_ACCESS_DENIED);
    ck_assert_int_eq(put_hdrs("flink", "x", 1, 1, NULL, NULL, 0), S3E_ACCESS_DENIED);
    ck_assert_int_eq(put("link/", ""), S3E_ACCESS_DENIED);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "link/secret", 11), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "flink", 5), S3E_OK);
    /* nothing outside changed */
    ck_assert_int_eq(count_entries(AT_FDCWD, outside), 1);
    char buf[32] = { 0 };
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, buf, sizeof(buf)), 10);
    close(fd);
    ck_assert_str_eq(buf, "top secret");
    ck_assert(exists("flink"));
    /* a bucket that is a symlink does not exist */
    int b2 = -1;
    ck_assert_int_eq(symlinkat(outside, cfg.root_fd, "evil"), 0);
    ck_assert_int_eq(store_bucket_open(&cfg, "evil", &b2), S3E_NO_SUCH_BUCKET);
    ck_assert_int_eq(b2, -1);
    ck_assert_int_eq(store_bucket_delete(&cfg, "evil"), S3E_NO_SUCH_BUCKET);
    ck_assert_int_eq(store_bucket_create(&cfg, "evil"), S3E_BUCKET_ALREADY_EXISTS);
    ck_assert_int_eq(count_entries(AT_FDCWD, outside), 1);
}
END_TEST

START_TEST(t_fifo_not_object)
{
    ck_assert_int_eq(mkfifoat(bfd, "pipe", 0644), 0);
    assert_absent("pipe");          /* and does not block */
    ck_assert_int_eq(put("pipe", "x"), S3E_KEY_CONFLICT);
}
END_TEST

START_TEST(t_etag_foreign_files)
{
    char md5[33];
    ck_assert_int_eq(mkdirat(bfd, "placed", 0755), 0);
    write_plain("placed/by-hand.txt", "hello world");
    struct stat before, after;
    ck_assert_int_eq(fstatat(bfd, "placed/by-hand.txt", &before, 0), 0);
    assert_content("placed/by-hand.txt", "hello world");
    /* cached in the xattr, without touching mtime */
    char blob[512];
    int fd = openat(bfd, "placed/by-hand.txt", O_RDONLY);
    ssize_t n = fgetxattr(fd, META_XATTR, blob, sizeof(blob));
    close(fd);
    ck_assert_int_gt(n, 0);
    md5_hex("hello world", 11, md5);
    ck_assert_ptr_nonnull(memmem(blob, (size_t)n, md5, 32));
    ck_assert_int_eq(fstatat(bfd, "placed/by-hand.txt", &after, 0), 0);
    ck_assert_int_eq(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    ck_assert_int_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    /* rewritten by other means, same size: recomputed, stale headers dropped */
    struct s3_meta_kv hdrs[] = { { "content-type", "text/x-old" } };
    ck_assert_int_eq(put_hdrs("placed/by-hand.txt", "hello world", 11, 0, NULL, hdrs, 1), S3E_OK);
    usleep(10000);
    write_plain("placed/by-hand.txt", "HELLO WORLD");
    struct arena a;
    struct s3_meta m;
    enum s3_err err;
    arena_init(&a, 1 << 20);
    free(get("placed/by-hand.txt", &err, &m, &a));
    ck_assert_int_eq(err, S3E_OK);
    md5_hex("HELLO WORLD", 11, md5);
    ck_assert_str_eq(m.etag, md5);
    ck_assert_ptr_null(s3_meta_get(&m, "content-type"));
    /* and appended to */
    fd = openat(bfd, "placed/by-hand.txt", O_WRONLY | O_APPEND);
    ck_assert_int_eq(write(fd, "!", 1), 1);
    close(fd);
    assert_content("placed/by-hand.txt", "HELLO WORLD!");
    /* a garbage blob is ignored */
    fd = openat(bfd, "placed/by-hand.txt", O_RDONLY);
    ck_assert_int_eq(fsetxattr(fd, META_XATTR, "junk", 4, 0), 0);
    close(fd);
    assert_content("placed/by-hand.txt", "HELLO WORLD!");
    arena_free(&a);
}
END_TEST

START_TEST(t_blob_codec)
{
    struct s3_meta m, out;
    struct meta_extra x;
    struct stat st;
    struct buf b;
    struct arena a;
    struct s3_meta_kv hdrs[] = { { "content-type", "a\nb:c" }, { "x-amz-meta-e", "" } };
    memset(&m, 0, sizeof(m));
    memset(&st, 0, sizeof(st));
    strcpy(m.etag, "0123456789abcdef0123456789abcdef-3");
    m.parts_count = 3;
    m.hdrs = hdrs;
    m.nhdrs = 2;
    st.st_mode = S_IFREG | 0644;
    st.st_size = 12345;
    st.st_ino = 99;
    st.st_mtim.tv_sec = 1700000000;
    st.st_mtim.tv_nsec = 123456789;
    buf_init(&b, META_MAX_BLOB);
    arena_init(&a, 1 << 16);
    ck_assert_int_eq(meta_encode(&m, &st, "k/ey", 4, &b), 0);
    ck_assert_int_eq(meta_decode(b.data, b.len, &a, &out, &x), 0);
    ck_assert_str_eq(out.etag, m.etag);
    ck_assert_int_eq(out.size, 12345);
    ck_assert_int_eq(out.mtime.tv_sec, 1700000000);
    ck_assert_int_eq(out.mtime.tv_nsec, 123456789);
    ck_assert_int_eq(out.parts_count, 3);
    ck_assert_int_eq(out.nhdrs, 2);
    ck_assert_str_eq(out.hdrs[0].value, "a\nb:c");
    ck_assert_str_eq(out.hdrs[1].name, "x-amz-meta-e");
    ck_assert_str_eq(out.hdrs[1].value, "");
    ck_assert_int_eq(x.ino, 99);
    ck_assert_int_eq(x.key_len, 4);
    ck_assert_int_eq(memcmp(x.key, "k/ey", 4), 0);
    /* without an arena: no headers */
    ck_assert_int_eq(meta_decode(b.data, b.len, NULL, &out, &x), 0);
    ck_assert_int_eq(out.nhdrs, 0);
    /* every truncation is refused or parses a prefix of the records, never crashes */
    for (size_t cut = 0; cut < b.len; cut++)
        (void)meta_decode(b.data, cut, &a, &out, &x);
    ck_assert_int_eq(meta_decode(b.data, b.len - 1, &a, &out, &x), -1);
    ck_assert_int_eq(meta_decode("s3cgi1\nE99999999:x\n", 20, &a, &out, &x), -1);
    ck_assert_int_eq(meta_decode("s3cgi2\n", 7, &a, &out, &x), -1);
    ck_assert_int_eq(meta_decode("s3cgi1\nZ3:abc\nE1:e\n", 19, &a, &out, &x), 0);  /* unknown tag */
    ck_assert_str_eq(out.etag, "e");
    buf_free(&b);
    arena_free(&a);
}
END_TEST

START_TEST(t_big_headers)
{
    /* larger than an ext4 xattr block: ends up in the sidecar behind a stub */
    static char big[6001];
    memset(big, 'v', 6000);
    struct s3_meta_kv hdrs[] = { { "x-amz-meta-big", big } };
    ck_assert_int_eq(put_hdrs("big", "data", 4, 0, NULL, hdrs, 1), S3E_OK);
    struct arena a;
    struct s3_meta m;
    enum s3_err err;
    arena_init(&a, 1 << 20);
    free(get("big", &err, &m, &a));
    ck_assert_int_eq(err, S3E_OK);
    ck_assert_str_eq(s3_meta_get(&m, "x-amz-meta-big"), big);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "big", 3), S3E_OK);
    arena_free(&a);
}
END_TEST

/* ---- buckets ---- */

struct names { char v[16][64]; int n; time_t t[16]; };

static int collect_bucket(void *ctx, const char *name, time_t created)
{
    struct names *n = ctx;
    snprintf(n->v[n->n], sizeof(n->v[0]), "%s", name);
    n->t[n->n++] = created;
    return n->n == 16;
}

START_TEST(t_buckets)
{
    ck_assert_int_eq(store_bucket_create(&cfg, "bkt"), S3E_BUCKET_ALREADY_OWNED);
    ck_assert_int_eq(store_bucket_create(&cfg, "Bad_Name"), S3E_INVALID_BUCKET_NAME);
    ck_assert_int_eq(store_bucket_create(&cfg, "zeta"), S3E_OK);
    ck_assert_int_eq(store_bucket_create(&cfg, "alpha"), S3E_OK);
    ck_assert_int_eq(store_bucket_create(&cfg, "alpha-2"), S3E_OK);
    ck_assert_int_eq(mkdirat(cfg.root_fd, "Invalid_Dir", 0755), 0);
    ck_assert_int_eq(mkdirat(cfg.root_fd, ".s3cgi", 0700), 0);
    int fd = openat(cfg.root_fd, "afile", O_WRONLY | O_CREAT, 0644);
    close(fd);
    ck_assert_int_eq(symlinkat("alpha", cfg.root_fd, "alias"), 0);
    struct names n;
    memset(&n, 0, sizeof(n));
    ck_assert_int_eq(store_bucket_list(&cfg, collect_bucket, &n), S3E_OK);
    ck_assert_int_eq(n.n, 4);
    ck_assert_str_eq(n.v[0], "alpha");
    ck_assert_str_eq(n.v[1], "alpha-2");
    ck_assert_str_eq(n.v[2], "bkt");
    ck_assert_str_eq(n.v[3], "zeta");
    ck_assert(n.t[0] > 1600000000 && n.t[0] <= time(NULL) + 1);
    ck_assert_int_eq(store_bucket_delete(&cfg, "nosuch"), S3E_NO_SUCH_BUCKET);
    ck_assert_int_eq(store_bucket_delete(&cfg, "BAD"), S3E_NO_SUCH_BUCKET);
    ck_assert_int_eq(put("obj", "1"), S3E_OK);
    ck_assert_int_eq(store_bucket_delete(&cfg, "bkt"), S3E_BUCKET_NOT_EMPTY);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "obj", 3), S3E_OK);
    /* leftovers of an aborted named-temp upload do not keep a bucket alive */
    fd = openat(bfd, ".s3cgi-tmp-0123456789abcdef", O_WRONLY | O_CREAT, 0644);
    close(fd);
    ck_assert_int_eq(store_bucket_delete(&cfg, "bkt"), S3E_OK);
    ck_assert_int_eq(store_bucket_open(&cfg, "bkt", &fd), S3E_NO_SUCH_BUCKET);
    /* a plain empty subdirectory does */
    ck_assert_int_eq(mkdirat(cfg.root_fd, "zeta/sub", 0755), 0);
    ck_assert_int_eq(store_bucket_delete(&cfg, "zeta"), S3E_BUCKET_NOT_EMPTY);
    ck_assert_int_eq(store_bucket_delete(&cfg, "alpha"), S3E_OK);
    /* reserved space */
    ck_assert_int_eq(store_reserved_open(&cfg, "tmp", &fd), S3E_OK);
    close(fd);
    struct stat st;
    ck_assert_int_eq(fstatat(cfg.root_fd, ".s3cgi/tmp", &st, 0), 0);
    ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* ---- concurrency ---- */

START_TEST(t_concurrent_parents)
{
    /* two processes keep making and removing keys under the same parents: every PUT
     * must land even when the other's delete prunes the directories it is using */
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        if ((kids[k] = fork()) == 0) {
            char key[32];
            snprintf(key, sizeof(key), "r/s/t/k%d", k);
            for (int i = 0; i < 400; i++) {
                enum s3_err e = put(key, "v");
                if (e != S3E_OK) {
                    fprintf(stderr, "put %s: %d at %d\n", key, e, i);
                    _exit(1);
                }
                if (store_object_delete(&cfg, bfd, key, strlen(key)) != S3E_OK)
                    _exit(2);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: %d", k, status);
    }
    ck_assert(!exists("r"));
}
END_TEST

START_TEST(t_concurrent_same_key)
{
    /* concurrent overwrites of one key: readers always see one complete version */
    static char a[100000], b[100000];
    memset(a, 'A', sizeof(a) - 1);
    memset(b, 'B', sizeof(b) - 1);
    ck_assert_int_eq(put("same", a), S3E_OK);
    pid_t kid = fork();
    if (kid == 0) {
        for (int i = 0; i < 100; i++)
            if (put("same", i % 2 ? a : b) != S3E_OK)
                _exit(1);
        _exit(0);
    }
    for (int i = 0; i < 100; i++) {
        struct arena ar;
        struct s3_meta m;
        enum s3_err err;
        arena_init(&ar, 1 << 20);
        char *got = get("same", &err, &m, &ar);
        ck_assert_int_eq(err, S3E_OK);
        ck_assert(strcmp(got, a) == 0 || strcmp(got, b) == 0);
        free(got);
        arena_free(&ar);
    }
    int status = 0;
    waitpid(kid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(count_entries(bfd, "."), 1);
}
END_TEST

/* ---- other filesystems (private mount namespace; skipped when not allowed) ---- */

static int mount_fresh(const char *type, const char *opts)
{
    if (!in_private_ns())
        return 0;
    char dir[] = "/tmp/s3cgi-mnt-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    if (mount(type, dir, type, 0, opts) != 0) {
        rmdir(dir);
        return 0;
    }
    /* move the fixture onto the new filesystem */
    close(bfd);
    close(cfg.root_fd);
    rm_rf(root);
    make_root(dir, 0);
    return 1;
}

START_TEST(t_enospc)
{
    if (!mount_fresh("tmpfs", "size=256k")) {
        fprintf(stderr, "t_enospc: skipped (no mount namespace)\n");
        return;
    }
    static char big[1 << 20];
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(put("small", "fits"), S3E_OK);
    ck_assert_int_eq(put_hdrs("deep/er/big", big, sizeof(big), 0, NULL, NULL, 0), S3E_NO_SPACE);
    ck_assert(!exists("deep"));
    ck_assert_int_eq(put_hdrs("small", big, sizeof(big), 0, NULL, NULL, 0), S3E_NO_SPACE);
    assert_content("small", "fits");
    ck_assert_int_eq(count_entries(bfd, "."), 1);
    umount2(root, MNT_DETACH);
}
END_TEST

START_TEST(t_sidecar)
{
    if (!mount_fresh("ramfs", NULL)) {
        fprintf(stderr, "t_sidecar: skipped (no mount namespace)\n");
        return;
    }
    struct s3_meta_kv hdrs[] = { { "content-type", "image/png" } };
    ck_assert_int_eq(put_hdrs("s/obj", "pixels", 6, 0, NULL, hdrs, 1), S3E_OK);
    int fd = openat(bfd, "s/obj", O_RDONLY);
    char tmp[8];
    ck_assert_int_lt(fgetxattr(fd, META_XATTR, tmp, sizeof(tmp)), 0);   /* no xattrs here */
    close(fd);
    struct arena a;
    struct s3_meta m;
    enum s3_err err;
    arena_init(&a, 1 << 20);
    free(get("s/obj", &err, &m, &a));
    ck_assert_int_eq(err, S3E_OK);
    ck_assert_str_eq(s3_meta_get(&m, "content-type"), "image/png");
    ck_assert_int_eq(count_entries(cfg.root_fd, ".s3cgi/meta"), 1);
    /* rewritten by other means: recomputed */
    usleep(10000);
    write_plain("s/obj", "PIXELS");
    free(get("s/obj", &err, &m, &a));
    ck_assert_ptr_null(s3_meta_get(&m, "content-type"));
    assert_content("s/obj", "PIXELS");
    /* directory objects */
    ck_assert_int_eq(put("d/", ""), S3E_OK);
    fd = -1;
    ck_assert_int_eq(store_object_open(&cfg, bfd, "d/", 2, &a, &fd, &m), S3E_OK);
    ck_assert_int_eq(m.is_dir, 1);
    assert_absent("s/");
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "d/", 2), S3E_OK);
    ck_assert_int_eq(store_object_delete(&cfg, bfd, "s/obj", 5), S3E_OK);
    ck_assert_int_eq(count_entries(bfd, "."), 0);
    /* sidecars went with their objects */
    int mfd = -1;
    ck_assert_int_eq(store_reserved_open(&cfg, "meta", &mfd), S3E_OK);
    DIR *d = fdopendir(mfd);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            files += count_entries(dirfd(d), de->d_name);
    closedir(d);
    ck_assert_int_eq(files, 0);
    arena_free(&a);
    umount2(root, MNT_DETACH);
}
END_TEST

START_TEST(t_no_proc_named_temp)
{
    /* without /proc, O_TMPFILE cannot be linked: the named-temp path is taken */
    if (!in_private_ns() || mount("none", "/proc", "tmpfs", 0, "size=16k") != 0) {
        fprintf(stderr, "t_no_proc_named_temp: skipped\n");
        return;
    }
    struct store_put p;
    ck_assert_int_eq(store_put_begin(&p, &cfg, bfd, "n/k", 3), S3E_OK);
    ck_assert_str_ne(p.tmpname, "");
    ck_assert(exists(p.tmpname));
    store_put_abort(&p);
    ck_assert_int_eq(count_entries(bfd, "."), 0);
    ck_assert_int_eq(put("n/k", "one"), S3E_OK);
    ck_assert_int_eq(put("n/k", "two"), S3E_OK);
    assert_content("n/k", "two");
    ck_assert_int_eq(put_hdrs("n/k", "three", 5, 1, NULL, NULL, 0), S3E_PRECONDITION_FAILED);
    ck_assert_int_eq(put_hdrs("n/k2", "three", 5, 1, NULL, NULL, 0), S3E_OK);
    assert_content("n/k2", "three");
    ck_assert_int_eq(put("n", "conflict"), S3E_KEY_CONFLICT);
    ck_assert_int_eq(count_entries(bfd, "."), 1);   /* only "n": no temp files left */
    ck_assert_int_eq(count_entries(bfd, "n"), 2);
    umount2("/proc", MNT_DETACH);   /* leak checkers read /proc at exit */
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, t_bucket_names);
    tcase_add_test(pure, t_key_checks);
    tcase_add_test(pure, t_errno_map);
    tcase_add_test(pure, t_blob_codec);
    suite_add_tcase(s, pure);

    TCase *fs = tcase_create("fs");
    tcase_add_checked_fixture(fs, setup, teardown);
    tcase_set_timeout(fs, 60);
    tcase_add_test(fs, t_roundtrip);
    tcase_add_test(fs, t_overwrite_atomic);
    tcase_add_test(fs, t_copy_ranges);
    tcase_add_test(fs, t_abort_leaves_nothing);
    tcase_add_test(fs, t_if_none_match);
    tcase_add_test(fs, t_if_match);
    tcase_add_test(fs, t_key_conflicts);
    tcase_add_test(fs, t_dir_objects);
    tcase_add_test(fs, t_delete_prunes);
    tcase_add_test(fs, t_symlinks);
    tcase_add_test(fs, t_fifo_not_object);
    tcase_add_test(fs, t_etag_foreign_files);
    tcase_add_test(fs, t_big_headers);
    tcase_add_test(fs, t_buckets);
    tcase_add_test(fs, t_concurrent_parents);
    tcase_add_test(fs, t_concurrent_same_key);
    tcase_add_test(fs, t_enospc);
    tcase_add_test(fs, t_sidecar);
    tcase_add_test(fs, t_no_proc_named_temp);
    suite_add_tcase(s, fs);

    TCase *fsync_tc = tcase_create("fsync");
    tcase_add_checked_fixture(fsync_tc, setup_fsync, teardown);
    tcase_add_test(fsync_tc, t_roundtrip);
    tcase_add_test(fsync_tc, t_dir_objects);
    tcase_add_test(fsync_tc, t_delete_prunes);
    suite_add_tcase(s, fsync_tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
