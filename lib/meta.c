/* meta.c - the metadata blob, its xattr and sidecar homes, and ETag revalidation.
 * See meta.h for the format and the contracts. */
#include "meta.h"
#include "config.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/xattr.h>

#define MAGIC "s3cgi1\n"
#define MAGIC_LEN 7
#define HASH_BLOCK 65536
#define SIDECAR_SUB "meta/"

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

static int xattr_unsupported(int err)
{
    return err == ENOTSUP || err == EOPNOTSUPP;
}

const char *s3_meta_get(const struct s3_meta *m, const char *name)
{
    for (size_t i = 0; i < m->nhdrs; i++)
        if (strcasecmp(m->hdrs[i].name, name) == 0)
            return m->hdrs[i].value;
    return NULL;
}

/* ---- blob ---- */

static void put_rec(struct buf *b, char tag, const char *p, size_t n)
{
    buf_printf(b, "%c%zu:", tag, n);
    buf_add(b, p, n);
    buf_addc(b, '\n');
}

static void put_num(struct buf *b, char tag, unsigned long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%llu", v);
    put_rec(b, tag, tmp, (size_t)n);
}

int meta_encode(const struct s3_meta *m, const struct stat *st, const char *key,
                size_t key_len, struct buf *out)
{
    buf_add(out, MAGIC, MAGIC_LEN);
    if (m->etag[0])
        put_rec(out, 'E', m->etag, strnlen(m->etag, sizeof(m->etag)));
    put_num(out, 'S', S_ISDIR(st->st_mode) ? 0 : (unsigned long long)st->st_size);
    char t[48];
    int n = snprintf(t, sizeof(t), "%lld.%09ld", (long long)st->st_mtim.tv_sec,
                     (long)st->st_mtim.tv_nsec);
    put_rec(out, 'T', t, (size_t)n);
    if (m->parts_count > 0)
        put_num(out, 'P', (unsigned long long)m->parts_count);
    if (m->is_dir)
        put_rec(out, 'D', "1", 1);
    if (key) {
        put_num(out, 'I', (unsigned long long)st->st_ino);
        put_rec(out, 'K', key, key_len);
    }
    for (size_t i = 0; i < m->nhdrs; i++) {
        put_rec(out, 'H', m->hdrs[i].name, strlen(m->hdrs[i].name));
        put_rec(out, 'V', m->hdrs[i].value, strlen(m->hdrs[i].value));
    }
    return out->failed ? -1 : 0;
}

static int stub_encode(struct buf *out)
{
    buf_add(out, MAGIC, MAGIC_LEN);
    put_rec(out, 'X', "1", 1);
    return out->failed ? -1 : 0;
}

/* Next record at *pos: 1 and tag/val/vlen, 0 at the end, -1 malformed. */
static int next_rec(const char *p, size_t n, size_t *pos, char *tag,
                    const char **val, size_t *vlen)
{
    size_t i = *pos, len = 0, digits = 0;
    if (i >= n)
        return 0;
    *tag = p[i++];
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 7) {
        len = len * 10 + (size_t)(p[i++] - '0');
        digits++;
    }
    if (digits == 0 || i >= n || p[i] != ':')
        return -1;
    i++;
    if (len > n - i || n - i - len < 1 || p[i + len] != '\n')
        return -1;
    *val = p + i;
    *vlen = len;
    *pos = i + len + 1;
    return 1;
}

static int parse_mtime(const char *v, size_t n, struct timespec *ts)
{
    const char *dot = memchr(v, '.', n);
    unsigned long long sec, nsec;
    if (!dot || parse_u64(v, (size_t)(dot - v), (unsigned long long)LLONG_MAX, &sec) ||
        parse_u64(dot + 1, n - (size_t)(dot - v) - 1, 999999999ULL, &nsec))
        return -1;
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = (long)nsec;
    return 0;
}

