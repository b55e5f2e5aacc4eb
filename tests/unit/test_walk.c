/* test_walk.c - store_walk: S3 order, prefixes, delimiters, `after`, hidden and
 * empty directories, paging through a large directory, and a randomized comparison
 * against a brute-force reference listing over the same keys. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "config.h"
#include "meta.h"
#include "store.h"
#include "util.h"
#include "walk.h"

static char root[PATH_MAX];
static struct s3_config cfg;
static int bfd = -1;

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    remove(p);
    return 0;
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/s3cgi-walk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    memset(&cfg, 0, sizeof(cfg));
    cfg.root = root;
    cfg.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(cfg.root_fd, 0);
    ck_assert_int_eq(store_bucket_create(&cfg, "bkt"), S3E_OK);
    ck_assert_int_eq(store_bucket_open(&cfg, "bkt", &bfd), S3E_OK);
}

static void teardown(void)
{
    close(bfd);
    close(cfg.root_fd);
    nftw(root, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
}

/* PUT through the store (so directory objects get their mark). */
static enum s3_err put(const char *key, const char *data)
{
    struct store_put p;
    struct s3_meta m;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    memset(&m, 0, sizeof(m));
    enum s3_err err = store_put_begin(&p, &cfg, bfd, key, strlen(key));
    if (err)
        return err;
    if ((err = store_put_write(&p, data, strlen(data)))) {
        store_put_abort(&p);
        return err;
    }
    EVP_Digest(data, strlen(data), md, &mdlen, EVP_md5(), NULL);
    hex_encode(md, 16, m.etag);
    m.size = (long long)strlen(data);
    return store_put_commit(&p, &m, 0, NULL);
}

static void put_all(const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        ck_assert_msg(put(keys[i], keys[i][strlen(keys[i]) - 1] == '/' ? "" : keys[i]) == S3E_OK,
                      "put %s", keys[i]);
}

/* ---- collecting a listing ---- */

struct listing {
    char **v;           /* "key" or "P:prefix" */
    size_t n, cap;
    size_t stop_after;  /* 0: never stop */
    int want_etag;
    int bad_etag;
};

static int collect(void *ctx, const struct walk_entry *e)
{
    struct listing *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
    }
    char *s = malloc(e->key_len + 3);
    size_t o = 0;
    if (e->is_prefix) {
        memcpy(s, "P:", 2);
        o = 2;
    }
    memcpy(s + o, e->key, e->key_len);
    s[o + e->key_len] = '\0';
    l->v[l->n++] = s;
    if (l->want_etag && !e->is_prefix) {
        /* the ETag of a file is the MD5 of its content, which is its own key here */
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char hex[33];
        if (e->key[e->key_len - 1] == '/')
            EVP_Digest("", 0, md, &mdlen, EVP_md5(), NULL);
        else
            EVP_Digest(e->key, e->key_len, md, &mdlen, EVP_md5(), NULL);
        hex_encode(md, 16, hex);
        if (!e->etag || strcmp(e->etag, hex) != 0)
            l->bad_etag++;
    } else if (!l->want_etag && e->etag) {
        l->bad_etag++;
    }
    return l->stop_after && l->n >= l->stop_after ? 1 : 0;
}

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void walk(struct listing *l, const char *prefix, const char *delim, const char *after)
{
    struct walk_params wp = {
        prefix, strlen(prefix), delim, strlen(delim), after, strlen(after), l->want_etag
    };
    ck_assert_int_eq(store_walk(&cfg, bfd, &wp, collect, l), S3E_OK);
}

static void expect(const char *prefix, const char *delim, const char *after,
                   const char *const *want)
{
    struct listing l;
    memset(&l, 0, sizeof(l));
    walk(&l, prefix, delim, after);
    size_t n = 0;
    while (want[n])
        n++;
    for (size_t i = 0; i < l.n || i < n; i++)
        ck_assert_msg(i < l.n && i < n && strcmp(l.v[i], want[i]) == 0,
                      "prefix '%s' delim '%s' after '%s': entry %zu is '%s', want '%s'",
                      prefix, delim, after, i, i < l.n ? l.v[i] : "(end)",
                      i < n ? want[i] : "(end)");
    listing_free(&l);
}

