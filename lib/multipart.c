/* multipart.c - the staging model of multipart uploads. The layout, the states, the
 * locking protocol and the crash-safety argument are in multipart.h.
 *
 * Record format shared by info, done and the part trailers (as meta.h's blob):
 *   MAGIC line, then records  TAG LEN ':' BYTES '\n'  (LEN decimal, BYTES raw).
 *   info:    B bucket, K key, A checksum algorithm, C checksum type, H name / V value
 *   done:    K key, E etag, S size, N parts, A checksum algorithm, X checksum value
 *   trailer: S size, M md5 hex, A checksum algorithm, X checksum value; padded with
 *            spaces to MP_TRAILER - 1 bytes and a final '\n'.
 * Unknown tags are skipped, so fields can be added.
 */
#include "multipart.h"
#include "buf.h"
#include "config.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
#define STAGING "multipart"
#define TRASH ".trash"              /* root/.s3cgi/multipart/.trash (never a bucket name) */
#define TRASH_FILE_COST (64LL << 10) /* mp_trash_free: a file removed counts as this many bytes */
#define INFO_MAGIC "s3cgi-mpu1\n"
#define DONE_MAGIC "s3cgi-mpdone1\n"
#define PART_MAGIC "s3cgi-part1\n"
#define INFO_MAX (MP_HDRS_MAX + S3_MAX_KEY_LEN + 1024)
#define DONE_MAX (S3_MAX_KEY_LEN + 1024)
#define TMP_PREFIX ".tmp-"
#define CREATE_RETRIES 8
#define WALK_MAX_DEPTH 128          /* temp-file walk: deeper directories are skipped */
#define LOCK_OFD 1
#define LOCK_CLASSIC 2

/* ---- small file helpers ---- */

static enum s3_err write_err(int e)
{
    enum s3_err err = store_errno(e);
    return err == S3E_NO_SUCH_KEY || err == S3E_KEY_CONFLICT ? S3E_INTERNAL : err;
}

/* Reads the whole regular file dir/name (at most cap bytes) into buf. 0, or an errno
 * (EFBIG when larger than cap). */
static int read_small(int dir, const char *name, char *buf, size_t cap, size_t *len)
{
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = 0;
    size_t got = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        e = ENOENT;
        goto out;
    }
    if ((unsigned long long)st.st_size > cap) {
        e = EFBIG;
        goto out;
    }
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *len = got;
out:
    close(fd);
    return e;
}

/* Writes data to dir/name atomically: temp file, fsync, rename, fsync dir. */
static enum s3_err write_atomic(const struct s3_config *cfg, int dir, const char *name,
                                const void *data, size_t len)
{
    return write_err(store_write_atomic(cfg, dir, name, TMP_PREFIX, data, len));
}

/* ---- records ---- */

static void put_rec(struct buf *b, char tag, const char *p, size_t n)
{
    buf_printf(b, "%c%zu:", tag, n);
    buf_add(b, p, n);
    buf_addc(b, '\n');
}

static void put_num(struct buf *b, char tag, long long v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", v);
    put_rec(b, tag, t, (size_t)n);
}

/* Next record of p[0..n) at *pos. 1 got one, 0 end (or padding), -1 malformed. */
static int next_rec(const char *p, size_t n, size_t *pos, char *tag, const char **v,
                    size_t *vlen)
{
    size_t i = *pos;
    if (i >= n || p[i] == ' ')
        return 0;
    *tag = p[i++];
    size_t len = 0, digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 9) {
        len = len * 10 + (size_t)(p[i++] - '0');
        digits++;
    }
    if (!digits || i >= n || p[i] != ':' || n - i - 1 < len + 1 || p[i + 1 + len] != '\n')
        return -1;
    *v = p + i + 1;
    *vlen = len;
    *pos = i + 2 + len;
    return 1;
}

static int rec_num(const char *v, size_t n, long long *out)
{
    unsigned long long x;
    if (parse_u64(v, n, (unsigned long long)LLONG_MAX, &x) < 0)
        return -1;
    *out = (long long)x;
    return 0;
}

