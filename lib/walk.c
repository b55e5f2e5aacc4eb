/* walk.c - listing a bucket's tree in S3 key order (GUIDE section 3, "Listing order").
 * See walk.h for the contract.
 *
 * Each directory visited is read once (readdir), filtered (reserved names, symlinks,
 * non-UTF-8 names, entries outside the prefix or wholly at or before `after`) and
 * sorted with a subdirectory compared as name + "/"; its entries are then visited in
 * that order, recursing into subdirectories. The walk starts in the deepest directory
 * the prefix names, and a subdirectory is entered only when `after` lies inside it
 * or before it, so a page resumes without reading what came before.
 *
 * Delimiter groups: a key or subdirectory whose path (after the prefix) already
 * holds the delimiter belongs to the common prefix ending there. A subdirectory that
 * lies wholly inside one group is only searched for any object (no sorting, first
 * hit wins); the group is reported then, and later entries inside it are skipped.
 *
 * Memory: every level mallocs its entry list and frees it before returning, on every
 * path; recursion depth is bounded by the key length (1024 / 2).
 */
#include "walk.h"
#include "config.h"
#include "meta.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

enum { W_CONT = 0, W_STOP = 1, W_FOUND = 2, W_ABORT = -1, W_IOERR = -2 };

struct wk {
    const struct s3_config *cfg;
    int bucketfd;
    const struct walk_params *wp;
    walk_cb cb;
    void *ctx;
    char key[S3_MAX_KEY_LEN + NAME_MAX + 2];   /* path of the current directory, as a key */
    size_t klen;
    char last[S3_MAX_KEY_LEN + 1];              /* last common prefix reported */
    size_t last_len;                            /* 0: none yet */
};

struct wk_ent { const char *name; size_t off, len; int isdir; };

/* One directory's entries; names live in one buffer (offsets until it stops growing). */
struct wk_list {
    struct wk_ent *v;
    size_t n, cap;
    char *names;
    size_t nlen, ncap;
};

static void list_free(struct wk_list *l)
{
    free(l->v);
    free(l->names);
}

static int list_add(struct wk_list *l, const char *name, size_t len, int isdir)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        struct wk_ent *nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    if (l->ncap - l->nlen < len + 1) {
        size_t nc = l->ncap ? l->ncap : 4096;
        while (nc - l->nlen < len + 1)
            nc *= 2;
        char *nn = realloc(l->names, nc);
        if (!nn)
            return -1;
        l->names = nn;
        l->ncap = nc;
    }
    memcpy(l->names + l->nlen, name, len + 1);
    l->v[l->n++] = (struct wk_ent){ NULL, l->nlen, len, isdir };
    l->nlen += len + 1;
    return 0;
}

/* S3 order within one directory: a subdirectory compares as its name + '/'. */
static int ent_cmp(const void *pa, const void *pb)
{
    const struct wk_ent *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->name, b->name, n);
    if (c)
        return c;
    unsigned ca = a->len > n ? (unsigned char)a->name[n] : (a->isdir ? '/' : 0);
    unsigned cb = b->len > n ? (unsigned char)b->name[n] : (b->isdir ? '/' : 0);
    return ca < cb ? -1 : ca > cb;
}

/* Byte-wise comparison of two strings, a shorter prefix first. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int starts_with(const char *s, size_t n, const char *p, size_t pn)
{
    return n >= pn && memcmp(s, p, pn) == 0;
}

static int after_ok(const struct wk *w, const char *s, size_t n)
{
    return w->wp->after_len == 0 || bytes_cmp(s, n, w->wp->after, w->wp->after_len) > 0;
}

/* Whether the entry s (a key, or a directory path ending in '/') can hold keys the
 * listing wants: keys starting with the prefix and greater than `after`. */
static int entry_wanted(const struct wk *w, const char *s, size_t n, int isdir)
{
    const struct walk_params *wp = w->wp;
    size_t m = n < wp->prefix_len ? n : wp->prefix_len;
    if (memcmp(s, wp->prefix, m) != 0 || (!isdir && n < wp->prefix_len))
        return 0;
    if (!isdir)
        return after_ok(w, s, n);
    return after_ok(w, s, n) || starts_with(wp->after, wp->after_len, s, n);
}

/* Length of the common prefix that groups s (the delimiter's first occurrence wholly
 * inside s, after the prefix), or 0. */
static size_t group_len(const struct wk *w, const char *s, size_t n)
{
    const struct walk_params *wp = w->wp;
    if (wp->delim_len == 0 || n < wp->prefix_len + wp->delim_len)
        return 0;
    const char *hit = memmem(s + wp->prefix_len, n - wp->prefix_len, wp->delimiter, wp->delim_len);
    return hit ? (size_t)(hit - s) + wp->delim_len : 0;
}