/* Applies one scalar record to m. 0 ok, -1 bad value. */
static int apply_rec(char tag, const char *v, size_t vlen, struct s3_meta *m,
                     struct meta_extra *x)
{
    unsigned long long u;
    switch (tag) {
    case 'E':
        if (vlen >= sizeof(m->etag))
            return -1;
        memcpy(m->etag, v, vlen);
        m->etag[vlen] = '\0';
        return 0;
    case 'S':
        if (parse_u64(v, vlen, (unsigned long long)LLONG_MAX, &u))
            return -1;
        m->size = (long long)u;
        return 0;
    case 'T':
        return parse_mtime(v, vlen, &m->mtime);
    case 'P':
        if (parse_u64(v, vlen, 100000, &u))
            return -1;
        m->parts_count = (int)u;
        return 0;
    case 'D':
        m->is_dir = vlen == 1 && v[0] == '1';
        return 0;
    case 'I':
        return parse_u64(v, vlen, ~0ULL, &x->ino);
    case 'K':
        x->key = v;
        x->key_len = vlen;
        return 0;
    case 'X':
        x->in_sidecar = vlen == 1 && v[0] == '1';
        return 0;
    default:
        return 0;               /* H/V handled by the caller; unknown tags skipped */
    }
}

int meta_decode(const char *p, size_t n, struct arena *a, struct s3_meta *m,
                struct meta_extra *x)
{
    memset(m, 0, sizeof(*m));
    memset(x, 0, sizeof(*x));
    if (n < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return -1;
    size_t pos = MAGIC_LEN, nh = 0;
    char tag;
    const char *v;
    size_t vlen;
    int r;
    while ((r = next_rec(p, n, &pos, &tag, &v, &vlen)) == 1) {
        if (tag == 'H')
            nh++;
        else if (apply_rec(tag, v, vlen, m, x))
            return -1;
    }
    if (r < 0)
        return -1;
    if (!a || nh == 0)
        return 0;
    /* second pass: the headers, each H followed by its V */
    if (!(m->hdrs = arena_zalloc(a, nh * sizeof(*m->hdrs))))
        return -1;
    pos = MAGIC_LEN;
    char *name = NULL;
    while (next_rec(p, n, &pos, &tag, &v, &vlen) == 1) {
        if (tag == 'H') {
            if (!(name = arena_strndup(a, v, vlen)))
                return -1;
        } else if (tag == 'V' && name && m->nhdrs < nh) {
            char *value = arena_strndup(a, v, vlen);
            if (!value)
                return -1;
            m->hdrs[m->nhdrs].name = name;
            m->hdrs[m->nhdrs].value = value;
            m->nhdrs++;
            name = NULL;
        }
    }
    return 0;
}

/* ---- MD5 ---- */

int meta_md5_fd(int fd, char hex[33])
{
    int ret = -1, saved = 0;
    unsigned char *block = malloc(HASH_BLOCK);
    unsigned char md[HASH_MD5_LEN];
    struct hash_ctx ctx;
    off_t off = 0;
    if (!block) {
        saved = ENOMEM;
        goto fail;
    }
    hash_init(&ctx, HASH_MD5);
    for (;;) {
        ssize_t n = pread(fd, block, HASH_BLOCK, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            goto fail;
        }
        if (n == 0)
            break;
        hash_update(&ctx, block, (size_t)n);
        off += n;
    }
    hash_final(&ctx, md);
    hex_encode(md, 16, hex);
    ret = 0;
fail:
    free(block);
    if (ret)
        errno = saved;
    return ret;
}

/* ---- sidecar: root/.s3cgi/meta/XX/<62 hex> ---- */

struct sidecar_name { char dir[sizeof(SIDECAR_SUB) + 2]; char file[63]; };

/* Names the sidecar of inode ino in the bucket open on bucketfd. */
static int sidecar_name(int bucketfd, unsigned long long ino, struct sidecar_name *sn)
{
    struct stat bst;
    if (fstat(bucketfd, &bst) != 0)
        return -1;
    unsigned char in[16], md[HASH_SHA256_LEN];
    unsigned long long b = (unsigned long long)bst.st_ino;
    for (int i = 0; i < 8; i++) {
        in[i] = (unsigned char)(b >> (8 * i));
        in[8 + i] = (unsigned char)(ino >> (8 * i));
    }
    hash_once(HASH_SHA256, in, sizeof in, md);
    char hex[65];
    hex_encode(md, 32, hex);
    snprintf(sn->dir, sizeof(sn->dir), SIDECAR_SUB "%.2s", hex);
    snprintf(sn->file, sizeof(sn->file), "%s", hex + 2);
    return 0;
}

/* Opens root/.s3cgi/<sn->dir> without creating it. 0 ok, else errno. */
static int sidecar_dir_open(const struct s3_config *cfg, const struct sidecar_name *sn, int *dfd)
{
    char rel[sizeof(S3_RESERVED_DIR) + sizeof(sn->dir) + 1];
    int n = snprintf(rel, sizeof(rel), "%s/%s", S3_RESERVED_DIR, sn->dir);
    return store_opendir_beneath(cfg->root_fd, rel, (size_t)n, dfd);
}

/* 0 and the blob in out, 1 when there is none. */
static int sidecar_read(const struct s3_config *cfg, int bucketfd, unsigned long long ino,
                        struct buf *out)
{
    struct sidecar_name sn;
    int dfd = -1, fd = -1, ret = 1;
    char chunk[4096];
    if (sidecar_name(bucketfd, ino, &sn) || sidecar_dir_open(cfg, &sn, &dfd))
        goto fail;
    if ((fd = openat(dfd, sn.file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
        goto fail;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || buf_add(out, chunk, (size_t)n))
            goto fail;
        if (n == 0)
            break;
    }
    ret = 0;
fail:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return ret;
}

/* Replaces the sidecar of st's inode atomically (temp file + rename beside it). */
static enum s3_err sidecar_write(const struct s3_config *cfg, int bucketfd,
                                 const struct stat *st, const struct buf *blob)
{
    struct sidecar_name sn;
    int dfd = -1;
    if (sidecar_name(bucketfd, (unsigned long long)st->st_ino, &sn))
        return S3E_INTERNAL;
    enum s3_err err = store_reserved_open(cfg, sn.dir, &dfd);
    if (!err)
        err = store_errno(store_write_atomic(cfg, dfd, sn.file, STORE_TMP_PREFIX, blob->data,
                                             blob->len));
    if (dfd >= 0)
        close(dfd);
    return err;
}

static void sidecar_remove(const struct s3_config *cfg, int bucketfd, unsigned long long ino)
{
    struct sidecar_name sn;
    int dfd = -1;
    if (sidecar_name(bucketfd, ino, &sn) || sidecar_dir_open(cfg, &sn, &dfd))
        return;
    unlinkat(dfd, sn.file, 0);
    close(dfd);
}

/* ---- loading ---- */

/* Reads the xattr blob of fd into out: 0 found, 1 none, 2 xattrs unsupported. */
static int xattr_read(int fd, struct buf *out)
{
    char small[4096];
    ssize_t n = fgetxattr(fd, META_XATTR, small, sizeof(small));
    if (n >= 0)
        return buf_add(out, small, (size_t)n) ? 1 : 0;
    if (xattr_unsupported(errno))
        return 2;
    if (errno != ERANGE)
        return 1;
    ssize_t need = fgetxattr(fd, META_XATTR, NULL, 0);
    char *big = need > 0 && need <= META_MAX_BLOB ? malloc((size_t)need) : NULL;
    if (!big)
        return 1;
    n = fgetxattr(fd, META_XATTR, big, (size_t)need);
    int r = n >= 0 && buf_add(out, big, (size_t)n) == 0 ? 0 : 1;
    free(big);
    return r;
}

/* Reads and decodes the blob of the object on fd, following an xattr stub (or the
 * lack of xattrs) into the sidecar. 0 found (and, from a sidecar, made for this
 * inode and key), 1 none. */
static int load_blob(const struct s3_config *cfg, int bucketfd, const char *key,
                     size_t key_len, int fd, const struct stat *st, struct arena *a,
                     struct s3_meta *m)
{
    struct buf b;
    struct meta_extra x;
    int ret = 1, r;
    buf_init(&b, META_MAX_BLOB);
    if ((r = xattr_read(fd, &b)) == 1)
        goto fail;
    if (r == 0 && meta_decode(b.data, b.len, a, m, &x))
        goto fail;
    if (r == 2 || x.in_sidecar) {
        buf_reset(&b);
        if (sidecar_read(cfg, bucketfd, (unsigned long long)st->st_ino, &b) ||
            meta_decode(b.data, b.len, a, m, &x) ||
            x.ino != (unsigned long long)st->st_ino || x.key_len != key_len ||
            memcmp(x.key, key, key_len) != 0)
            goto fail;
    }
    ret = 0;
fail:
    buf_free(&b);
    if (ret)
        memset(m, 0, sizeof(*m));
    return ret;
}

static int same_version(const struct stat *x, const struct stat *y)
{
    return x->st_ino == y->st_ino && x->st_size == y->st_size &&
           x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* Blob missing or stale: MD5 the content and cache it (best effort). */
static enum s3_err recompute(const struct s3_config *cfg, int bucketfd, const char *key,
                             size_t key_len, int fd, const struct stat *st, struct s3_meta *m)
{
    memset(m, 0, sizeof(*m));
    if (meta_md5_fd(fd, m->etag))
        return S3E_INTERNAL;
    struct stat after;
    /* cache only if nobody changed the file while it was hashed */
    if (fstat(fd, &after) == 0 && same_version(st, &after))
        (void)meta_store(cfg, bucketfd, key, key_len, fd, st, m);
    return S3E_OK;
}

enum s3_err meta_load(const struct s3_config *cfg, int bucketfd, const char *key,
                      size_t key_len, int fd, const struct stat *st, struct arena *a,
                      struct s3_meta *m)
{
    int found = load_blob(cfg, bucketfd, key, key_len, fd, st, a, m) == 0;
    if (S_ISDIR(st->st_mode)) {
        if (!found || !m->is_dir)
            return S3E_NO_SUCH_KEY;
        if (!m->etag[0])
            memcpy(m->etag, META_EMPTY_MD5, sizeof(META_EMPTY_MD5));
        m->size = 0;
        return S3E_OK;
    }
    if (!S_ISREG(st->st_mode))
        return S3E_NO_SUCH_KEY;
    if (!found || m->is_dir || !m->etag[0] || m->size != (long long)st->st_size ||
        m->mtime.tv_sec != st->st_mtim.tv_sec || m->mtime.tv_nsec != st->st_mtim.tv_nsec) {
        enum s3_err err = recompute(cfg, bucketfd, key, key_len, fd, st, m);
        if (err)
            return err;
    }
    m->size = (long long)st->st_size;
    m->mtime = st->st_mtim;
    return S3E_OK;
}

/* ---- storing ---- */

static enum s3_err store_sidecar_blob(const struct s3_config *cfg, int bucketfd,
                                      const char *key, size_t key_len,
                                      const struct stat *st, const struct s3_meta *m)
{
    struct buf b;
    buf_init(&b, META_MAX_BLOB);
    enum s3_err err = meta_encode(m, st, key, key_len, &b) ? S3E_INTERNAL
                                                          : sidecar_write(cfg, bucketfd, st, &b);
    buf_free(&b);
    return err;
}

enum s3_err meta_store(const struct s3_config *cfg, int bucketfd, const char *key,
                       size_t key_len, int fd, const struct stat *st,
                       const struct s3_meta *m)
{
    struct buf b;
    enum s3_err err = S3E_INTERNAL;
    buf_init(&b, META_MAX_BLOB);
    if (meta_encode(m, st, NULL, 0, &b))
        goto fail;
    if (fsetxattr(fd, META_XATTR, b.data, b.len, 0) == 0) {
        err = S3E_OK;
        goto fail;
    }
    int e = errno;
    if (xattr_unsupported(e)) {
        err = store_sidecar_blob(cfg, bucketfd, key, key_len, st, m);
    } else if (e == E2BIG || e == ERANGE || e == ENOSPC) {
        /* too large for this filesystem's xattr space: sidecar plus a small stub (a
         * full disk fails here too, and reports ENOSPC) */
        buf_reset(&b);
        if ((err = store_sidecar_blob(cfg, bucketfd, key, key_len, st, m)) == S3E_OK &&
            (stub_encode(&b) || fsetxattr(fd, META_XATTR, b.data, b.len, 0)))
            err = b.failed ? S3E_INTERNAL : store_errno(errno);
    } else {
        err = store_errno(e);
    }
fail:
    buf_free(&b);
    return err;
}

void meta_remove(const struct s3_config *cfg, int bucketfd, int fd, const struct stat *st)
{
    if (fd >= 0)
        (void)fremovexattr(fd, META_XATTR);
    sidecar_remove(cfg, bucketfd, (unsigned long long)st->st_ino);
}