/* ---- tests ---- */

START_TEST(t_order)
{
    put_all((const char *const[]){ "b", "a0", "a-b", "a.", NULL });
    /* "a" (file) and "a/..." cannot coexist: use the directory */
    put_all((const char *const[]){ "a/", "a/b", "a/c/d", NULL });
    expect("", "", "", (const char *const[]){ "a-b", "a.", "a/", "a/b", "a/c/d", "a0", "b", NULL });
    expect("", "/", "", (const char *const[]){ "a-b", "a.", "P:a/", "a0", "b", NULL });
    expect("a/", "/", "", (const char *const[]){ "a/", "a/b", "P:a/c/", NULL });
    expect("a", "", "", (const char *const[]){ "a-b", "a.", "a/", "a/b", "a/c/d", "a0", NULL });
    expect("a/c/d", "", "", (const char *const[]){ "a/c/d", NULL });
    expect("a/c/d/", "", "", (const char *const[]){ NULL });
    expect("zzz", "", "", (const char *const[]){ NULL });
    /* bytes above 0x7f sort after ASCII */
    put_all((const char *const[]){ "\xc3\xa9t\xc3\xa9", "z", "~", NULL });
    expect("", "/", "a0", (const char *const[]){ "b", "z", "~", "\xc3\xa9t\xc3\xa9", NULL });
}
END_TEST

START_TEST(t_prefix_mid_name)
{
    put_all((const char *const[]){ "photos/2023-12.jpg", "photos/2024-01.jpg", "photos/2024-02.jpg",
                                   "photos/2024-03/x.jpg", "photos/2024-03/y.jpg", "photos/2024",
                                   "photos/2025-01.jpg", "photo", "photos-old/a", NULL });
    expect("photos/2024-", "", "", (const char *const[]){ "photos/2024-01.jpg", "photos/2024-02.jpg",
                                                          "photos/2024-03/x.jpg", "photos/2024-03/y.jpg", NULL });
    expect("photos/2024-", "/", "", (const char *const[]){ "photos/2024-01.jpg", "photos/2024-02.jpg",
                                                           "P:photos/2024-03/", NULL });
    expect("photo", "/", "", (const char *const[]){ "photo", "P:photos-old/", "P:photos/", NULL });
    expect("photos/2024", "", "", (const char *const[]){ "photos/2024", "photos/2024-01.jpg",
                                                         "photos/2024-02.jpg", "photos/2024-03/x.jpg",
                                                         "photos/2024-03/y.jpg", NULL });
    expect("photos/2024-03/", "", "photos/2024-03/x.jpg", (const char *const[]){ "photos/2024-03/y.jpg", NULL });
    expect("nope/deeper/", "/", "", (const char *const[]){ NULL });
}
END_TEST

START_TEST(t_delimiters)
{
    put_all((const char *const[]){ "x-1/a", "x-2", "x3", "y", "y-z-w", "c/", "c/x", "d/e/f", "d/e-g",
                                   "e/f/", NULL });
    ck_assert_int_eq(mkdirat(bfd, "empty", 0755), 0);
    ck_assert_int_eq(mkdirat(bfd, "empty/deeper", 0755), 0);
    expect("", "/", "", (const char *const[]){ "P:c/", "P:d/", "P:e/", "P:x-1/", "x-2", "x3", "y", "y-z-w", NULL });
    expect("", "-", "", (const char *const[]){ "c/", "c/x", "P:d/e-", "d/e/f", "e/f/", "P:x-", "x3", "y", "P:y-", NULL });
    expect("d/", "/", "", (const char *const[]){ "d/e-g", "P:d/e/", NULL });
    expect("y", "-", "", (const char *const[]){ "y", "P:y-", NULL });
    expect("y-", "-", "", (const char *const[]){ "P:y-z-", NULL });
    /* multi-byte delimiter, spanning a directory boundary */
    expect("", "/e", "", (const char *const[]){ "c/", "c/x", "P:d/e", "e/f/", "x-1/a", "x-2", "x3", "y",
                                               "y-z-w", NULL });
}
END_TEST