/* Classifies a directory entry: 1 directory, 0 regular file, -1 anything else. */
static int entry_type(DIR *d, const struct dirent *de)
{
    struct stat st;
    switch (de->d_type) {
    case DT_DIR:
        return 1;
    case DT_REG:
        return 0;
    case DT_UNKNOWN:
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return -1;
        return S_ISDIR(st.st_mode) ? 1 : S_ISREG(st.st_mode) ? 0 : -1;
    default:
        return -1;              /* symlinks, FIFOs, sockets, devices: never objects */
    }
}

/* Reads the directory into l. In group mode, returns W_FOUND at the first regular
 * file and collects only subdirectories, unfiltered; otherwise collects the wanted
 * entries. W_CONT, W_FOUND or W_IOERR. */
static int read_level(struct wk *w, DIR *d, int group, struct wk_list *l)
{
    for (;;) {
        errno = 0;
        const struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                return W_IOERR;
            break;
        }
        const char *name = de->d_name;
        size_t len = strlen(name);
        if ((name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))) ||
            store_reserved_name(name, len) || !utf8_valid(name, len))
            continue;
        int isdir = entry_type(d, de);
        if (isdir < 0 || w->klen + len + (size_t)isdir > S3_MAX_KEY_LEN)
            continue;
        if (group && !isdir)
            return W_FOUND;
        memcpy(w->key + w->klen, name, len);
        w->key[w->klen + len] = '/';
        if ((group || entry_wanted(w, w->key, w->klen + len + (size_t)isdir, isdir)) &&
            list_add(l, name, len, isdir))
            return W_IOERR;
    }
    for (size_t i = 0; i < l->n; i++)
        l->v[i].name = l->names + l->v[i].off;
    if (!group && l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), ent_cmp);
    return W_CONT;
}

static int call_cb(struct wk *w, const struct walk_entry *e)
{
    int r = w->cb(w->ctx, e);
    return r == 0 ? W_CONT : r > 0 ? W_STOP : W_ABORT;
}

static int emit_prefix(struct wk *w, size_t cp_len)
{
    struct walk_entry e;
    memset(&e, 0, sizeof(e));
    memcpy(w->last, w->key, cp_len);
    w->last_len = cp_len;
    e.key = w->last;
    e.key_len = cp_len;
    e.is_prefix = 1;
    return call_cb(w, &e);
}

/* Reports the regular file name in dir as the key w->key. */
static int emit_file(struct wk *w, int dir, const char *name)
{
    struct walk_entry e;
    struct stat st;
    struct s3_meta m;
    int fd = -1, r = W_CONT;
    if (w->wp->want_etag) {
        fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            goto fail;          /* gone or replaced meanwhile: not listed */
        if (meta_load(w->cfg, w->bucketfd, w->key, w->klen, fd, &st, NULL, &m) != S3E_OK) {
            r = W_IOERR;
            goto fail;
        }
    } else if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        goto fail;
    }
    memset(&e, 0, sizeof(e));
    e.key = w->key;
    e.key_len = w->klen;
    e.size = (long long)st.st_size;
    e.mtime = st.st_mtim;
    e.etag = w->wp->want_etag ? m.etag : NULL;
    r = call_cb(w, &e);
fail:
    if (fd >= 0)
        close(fd);
    return r;
}

/* 1 when the directory open on fd (path w->key, ending in '/') is a directory object. */
static int dir_marked(struct wk *w, int fd, struct s3_meta *m)
{
    struct stat st;
    return fstat(fd, &st) == 0 &&
           meta_load(w->cfg, w->bucketfd, w->key, w->klen, fd, &st, NULL, m) == S3E_OK;
}

static int walk_dir(struct wk *w, int fd, int group);

/* Reports the directory open on fd (path w->key) as the key w->key when it is a
 * wanted directory object, then walks its contents. Takes fd. */
static int visit_dir(struct wk *w, int fd)
{
    struct s3_meta m;
    if (w->klen >= w->wp->prefix_len && after_ok(w, w->key, w->klen) && dir_marked(w, fd, &m)) {
        struct walk_entry e;
        memset(&e, 0, sizeof(e));
        e.key = w->key;
        e.key_len = w->klen;
        e.mtime = m.mtime;
        e.etag = w->wp->want_etag ? m.etag : NULL;
        int r = call_cb(w, &e);
        if (r != W_CONT) {
            close(fd);
            return r;
        }
    }
    return walk_dir(w, fd, 0);
}

/* W_FOUND when the subtree open on fd (path w->key) holds any object. Takes fd. */
static int subtree_has_object(struct wk *w, int fd)
{
    struct s3_meta m;
    if (dir_marked(w, fd, &m)) {
        close(fd);
        return W_FOUND;
    }
    return walk_dir(w, fd, 1);
}