static int rec_str(const char *v, size_t n, char *out, size_t cap)
{
    if (n >= cap || memchr(v, '\0', n))
        return -1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

/* ---- ids ---- */

int mp_id_valid(const char *id)
{
    size_t i;
    for (i = 0; id[i] && i <= MP_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return i == MP_ID_LEN;
}

struct timespec mp_id_time(const char *id)
{
    unsigned long long ns = 0;
    for (int i = 0; i < 16; i++)
        ns = ns << 4 | (unsigned long long)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };
    return ts;
}

static int make_id(char id[MP_ID_LEN + 1])
{
    unsigned char rnd[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;          /* no fallback: an id must never be guessable */
    unsigned long long ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
    snprintf(id, 17, "%016llx", ns);
    hex_encode(rnd, sizeof rnd, id + 16);
    return 0;
}

/* root/.s3cgi/multipart/<bucket> relative to the root, or -1 for a bad bucket. */
static int staging_rel(const char *bucket, char *out, size_t cap)
{
    if (s3_bucket_name_check(bucket) != S3E_OK)
        return -1;
    int n = snprintf(out, cap, "%s/%s/%s", S3_RESERVED_DIR, STAGING, bucket);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* ---- locks ---- */

/* Takes (type F_RDLCK/F_WRLCK) or drops (F_UNLCK) the whole-file lock on fd.
 * Returns 0 and the kind used in *kind, or an errno (EAGAIN/EACCES: busy, no wait). */
static int lock_fd(int fd, short type, int wait, int *kind)
{
    struct flock fl;
    for (;;) {
        memset(&fl, 0, sizeof fl);
        fl.l_type = type;
        fl.l_whence = SEEK_SET;
        int cmd;
        if (*kind == LOCK_CLASSIC)
            cmd = wait ? F_SETLKW : F_SETLK;
        else
            cmd = wait ? F_OFD_SETLKW : F_OFD_SETLK;
        if (fcntl(fd, cmd, &fl) == 0) {
            if (!*kind)
                *kind = LOCK_OFD;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EINVAL && *kind == 0) {
            *kind = LOCK_CLASSIC;   /* kernel without OFD locks (< 3.15) */
            continue;
        }
        return errno;
    }
}

int mp_lock(struct mp_upload *u, enum mp_lock_mode mode)
{
    int kind = 0;
    int e = lock_fd(u->lockfd, mode == MP_LOCK_EXCLUSIVE ? F_WRLCK : F_RDLCK, 1, &kind);
    if (!e)
        u->locked = kind;
    return e;
}

void mp_unlock(struct mp_upload *u)
{
    if (u->locked && u->lockfd >= 0) {
        int kind = u->locked;
        (void)lock_fd(u->lockfd, F_UNLCK, 0, &kind);
    }
    u->locked = 0;
}

/* ---- info ---- */

/* Parses info. a NULL: headers skipped and strings point into p (not NUL-terminated;
 * bucket compared in place). 0 ok, -1 malformed or another bucket. */
static int info_parse(const char *p, size_t n, const char *bucket, struct arena *a,
                      struct mp_upload *u)
{
    size_t pos = sizeof INFO_MAGIC - 1, vlen;
    const char *v;
    char tag;
    int r, have_bucket = 0;
    if (n < pos || memcmp(p, INFO_MAGIC, pos) != 0)
        return -1;
    u->key = NULL;
    u->alg = CK_NONE;
    u->ck_type = NULL;
    u->nhdrs = 0;
    if (a) {
        u->hdrs = arena_alloc(a, MP_MAX_HDRS * sizeof *u->hdrs);
        if (!u->hdrs)
            return -1;
    }
    while ((r = next_rec(p, n, &pos, &tag, &v, &vlen)) == 1) {
        switch (tag) {
        case 'B':
            if (vlen != strlen(bucket) || memcmp(v, bucket, vlen) != 0)
                return -1;
            have_bucket = 1;
            break;
        case 'K':
            u->key = a ? arena_strndup(a, v, vlen) : v;
            u->key_len = vlen;
            break;
        case 'A':
            u->alg = checksum_alg_from_name(v, vlen);
            break;
        case 'C':
            if (a)
                u->ck_type = arena_strndup(a, v, vlen);
            break;
        case 'H': {
            const char *hv;
            size_t hvlen;
            char vt;
            if (next_rec(p, n, &pos, &vt, &hv, &hvlen) != 1 || vt != 'V')
                return -1;
            if (!a)
                break;
            if (u->nhdrs == MP_MAX_HDRS)
                return -1;
            u->hdrs[u->nhdrs].name = arena_strndup(a, v, vlen);
            u->hdrs[u->nhdrs].value = arena_strndup(a, hv, hvlen);
            if (!u->hdrs[u->nhdrs].name || !u->hdrs[u->nhdrs].value)
                return -1;
            u->nhdrs++;
            break;
        }
        default:
            break;
        }
    }
    return r < 0 || !have_bucket || !u->key ? -1 : 0;
}

enum s3_err mp_create(const struct s3_config *cfg, const char *bucket, const char *key,
                      size_t key_len, enum checksum_alg alg, const char *ck_type,
                      const struct s3_meta_kv *hdrs, size_t nhdrs, char id[MP_ID_LEN + 1])
{
    char sub[128];
    struct buf b;
    int bdir = -1, dfd = -1, made = 0;
    size_t hsize = 0;
    enum s3_err err = S3E_INTERNAL;
    buf_init(&b, INFO_MAX);
    for (size_t i = 0; i < nhdrs; i++)
        hsize += strlen(hdrs[i].name) + strlen(hdrs[i].value) + 32;
    if (hsize > MP_HDRS_MAX || nhdrs > MP_MAX_HDRS) {
        err = S3E_METADATA_TOO_LARGE;
        goto fail;
    }
    buf_adds(&b, INFO_MAGIC);
    put_rec(&b, 'B', bucket, strlen(bucket));
    put_rec(&b, 'K', key, key_len);
    if (alg != CK_NONE)
        put_rec(&b, 'A', checksum_alg_name(alg), strlen(checksum_alg_name(alg)));
    if (ck_type)
        put_rec(&b, 'C', ck_type, strlen(ck_type));
    for (size_t i = 0; i < nhdrs; i++) {
        put_rec(&b, 'H', hdrs[i].name, strlen(hdrs[i].name));
        put_rec(&b, 'V', hdrs[i].value, strlen(hdrs[i].value));
    }
    if (b.failed || snprintf(sub, sizeof sub, "%s/%s", STAGING, bucket) >= (int)sizeof sub)
        goto fail;
    /* the bucket's staging directory can be pruned by purge between open and mkdir */
    for (int i = 0; i < CREATE_RETRIES && !made; i++) {
        if (bdir < 0 && (err = store_reserved_open(cfg, sub, &bdir)))
            goto fail;
        if (make_id(id) < 0) {
            err = S3E_INTERNAL;
            goto fail;
        }
        if (mkdirat(bdir, id, 0700) == 0) {
            made = 1;
        } else if (errno == ENOENT) {
            close(bdir);
            bdir = -1;
        } else if (errno != EEXIST) {
            err = write_err(errno);
            goto fail;
        }
    }
    if (!made) {
        err = S3E_INTERNAL;
        goto fail;
    }
    if ((dfd = openat(bdir, id, DIR_FLAGS)) < 0) {
        err = write_err(errno);
        goto fail;
    }
    int lfd = openat(dfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lfd < 0) {
        err = write_err(errno);
        goto fail;
    }
    close(lfd);
    if ((err = write_atomic(cfg, dfd, "info", b.data, b.len)))
        goto fail;
    if (cfg->fsync && fsync(bdir) != 0) {
        err = write_err(errno);
        goto fail;
    }
    err = S3E_OK;
fail:
    if (err && made) {
        if (dfd >= 0) {
            unlinkat(dfd, "info", 0);
            unlinkat(dfd, "lock", 0);
        }
        unlinkat(bdir, id, AT_REMOVEDIR);
    }
    if (dfd >= 0)
        close(dfd);
    if (bdir >= 0)
        close(bdir);
    buf_free(&b);
    return err;
}

static enum s3_err open_err(int e)
{
    return e == ENOENT || e == ENOTDIR || e == ELOOP ? S3E_NO_SUCH_UPLOAD : store_errno(e);
}

enum s3_err mp_open(const struct s3_config *cfg, const char *bucket, const char *id,
                    struct arena *a, struct mp_upload *u)
{
    char rel[128];
    size_t len = 0;
    int n, e;
    char *info = NULL;
    memset(u, 0, sizeof *u);
    u->bdirfd = u->dirfd = u->lockfd = -1;
    if (!id || !mp_id_valid(id) || (n = staging_rel(bucket, rel, sizeof rel)) < 0)
        return S3E_NO_SUCH_UPLOAD;
    memcpy(u->id, id, MP_ID_LEN + 1);
    u->initiated = mp_id_time(id);
    if ((e = store_opendir_beneath(cfg->root_fd, rel, (size_t)n, &u->bdirfd)))
        return open_err(e);
    if ((u->dirfd = openat(u->bdirfd, id, DIR_FLAGS)) < 0)
        return open_err(errno);
    if ((u->lockfd = openat(u->dirfd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return open_err(errno);
    if (!(info = arena_alloc(a, INFO_MAX)))
        return S3E_INTERNAL;
    if ((e = read_small(u->dirfd, "info", info, INFO_MAX, &len)))
        return e == EFBIG ? S3E_NO_SUCH_UPLOAD : open_err(e);
    if (info_parse(info, len, bucket, a, u) < 0)
        return S3E_NO_SUCH_UPLOAD;
    u->bucket = arena_strdup(a, bucket);
    return u->bucket ? S3E_OK : S3E_INTERNAL;
}

void mp_close(struct mp_upload *u)
{
    mp_unlock(u);
    if (u->lockfd >= 0)
        close(u->lockfd);
    if (u->dirfd >= 0)
        close(u->dirfd);
    if (u->bdirfd >= 0)
        close(u->bdirfd);
    u->lockfd = u->dirfd = u->bdirfd = -1;
}

enum mp_state mp_state(const struct mp_upload *u)
{
    struct stat st;
    if (fstatat(u->dirfd, "info", &st, AT_SYMLINK_NOFOLLOW) != 0)
        return MP_GONE;
    if (fstatat(u->dirfd, "done", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return MP_DONE;
    return MP_ACTIVE;
}

/* ---- parts ---- */

static void part_name(int n, char out[8])
{
    snprintf(out, 8, "p%05d", n);
}

/* Part number of a part file name, or 0. */
static int part_number(const char *name)
{
    if (name[0] != 'p' || strlen(name) != 6)
        return 0;
    int n = 0;
    for (int i = 1; i < 6; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        n = n * 10 + (name[i] - '0');
    }
    return n >= 1 && n <= MP_MAX_PARTS ? n : 0;
}

enum s3_err mp_part_begin(struct mp_upload *u, struct mp_part_tmp *t)
{
    int e = EEXIST;
    t->fd = -1;
    t->name[0] = '\0';
    for (int i = 0; i < CREATE_RETRIES && t->fd < 0 && e == EEXIST; i++) {
        store_tmp_name(t->name, sizeof t->name, TMP_PREFIX);
        t->fd = openat(u->dirfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        e = t->fd < 0 ? errno : 0;
    }
    if (t->fd >= 0)
        return S3E_OK;
    t->name[0] = '\0';
    return e == ENOENT ? S3E_NO_SUCH_UPLOAD : write_err(e);
}

enum s3_err mp_part_write(struct mp_part_tmp *t, const void *data, size_t len)
{
    return write_all(t->fd, data, len) != 0 ? write_err(errno) : S3E_OK;
}

void mp_part_abort(struct mp_upload *u, struct mp_part_tmp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    if (t->name[0] && u->dirfd >= 0)
        unlinkat(u->dirfd, t->name, 0);
    t->fd = -1;
    t->name[0] = '\0';
}

static int trailer_encode(const struct mp_part *p, char out[MP_TRAILER])
{
    struct buf b;
    buf_init(&b, MP_TRAILER);
    buf_adds(&b, PART_MAGIC);
    put_num(&b, 'S', p->size);
    put_rec(&b, 'M', p->md5, 32);
    if (p->ck_alg != CK_NONE && p->ck[0]) {
        const char *an = checksum_alg_name(p->ck_alg);
        put_rec(&b, 'A', an, strlen(an));
        put_rec(&b, 'X', p->ck, strlen(p->ck));
    }
    int ok = !b.failed && b.len < MP_TRAILER;
    if (ok) {
        memcpy(out, b.data, b.len);
        memset(out + b.len, ' ', MP_TRAILER - b.len - 1);
        out[MP_TRAILER - 1] = '\n';
    }
    buf_free(&b);
    return ok ? 0 : -1;
}

static int trailer_decode(const char *t, struct mp_part *p)
{
    size_t pos = sizeof PART_MAGIC - 1, vlen;
    const char *v;
    char tag;
    int r, have_size = 0;
    if (memcmp(t, PART_MAGIC, pos) != 0 || t[MP_TRAILER - 1] != '\n')
        return -1;
    p->md5[0] = '\0';
    p->ck_alg = CK_NONE;
    p->ck[0] = '\0';
    while ((r = next_rec(t, MP_TRAILER - 1, &pos, &tag, &v, &vlen)) == 1) {
        if (tag == 'S') {
            if (rec_num(v, vlen, &p->size) < 0)
                return -1;
            have_size = 1;
        } else if (tag == 'M') {
            if (vlen != 32 || rec_str(v, vlen, p->md5, sizeof p->md5) < 0)
                return -1;
        } else if (tag == 'A') {
            p->ck_alg = checksum_alg_from_name(v, vlen);
        } else if (tag == 'X') {
            if (rec_str(v, vlen, p->ck, sizeof p->ck) < 0)
                return -1;
        }
    }
    if (p->ck_alg == CK_NONE)
        p->ck[0] = '\0';
    return r < 0 || !have_size || !p->md5[0] ? -1 : 0;
}

enum s3_err mp_part_commit(const struct s3_config *cfg, struct mp_upload *u,
                           struct mp_part_tmp *t, struct mp_part *p)
{
    char trailer[MP_TRAILER], name[8];
    struct stat st;
    enum s3_err err = S3E_INTERNAL;
    int e, gone = 0;
    if (p->number < 1 || p->number > MP_MAX_PARTS || trailer_encode(p, trailer) < 0)
        goto out;
    if (fstat(t->fd, &st) != 0 || st.st_size != p->size)
        goto out;
    for (size_t off = 0; off < MP_TRAILER;) {
        ssize_t w = pwrite(t->fd, trailer + off, MP_TRAILER - off, p->size + (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            err = write_err(errno);
            goto out;
        }
        off += (size_t)w;
    }
    if ((cfg->fsync && fsync(t->fd) != 0) || fstat(t->fd, &st) != 0) {
        err = write_err(errno);
        goto out;
    }
    p->mtime = st.st_mtim;
    if ((e = mp_lock(u, MP_LOCK_SHARED))) {
        err = store_errno(e);
        goto out;
    }
    if (mp_state(u) != MP_ACTIVE) {
        err = S3E_NO_SUCH_UPLOAD;
        gone = 1;
        goto out;
    }
    part_name(p->number, name);
    if (renameat(u->dirfd, t->name, u->dirfd, name) != 0) {
        err = errno == ENOENT ? S3E_NO_SUCH_UPLOAD : write_err(errno);
        goto out;
    }
    t->name[0] = '\0';
    err = S3E_OK;
    if (cfg->fsync && fsync(u->dirfd) != 0)
        err = write_err(errno);
out:
    mp_unlock(u);
    mp_part_abort(u, t);
    if (gone)
        unlinkat(u->bdirfd, u->id, AT_REMOVEDIR);   /* an aborted upload's last leftover */
    return err;
}

enum s3_err mp_part_open(struct mp_upload *u, int n, int *fd, struct mp_part *p)
{
    char name[8], t[MP_TRAILER];
    struct stat st;
    *fd = -1;
    if (n < 1 || n > MP_MAX_PARTS)
        return S3E_INVALID_PART;
    part_name(n, name);
    int f = openat(u->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (f < 0)
        return errno == ENOENT ? S3E_INVALID_PART : store_errno(errno);
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < MP_TRAILER ||
        pread(f, t, MP_TRAILER, st.st_size - MP_TRAILER) != MP_TRAILER ||
        trailer_decode(t, p) < 0 || p->size != st.st_size - MP_TRAILER) {
        close(f);
        return S3E_INVALID_PART;
    }
    p->number = n;
    p->mtime = st.st_mtim;
    *fd = f;
    return S3E_OK;
}

/* Opens dir for reading its entries (a new description, so dir's own offset stays). */
static DIR *open_dir(int dir)
{
    int fd = openat(dir, ".", DIR_FLAGS);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    return d;
}

int mp_part_scan(struct mp_upload *u, unsigned char bits[MP_BITMAP_BYTES])
{
    memset(bits, 0, MP_BITMAP_BYTES);
    DIR *d = open_dir(u->dirfd);
    if (!d)
        return errno;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int n = part_number(de->d_name);
        if (n)
            bits[n / 8] |= (unsigned char)(1u << (n % 8));
    }
    closedir(d);
    return 0;
}

/* ---- done ---- */

enum s3_err mp_done_write(const struct s3_config *cfg, struct mp_upload *u,
                          const struct mp_done *d)
{
    struct buf b;
    buf_init(&b, DONE_MAX);
    buf_adds(&b, DONE_MAGIC);
    put_rec(&b, 'K', d->key, d->key_len);
    put_rec(&b, 'E', d->etag, strlen(d->etag));
    put_num(&b, 'S', d->size);
    put_num(&b, 'N', d->parts);
    if (d->ck_alg != CK_NONE && d->ck[0]) {
        const char *an = checksum_alg_name(d->ck_alg);
        put_rec(&b, 'A', an, strlen(an));
        put_rec(&b, 'X', d->ck, strlen(d->ck));
    }
    enum s3_err err = b.failed ? S3E_INTERNAL : write_atomic(cfg, u->dirfd, "done", b.data, b.len);
    buf_free(&b);
    return err;
}

enum s3_err mp_done_read(struct mp_upload *u, struct arena *a, struct mp_done *d)
{
    size_t n = 0, pos = sizeof DONE_MAGIC - 1, vlen;
    const char *v;
    char tag, *p = arena_alloc(a, DONE_MAX);
    int r;
    long long num;
    memset(d, 0, sizeof *d);
    if (!p)
        return S3E_INTERNAL;
    if (read_small(u->dirfd, "done", p, DONE_MAX, &n) || n < pos || memcmp(p, DONE_MAGIC, pos))
        return S3E_NO_SUCH_UPLOAD;
    while ((r = next_rec(p, n, &pos, &tag, &v, &vlen)) == 1) {
        switch (tag) {
        case 'K':
            d->key = arena_strndup(a, v, vlen);
            d->key_len = vlen;
            break;
        case 'E':
            if (rec_str(v, vlen, d->etag, sizeof d->etag) < 0)
                return S3E_NO_SUCH_UPLOAD;
            break;
        case 'S':
            if (rec_num(v, vlen, &d->size) < 0)
                return S3E_NO_SUCH_UPLOAD;
            break;
        case 'N':
            if (rec_num(v, vlen, &num) < 0 || num > MP_MAX_PARTS)
                return S3E_NO_SUCH_UPLOAD;
            d->parts = (int)num;
            break;
        case 'A':
            d->ck_alg = checksum_alg_from_name(v, vlen);
            break;
        case 'X':
            if (rec_str(v, vlen, d->ck, sizeof d->ck) < 0)
                return S3E_NO_SUCH_UPLOAD;
            break;
        default:
            break;
        }
    }
    return r < 0 || !d->key || !d->etag[0] ? S3E_NO_SUCH_UPLOAD : S3E_OK;
}

/* Unlinks entries of dir: parts and temp files, or (all) everything but "lock".
 * Returns how many temp files went when older_than > 0 restricts temp files to
 * those not modified since older_than. */
static long clear_dir(int dir, int all, time_t older_than)
{
    DIR *d = open_dir(dir);
    long n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        int tmp = strncmp(name, TMP_PREFIX, sizeof TMP_PREFIX - 1) == 0;
        if (!all && !tmp && !(older_than == 0 && part_number(name)))
            continue;
        if (all && strcmp(name, "lock") == 0)
            continue;
        if (tmp && older_than > 0) {
            struct stat st;
            if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_mtime >= older_than)
                continue;
        }
        if (unlinkat(dirfd(d), name, 0) == 0 && tmp)
            n++;
    }
    closedir(d);
    return n;
}

/* Opens the trash (creating it). -1 when that fails. */
static int trash_open(const struct s3_config *cfg)
{
    int fd = -1;
    return store_reserved_open(cfg, STAGING "/" TRASH, &fd) == S3E_OK ? fd : -1;
}

/* Moves the part files and part temp files of upload dir (id) into the trash as
 * "<id>-<name>" (a rename each: no data is freed here); what cannot be moved is
 * unlinked. */
static void parts_to_trash(int dir, int trash, const char *id)
{
    DIR *d = open_dir(dir);
    if (!d)
        return;
    struct dirent *de;
    char to[MP_ID_LEN + 2 + NAME_MAX + 1];
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (!part_number(name) && strncmp(name, TMP_PREFIX, sizeof TMP_PREFIX - 1) != 0)
            continue;
        int n = snprintf(to, sizeof to, "%s-%s", id, name);
        if (trash >= 0 && n > 0 && (size_t)n < sizeof to &&
            renameat(dirfd(d), name, trash, to) == 0)
            continue;
        unlinkat(dirfd(d), name, 0);
    }
    closedir(d);
}

void mp_drop_parts(const struct s3_config *cfg, struct mp_upload *u)
{
    int trash = trash_open(cfg);
    parts_to_trash(u->dirfd, trash, u->id);
    if (trash >= 0)
        close(trash);
}

long long mp_trash_free(const struct s3_config *cfg, long long budget)
{
    char rel[64];
    int tfd = -1;
    long long freed = 0;
    snprintf(rel, sizeof rel, "%s/%s/%s", S3_RESERVED_DIR, STAGING, TRASH);
    if (budget <= 0 || store_opendir_beneath(cfg->root_fd, rel, strlen(rel), &tfd) != 0)
        return 0;
    DIR *d = fdopendir(tfd);
    if (!d) {
        close(tfd);
        return 0;
    }
    struct dirent *de;
    long long work = 0;     /* bytes freed, and TRASH_FILE_COST per file removed */
    while (work < budget && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        struct stat st;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        long long size = S_ISREG(st.st_mode) ? st.st_size : 0, left = budget - work;
        if (size > left) {
            /* bounded work: free the file's last "left" bytes now, the rest later */
            int fd = openat(dirfd(d), name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd >= 0 && ftruncate(fd, size - left) == 0)
                freed += left;
            if (fd >= 0)
                close(fd);
            break;
        }
        if (unlinkat(dirfd(d), name, 0) == 0)
            freed += size;
        work += size + TRASH_FILE_COST;
    }
    closedir(d);
    return freed;
}

/* Removes the upload directory name in bdir (open as dir): info first, then
 * everything else, the lock last. */
static enum s3_err remove_upload(const struct s3_config *cfg, int bdir, int dir,
                                 const char *name)
{
    if (unlinkat(dir, "info", 0) != 0 && errno != ENOENT)
        return store_errno(errno);
    if (cfg->fsync)
        (void)fsync(dir);       /* the abort is decided once info is gone for good */
    (void)clear_dir(dir, 1, 0);
    unlinkat(dir, "lock", 0);
    /* a part still streaming keeps a temp file here: it removes the directory when
     * it finds the upload gone (mp_part_commit), else purge does */
    unlinkat(bdir, name, AT_REMOVEDIR);
    if (cfg->fsync)
        (void)fsync(bdir);
    return S3E_OK;
}

enum s3_err mp_remove(const struct s3_config *cfg, struct mp_upload *u)
{
    /* once info is gone, the parts go to the trash like a Complete's: an Abort of
     * a 5 GiB upload then costs a rename per part, not freeing 5 GiB */
    if (unlinkat(u->dirfd, "info", 0) != 0 && errno != ENOENT)
        return store_errno(errno);
    if (cfg->fsync)
        (void)fsync(u->dirfd);
    mp_drop_parts(cfg, u);
    return remove_upload(cfg, u->bdirfd, u->dirfd, u->id);
}

/* ---- listing ---- */

enum s3_err mp_each_upload(const struct s3_config *cfg, const char *bucket, mp_each_cb cb,
                           void *ctx)
{
    char rel[128];
    int n = staging_rel(bucket, rel, sizeof rel), bfd = -1, e;
    if (n < 0)
        return S3E_NO_SUCH_BUCKET;
    if ((e = store_opendir_beneath(cfg->root_fd, rel, (size_t)n, &bfd)))
        return e == ENOENT ? S3E_OK : store_errno(e);
    DIR *d = fdopendir(bfd);
    if (!d) {
        close(bfd);
        return store_errno(errno);
    }
    char *info = malloc(INFO_MAX);
    enum s3_err err = info ? S3E_OK : S3E_INTERNAL;
    struct dirent *de;
    while (!err && (de = readdir(d)) != NULL) {
        struct mp_upload u;
        struct stat st;
        char path[MP_ID_LEN + 8];
        size_t len = 0;
        if (!mp_id_valid(de->d_name))
            continue;
        memcpy(path, de->d_name, MP_ID_LEN);
        memcpy(path + MP_ID_LEN, "/done", 6);
        if (fstatat(dirfd(d), path, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        memcpy(path + MP_ID_LEN, "/info", 6);
        if (read_small(dirfd(d), path, info, INFO_MAX, &len) != 0)
            continue;
        memset(&u, 0, sizeof u);
        if (info_parse(info, len, bucket, NULL, &u) < 0)
            continue;
        struct mp_entry ent = { de->d_name, u.key, u.key_len, mp_id_time(de->d_name), u.alg };
        if (cb(ctx, &ent))
            break;
    }
    free(info);
    closedir(d);
    return err;
}

/* ---- part layout ---- */

int mp_layout_encode(const long long *sizes, int n, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return -1;
    out[0] = '\0';
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && sizes[j] == sizes[i])
            j++;
        int w = snprintf(out + len, cap - len, "%s%lldx%d", i ? "," : "", sizes[i], j - i);
        if (w < 0 || (size_t)w >= cap - len) {
            out[0] = '\0';
            return -1;
        }
        len += (size_t)w;
        i = j;
    }
    return 0;
}

int mp_layout_find(const char *layout, int count, long long total, int n, long long *off,
                   long long *len)
{
    long long pos = 0;
    int seen = 0, found = 0;
    const char *p = layout;
    if (n < 1 || n > count)
        return -1;
    while (*p) {
        unsigned long long size, times;
        size_t a = strspn(p, "0123456789");
        if (!a || p[a] != 'x' || parse_u64(p, a, (unsigned long long)LLONG_MAX, &size) < 0)
            return -1;
        p += a + 1;
        size_t b = strspn(p, "0123456789");
        if (!b || parse_u64(p, b, MP_MAX_PARTS, &times) < 0 || times == 0)
            return -1;
        p += b;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
        if (seen + (long long)times > count || (long long)size > (total - pos) / (long long)times)
            return -1;
        if (!found && n <= seen + (int)times) {
            *off = pos + (long long)(n - seen - 1) * (long long)size;
            *len = (long long)size;
            found = 1;
        }
        seen += (int)times;
        pos += (long long)size * (long long)times;
    }
    return found && seen == count && pos == total ? 0 : -1;
}

/* ---- purge ---- */

/* Removes old temp files (pred) beneath dir, depth-first, never following symlinks.
 * Memory: one DIR per level, WALK_MAX_DEPTH levels at most. */
static void walk_tmp(int dir, int depth, int all, time_t older_than, struct mp_purge_stats *st)
{
    DIR *d = open_dir(dir);
    if (!d) {
        st->errors++;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        struct stat s;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (fstatat(dirfd(d), name, &s, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(s.st_mode)) {
            if (depth + 1 >= WALK_MAX_DEPTH || (!all && store_reserved_name(name, strlen(name))))
                continue;
            int sub = openat(dirfd(d), name, DIR_FLAGS);
            if (sub >= 0) {
                walk_tmp(sub, depth + 1, all, older_than, st);
                close(sub);
            }
            continue;
        }
        if (!S_ISREG(s.st_mode) || s.st_mtime >= older_than)
            continue;
        if (!all && strncmp(name, STORE_TMP_PREFIX, sizeof STORE_TMP_PREFIX - 1) != 0)
            continue;
        if (unlinkat(dirfd(d), name, 0) == 0)
            st->tmp_removed++;
        else
            st->errors++;
    }
    closedir(d);
}

/* Purges one upload directory name of bdir if it is due (always, with all_due: its
 * bucket is gone). 1 removed, 0 not. */
static int purge_upload(const struct s3_config *cfg, int bdir, const char *name,
                        const struct mp_purge_opts *o, time_t now, int all_due,
                        struct mp_purge_stats *st)
{
    struct stat ds, is, dn;
    int removed = 0, kind = 0, lockfd = -1;
    int dir = openat(bdir, name, DIR_FLAGS);
    if (dir < 0)
        return 0;
    st->uploads_examined++;
    lockfd = openat(dir, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (lockfd >= 0) {
        int e = lock_fd(lockfd, F_WRLCK, 0, &kind);
        if (e) {
            if (e == EAGAIN || e == EACCES)
                st->busy++;
            else
                st->errors++;
            goto out;
        }
    }
    int have_info = fstatat(dir, "info", &is, AT_SYMLINK_NOFOLLOW) == 0;
    int have_done = fstatat(dir, "done", &dn, AT_SYMLINK_NOFOLLOW) == 0;
    int due = all_due;
    if (!due && have_info)
        due = now - is.st_mtime > o->max_age ||
              (have_done && now - dn.st_mtime > o->tmp_age);
    else if (!due)
        due = fstat(dir, &ds) == 0 && now - ds.st_mtime > o->tmp_age;
    if (due) {
        if (remove_upload(cfg, bdir, dir, name) == S3E_OK) {
            st->uploads_removed++;
            removed = 1;
        } else {
            st->errors++;
        }
    } else {
        st->tmp_removed += clear_dir(dir, 0, now - o->tmp_age);
        if (have_info && have_done) {
            /* a Complete that stopped between "done" and dropping its parts */
            int trash = trash_open(cfg);
            parts_to_trash(dir, trash, name);
            if (trash >= 0)
                close(trash);
        }
    }
out:
    if (lockfd >= 0) {
        if (kind)
            (void)lock_fd(lockfd, F_UNLCK, 0, &kind);
        close(lockfd);
    }
    close(dir);
    return removed;
}

/* Purges the uploads in one bucket's staging directory. 1 when the budget ran out. */
static int purge_bucket(const struct s3_config *cfg, int bdir, const struct mp_purge_opts *o,
                        time_t now, int all_due, struct mp_purge_stats *st)
{
    DIR *d = open_dir(bdir);
    long first = o->max_age < o->tmp_age ? o->max_age : o->tmp_age;
    long examined = 0;
    int out_of_budget = 0;
    if (!d) {
        st->errors++;
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!mp_id_valid(de->d_name))
            continue;
        /* quick: nothing younger than both ages can be due, and the id says how old
         * the upload is without touching it */
        if (o->quick && !all_due && now - mp_id_time(de->d_name).tv_sec <= first)
            continue;
        if (o->quick && ++examined > o->budget * 4) {
            out_of_budget = 1;
            break;
        }
        purge_upload(cfg, dirfd(d), de->d_name, o, now, all_due, st);
        if (o->budget > 0 && st->uploads_removed >= o->budget) {
            out_of_budget = 1;
            break;
        }
    }
    closedir(d);
    return out_of_budget;
}

enum s3_err mp_purge(const struct s3_config *cfg, const struct mp_purge_opts *opts, time_t now,
                     struct mp_purge_stats *st)
{
    struct mp_purge_opts o = *opts;
    char rel[128];
    int sdir = -1, e;
    memset(st, 0, sizeof *st);
    if (o.max_age <= 0)
        o.max_age = MP_DEFAULT_MAX_AGE;
    if (o.tmp_age <= 0)
        o.tmp_age = MP_TMP_MAX_AGE;
    if (o.quick && o.budget <= 0)
        o.budget = MP_PURGE_BUDGET;
    if (o.bucket) {
        int n = staging_rel(o.bucket, rel, sizeof rel), bdir = -1;
        if (n < 0)
            return S3E_NO_SUCH_BUCKET;
        if ((e = store_opendir_beneath(cfg->root_fd, rel, (size_t)n, &bdir)) && e != ENOENT)
            return store_errno(e);
        if (bdir >= 0) {
            purge_bucket(cfg, bdir, &o, now, 0, st);
            close(bdir);
        }
    } else {
        snprintf(rel, sizeof rel, "%s/%s", S3_RESERVED_DIR, STAGING);
        if ((e = store_opendir_beneath(cfg->root_fd, rel, strlen(rel), &sdir)) && e != ENOENT)
            return store_errno(e);
        DIR *d = sdir >= 0 ? open_dir(sdir) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (s3_bucket_name_check(de->d_name) != S3E_OK)
                continue;
            int bdir = openat(dirfd(d), de->d_name, DIR_FLAGS);
            if (bdir < 0)
                continue;
            /* a deleted bucket's uploads are over (S3 aborts them with the bucket),
             * and its staging directory goes once empty */
            struct stat bs;
            int gone = fstatat(cfg->root_fd, de->d_name, &bs, AT_SYMLINK_NOFOLLOW) != 0 &&
                       errno == ENOENT;
            int stop = purge_bucket(cfg, bdir, &o, now, gone, st);
            close(bdir);
            if (gone)
                unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
            if (stop)
                break;
        }
        if (d)
            closedir(d);
        if (sdir >= 0)
            close(sdir);
    }
    if (o.temp_files) {
        time_t older = now - o.tmp_age;
        DIR *d = open_dir(cfg->root_fd);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (s3_bucket_name_check(de->d_name) != S3E_OK)
                continue;
            int bfd = openat(dirfd(d), de->d_name, DIR_FLAGS);
            if (bfd >= 0) {
                walk_tmp(bfd, 0, 0, older, st);
                close(bfd);
            }
        }
        if (d)
            closedir(d);
        snprintf(rel, sizeof rel, "%s/tmp", S3_RESERVED_DIR);
        int tfd = -1;
        if (store_opendir_beneath(cfg->root_fd, rel, strlen(rel), &tfd) == 0) {
            walk_tmp(tfd, 0, 1, older, st);
            close(tfd);
        }
    }
    /* last, so it takes what the walk above moved there: all of it, or (opportunistic)
     * a bounded share */
    st->trash_freed = mp_trash_free(cfg, o.quick ? MP_TRASH_BUDGET : LLONG_MAX);
    return S3E_OK;
}