START_TEST(t_after)
{
    put_all((const char *const[]){ "a/b/c/1", "a/b/c/2", "a/b/c/3", "a/b/c/4", "a/b/c/5", "a/b/d",
                                   "a/e", "f", NULL });
    expect("", "", "a/b/c/3", (const char *const[]){ "a/b/c/4", "a/b/c/5", "a/b/d", "a/e", "f", NULL });
    expect("", "", "a/b/c/", (const char *const[]){ "a/b/c/1", "a/b/c/2", "a/b/c/3", "a/b/c/4",
                                                    "a/b/c/5", "a/b/d", "a/e", "f", NULL });
    expect("", "", "a/b/c/5", (const char *const[]){ "a/b/d", "a/e", "f", NULL });
    expect("", "", "a/b/c/99", (const char *const[]){ "a/b/d", "a/e", "f", NULL });
    expect("", "", "a/b/c0", (const char *const[]){ "a/b/d", "a/e", "f", NULL });
    expect("", "", "f", (const char *const[]){ NULL });
    expect("", "", "0", (const char *const[]){ "a/b/c/1", "a/b/c/2", "a/b/c/3", "a/b/c/4", "a/b/c/5",
                                               "a/b/d", "a/e", "f", NULL });
    /* with a delimiter, a group at or before `after` is not reported again */
    expect("a/", "/", "a/b/c/3", (const char *const[]){ "a/e", NULL });
    expect("a/", "/", "a/b/", (const char *const[]){ "a/e", NULL });
    expect("a/", "/", "a/b", (const char *const[]){ "P:a/b/", "a/e", NULL });
    expect("", "/", "a/", (const char *const[]){ "f", NULL });
    expect("a/b/", "/", "a/b/c/3", (const char *const[]){ "a/b/d", NULL });
}
END_TEST

START_TEST(t_hidden)
{
    put_all((const char *const[]){ "visible", "dir/file", NULL });
    int fd = openat(bfd, ".s3cgi-tmp-abc", O_WRONLY | O_CREAT, 0644);
    close(fd);
    fd = openat(bfd, "dir/.s3cgi-tmp-abc", O_WRONLY | O_CREAT, 0644);
    close(fd);
    ck_assert_int_eq(mkdirat(bfd, ".s3cgi", 0755), 0);
    fd = openat(bfd, ".s3cgi/inside", O_WRONLY | O_CREAT, 0644);
    close(fd);
    ck_assert_int_eq(symlinkat("/etc", bfd, "link-dir"), 0);
    ck_assert_int_eq(symlinkat("/etc/passwd", bfd, "link-file"), 0);
    ck_assert_int_eq(mkfifoat(bfd, "fifo", 0644), 0);
    fd = openat(bfd, "bad\xff", O_WRONLY | O_CREAT, 0644);     /* not UTF-8: no key */
    close(fd);
    ck_assert_int_eq(mkdirat(bfd, "e1", 0755), 0);              /* empty trees */
    ck_assert_int_eq(mkdirat(bfd, "e1/e2", 0755), 0);
    ck_assert_int_eq(mkdirat(bfd, "e1/e2/e3", 0755), 0);
    ck_assert_int_eq(mkdirat(bfd, "e1/link-holder", 0755), 0);
    ck_assert_int_eq(symlinkat("/etc/passwd", bfd, "e1/link-holder/l"), 0);
    expect("", "", "", (const char *const[]){ "dir/file", "visible", NULL });
    expect("", "/", "", (const char *const[]){ "P:dir/", "visible", NULL });
    expect(".s3cgi", "", "", (const char *const[]){ NULL });
    expect(".s3cgi/", "", "", (const char *const[]){ NULL });
    expect("e1/", "/", "", (const char *const[]){ NULL });
    expect("link-dir/", "", "", (const char *const[]){ NULL });
    /* the root of the data tree is out of reach too */
    ck_assert_int_eq(mkdirat(cfg.root_fd, "bkt2", 0755), 0);
    expect("../", "", "", (const char *const[]){ NULL });
    expect("/", "", "", (const char *const[]){ NULL });
    expect("/dir", "", "", (const char *const[]){ NULL });
    expect("./dir", "", "", (const char *const[]){ NULL });
    expect("dir//", "", "", (const char *const[]){ NULL });
}
END_TEST