/* Visits one sorted entry of a normal (not group-mode) level. w->key holds its path. */
static int visit_entry(struct wk *w, DIR *d, const struct wk_ent *e)
{
    size_t cp = group_len(w, w->key, w->klen);
    if (w->last_len && starts_with(w->key, w->klen, w->last, w->last_len))
        return W_CONT;                          /* inside the group just reported */
    if (cp && !after_ok(w, w->key, cp))
        return W_CONT;                          /* group reported on an earlier page */
    if (!e->isdir)
        return cp ? emit_prefix(w, cp) : emit_file(w, dirfd(d), e->name);
    int fd = openat(dirfd(d), e->name, DIR_FLAGS);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == EACCES
                   ? W_CONT : W_IOERR;
    if (!cp)
        return visit_dir(w, fd);
    int r = subtree_has_object(w, fd);
    return r == W_FOUND ? emit_prefix(w, cp) : r;
}

/* Walks the directory open on fd, whose path is w->key[0..klen). Takes fd. In group
 * mode, only answers whether the subtree holds an object (W_FOUND). */
static int walk_dir(struct wk *w, int fd, int group)
{
    struct wk_list l;
    size_t base = w->klen;
    int r;
    memset(&l, 0, sizeof(l));
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return W_IOERR;
    }
    if ((r = read_level(w, d, group, &l)) != W_CONT)
        goto fail;
    for (size_t i = 0; i < l.n && r == W_CONT; i++) {
        const struct wk_ent *e = &l.v[i];
        memcpy(w->key + base, e->name, e->len);
        w->klen = base + e->len;
        if (e->isdir)
            w->key[w->klen++] = '/';
        if (!group) {
            r = visit_entry(w, d, e);
            continue;
        }
        int sub = openat(dirfd(d), e->name, DIR_FLAGS);
        if (sub >= 0)
            r = subtree_has_object(w, sub);
    }
fail:
    w->klen = base;
    closedir(d);
    list_free(&l);
    return r;
}

/* Opens the deepest directory the prefix names (its part up to the last '/'). 0 ok,
 * 1 when it cannot exist (nothing to list), -1 on an I/O error. */
static int open_start(struct wk *w, int *fd)
{
    const struct walk_params *wp = w->wp;
    size_t dlen = wp->prefix_len;
    while (dlen > 0 && wp->prefix[dlen - 1] != '/')
        dlen--;
    if (dlen > S3_MAX_KEY_LEN || !utf8_valid(wp->prefix, dlen))
        return 1;
    /* every directory named must be a possible key segment ("", ".", "..", reserved
     * and over-long ones are not: no key can start with such a prefix) */
    char name[NAME_MAX + 1];
    for (size_t s = 0, i = 0; i < dlen; i++) {
        if (wp->prefix[i] != '/')
            continue;
        if (store_component(wp->prefix + s, i - s, name, sizeof(name)) ||
            store_reserved_name(wp->prefix + s, i - s))
            return 1;
        s = i + 1;
    }
    int err = store_opendir_beneath(w->bucketfd, wp->prefix, dlen ? dlen - 1 : 0, fd);
    if (err)
        return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EINVAL ||
               err == ENAMETOOLONG || err == EACCES ? 1 : -1;
    memcpy(w->key, wp->prefix, dlen);
    w->klen = dlen;
    return 0;
}

enum s3_err store_walk(const struct s3_config *cfg, int bucketfd,
                       const struct walk_params *wp, walk_cb cb, void *ctx)
{
    struct wk w;
    struct walk_params p = *wp;     /* NULL strings are taken as empty */
    int fd = -1, r;
    if (!p.prefix || !p.prefix_len) {
        p.prefix = "";
        p.prefix_len = 0;
    }
    if (!p.delimiter || !p.delim_len) {
        p.delimiter = "";
        p.delim_len = 0;
    }
    if (!p.after || !p.after_len) {
        p.after = "";
        p.after_len = 0;
    }
    w.cfg = cfg;
    w.bucketfd = bucketfd;
    w.wp = &p;
    w.cb = cb;
    w.ctx = ctx;
    w.klen = 0;
    w.last_len = 0;
    if (p.prefix_len > S3_MAX_KEY_LEN)
        return S3E_OK;
    if ((r = open_start(&w, &fd)) != 0)
        return r > 0 ? S3E_OK : S3E_INTERNAL;
    /* the start directory itself is a key only when the prefix names it exactly */
    r = w.klen > 0 ? visit_dir(&w, fd) : walk_dir(&w, fd, 0);
    return r == W_ABORT || r == W_IOERR ? S3E_INTERNAL : S3E_OK;
}