START_TEST(t_etags_and_stop)
{
    put_all((const char *const[]){ "k1", "k2", "d/", "d/k3", "k4", NULL });
    int fd = openat(bfd, "plain", O_WRONLY | O_CREAT, 0644);   /* placed by hand */
    ck_assert_int_eq(write(fd, "plain", 5), 5);
    close(fd);
    struct listing l;
    memset(&l, 0, sizeof(l));
    l.want_etag = 1;
    walk(&l, "", "", "");
    ck_assert_int_eq(l.n, 6);
    ck_assert_int_eq(l.bad_etag, 0);
    listing_free(&l);
    l.want_etag = 0;
    walk(&l, "", "", "");
    ck_assert_int_eq(l.bad_etag, 0);
    listing_free(&l);
    /* the callback stops the walk */
    l.stop_after = 3;
    walk(&l, "", "", "");
    ck_assert_int_eq(l.n, 3);
    ck_assert_str_eq(l.v[2], "k1");
    listing_free(&l);
    l.stop_after = 1;
    walk(&l, "", "/", "");
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.v[0], "P:d/");
    listing_free(&l);
}
END_TEST

static int abort_cb(void *ctx, const struct walk_entry *e)
{
    (void)e;
    return ++*(int *)ctx == 2 ? -1 : 0;
}

START_TEST(t_abort)
{
    put_all((const char *const[]){ "a/b/c", "a/b/d", "a/e", NULL });
    int n = 0;
    struct walk_params wp = { "", 0, "", 0, "", 0, 0 };
    ck_assert_int_eq(store_walk(&cfg, bfd, &wp, abort_cb, &n), S3E_INTERNAL);
    ck_assert_int_eq(n, 2);
    /* NULL strings mean empty */
    struct walk_params nulls = { NULL, 0, NULL, 0, NULL, 0, 0 };
    struct listing l;
    memset(&l, 0, sizeof(l));
    ck_assert_int_eq(store_walk(&cfg, bfd, &nulls, collect, &l), S3E_OK);
    ck_assert_int_eq(l.n, 3);
    listing_free(&l);
}
END_TEST

START_TEST(t_paging_10000)
{
    char name[64];
    ck_assert_int_eq(mkdirat(bfd, "big", 0755), 0);
    int dfd = openat(bfd, "big", O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 10000; i++) {
        /* unpadded numbers: byte order differs from numeric order */
        snprintf(name, sizeof(name), "f%d", (i * 7919) % 10000);
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        ck_assert_int_ge(fd, 0);
        close(fd);
    }
    close(dfd);
    char after[64] = "";
    char prev[64] = "";
    size_t total = 0;
    for (int page = 0; page < 20; page++) {
        struct listing l;
        memset(&l, 0, sizeof(l));
        l.stop_after = 1000;
        walk(&l, "big/", "", after);
        if (l.n == 0) {
            listing_free(&l);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            ck_assert_msg(strcmp(prev, l.v[i]) < 0, "order: %s then %s", prev, l.v[i]);
            snprintf(prev, sizeof(prev), "%s", l.v[i]);
        }
        total += l.n;
        snprintf(after, sizeof(after), "%s", l.v[l.n - 1]);
        listing_free(&l);
    }
    ck_assert_int_eq(total, 10000);
    ck_assert_str_eq(prev, "big/f9999");
}
END_TEST

/* ---- randomized comparison with a reference ---- */

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* S3 semantics straight from the definition, over a sorted key array. */
static void reference(char **keys, size_t n, const char *p, const char *d, const char *a,
                      struct listing *out)
{
    size_t pl = strlen(p), dl = strlen(d);
    char last[2048] = "";
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i];
        if (strncmp(k, p, pl) != 0)
            continue;
        const char *hit = dl ? strstr(k + pl, d) : NULL;
        if (hit) {
            size_t cl = (size_t)(hit - k) + dl;
            char cp[2048];
            memcpy(cp, k, cl);
            cp[cl] = '\0';
            if (strcmp(cp, a) <= 0 || strcmp(cp, last) == 0)
                continue;
            strcpy(last, cp);
            struct walk_entry e = { cp, cl, 1, 0, { 0, 0 }, NULL };
            collect(out, &e);
            continue;
        }
        if (strcmp(k, a) <= 0)
            continue;
        struct walk_entry e = { k, strlen(k), 0, 0, { 0, 0 }, NULL };
        collect(out, &e);
    }
}

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static void random_string(unsigned *s, const char *alphabet, size_t maxlen, char *out)
{
    size_t n = 1 + rnd(s) % maxlen, al = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd(s) % al];
    out[n] = '\0';
}

START_TEST(t_random_vs_reference)
{
    unsigned seed = 12345u + (unsigned)_i * 7777u;
    size_t nonempty = 0;
    char *keys[400];
    size_t n = 0;
    char k[32];
    for (int tries = 0; tries < 600 && n < 400; tries++) {
        random_string(&seed, "ab-/0.", 8, k);
        if (s3_key_check(k, strlen(k)) != S3E_OK)
            continue;
        enum s3_err err = put(k, k[strlen(k) - 1] == '/' ? "" : k);
        if (err == S3E_KEY_CONFLICT)
            continue;
        ck_assert_msg(err == S3E_OK, "put %s: %d", k, err);
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(keys[i], k) == 0;
        if (!dup)
            keys[n++] = strdup(k);
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    static const char *const delims[] = { "", "/", "-", "a", "/-", "b/", "0a" };
    for (int round = 0; round < 400; round++) {
        char p[16] = "", a[16] = "";
        if (rnd(&seed) % 3)
            random_string(&seed, "ab-/0.", 3, p);
        if (rnd(&seed) % 2)
            snprintf(a, sizeof(a), "%s", keys[rnd(&seed) % n]);
        else if (rnd(&seed) % 2)
            random_string(&seed, "ab-/0.", 6, a);
        const char *d = delims[rnd(&seed) % 7];
        struct listing got, want;
        memset(&got, 0, sizeof(got));
        memset(&want, 0, sizeof(want));
        got.want_etag = round % 5 == 0;
        walk(&got, p, d, a);
        ck_assert_int_eq(got.bad_etag, 0);
        reference(keys, n, p, d, a, &want);
        nonempty += want.n > 0;
        for (size_t i = 0; i < got.n || i < want.n; i++)
            ck_assert_msg(i < got.n && i < want.n && strcmp(got.v[i], want.v[i]) == 0,
                          "prefix '%s' delim '%s' after '%s': entry %zu is '%s', want '%s'",
                          p, d, a, i, i < got.n ? got.v[i] : "(end)",
                          i < want.n ? want.v[i] : "(end)");
        listing_free(&got);
        listing_free(&want);
    }
    ck_assert_int_gt(n, 150);
    ck_assert_int_gt(nonempty, 200);     /* the rounds are not trivially empty */
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
}
END_TEST

static Suite *walk_suite(void)
{
    Suite *s = suite_create("walk");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_order);
    tcase_add_test(tc, t_prefix_mid_name);
    tcase_add_test(tc, t_delimiters);
    tcase_add_test(tc, t_after);
    tcase_add_test(tc, t_hidden);
    tcase_add_test(tc, t_etags_and_stop);
    tcase_add_test(tc, t_abort);
    tcase_add_test(tc, t_paging_10000);
    tcase_add_loop_test(tc, t_random_vs_reference, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(walk_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
