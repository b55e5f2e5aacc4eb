/* store.c - buckets, object open, atomic PUT and delete over the data root
 * (GUIDE section 3). See store.h for the contracts, meta.h for metadata at rest.
 *
 * Publishing (store_put_commit):
 *   1. the body sits in an O_TMPFILE inode in the bucket directory (same filesystem
 *      as every key of the bucket), or, where O_TMPFILE is unsupported, in a named
 *      temp file ".s3cgi-tmp-<random>" there (reserved prefix: never listed);
 *   2. its metadata blob is set on that inode, then the file is fsynced (cfg->fsync);
 *   3. parents are made beneath the bucket (mkdirat per component, no symlinks);
 *   4. conditions are checked against the current object right before publishing;
 *   5. the inode is linked into place: link(2) straight to the final name when it is
 *      free (If-None-Match: * relies on its EEXIST), else link to a temp name and
 *      rename(2) over the final name - either way readers see old or new, never a
 *      mix; then the directory is fsynced.
 * A parent removed by a concurrent delete between 3 and 5 (ENOENT) is made again.
 * Every failure path leaves nothing visible: the O_TMPFILE inode just disappears,
 * a named temp file is unlinked, directories made for the key are pruned again.
 */
#include "store.h"
#include "config.h"
#include "meta.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
#define DIR_MODE 0755
#define FILE_MODE 0644
#define PUBLISH_RETRIES 64     /* parents pruned under us by concurrent deletes */
#define TMP_RETRIES 8
#define MAX_DEPTH (S3_MAX_KEY_LEN / 2 + 1)
#define STORE_WRITEBACK_STEP (8LL << 20)  /* start writeback every 8 MiB written */

enum s3_err store_errno(int err)
{
    switch (err) {
    case 0:
        return S3E_OK;
    case ENOSPC:
    case EDQUOT:
        return S3E_NO_SPACE;
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
        return S3E_NO_SUCH_KEY;
    case EEXIST:
    case ENOTEMPTY:
    case EISDIR:
        return S3E_KEY_CONFLICT;
    case EACCES:
    case EPERM:
    case EROFS:
        return S3E_ACCESS_DENIED;
    case ENAMETOOLONG:
        return S3E_KEY_TOO_LONG;
    case EFBIG:
        return S3E_ENTITY_TOO_LARGE;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EAGAIN:
    case EINTR:
        return S3E_SERVICE_UNAVAILABLE;
    default:
        return S3E_INTERNAL;
    }
}

/* Errors of making or opening a key's directories for writing. */
static enum s3_err write_path_err(int err)
{
    if (err == ENOTDIR)
        return S3E_KEY_CONFLICT;        /* a parent is a file */
    if (err == ELOOP)
        return S3E_ACCESS_DENIED;       /* a symlink: never written through */
    if (err == EINVAL)
        return S3E_KEY_UNMAPPABLE;
    return store_errno(err);
}

/* Errors of resolving a key for reading: anything "not there" is NoSuchKey. */
static enum s3_err read_path_err(int err)
{
    if (err == ENOENT || err == ENOTDIR || err == ELOOP || err == EINVAL || err == ENAMETOOLONG)
        return S3E_NO_SUCH_KEY;
    return store_errno(err);
}

enum s3_err store_reserved_open(const struct s3_config *cfg, const char *sub, int *dirfd)
{
    char rel[PATH_MAX];
    int created = 0;
    size_t sublen = strlen(sub);
    int n = snprintf(rel, sizeof(rel), sublen ? "%s/%s" : "%s", S3_RESERVED_DIR, sub);
    if (n < 0 || (size_t)n >= sizeof(rel))
        return S3E_INTERNAL;
    while (n > 0 && rel[n - 1] == '/')
        rel[--n] = '\0';
    int err = store_mkdirs_beneath(cfg->root_fd, rel, (size_t)n, 0700, cfg->fsync, dirfd,
                                   &created);
    return err ? store_errno(err) : S3E_OK;
}

/* ---- key layout ---- */

/* A key split into its directory part and last name: "a/b/c" -> "a/b" + "c"; the
 * directory object "a/b/" -> "a" + "b" with is_dir. */
struct keyparts {
    const char *dir; size_t dir_len;       /* relative to the bucket, no trailing '/' */
    char name[NAME_MAX + 1];
    int is_dir;
};

static int split_key(const char *key, size_t len, struct keyparts *kp)
{
    kp->is_dir = len > 0 && key[len - 1] == '/';
    if (kp->is_dir)
        len--;
    size_t slash = len;
    while (slash > 0 && key[slash - 1] != '/')
        slash--;
    kp->dir = key;
    kp->dir_len = slash ? slash - 1 : 0;
    return store_component(key + slash, len - slash, kp->name, sizeof(kp->name));
}

/* Opens a regular file name in dir for reading without following a symlink and
 * without blocking on a FIFO (the fd keeps O_NONBLOCK). 0 ok, else errno (ENOENT for
 * anything not a file). */
static int open_regular(int dir, const char *name, int *fd, struct stat *st)
{
    struct stat pre;
    if (fstatat(dir, name, &pre, AT_SYMLINK_NOFOLLOW) != 0)
        return errno;
    if (!S_ISREG(pre.st_mode))
        return S_ISDIR(pre.st_mode) ? EISDIR : ENOENT;
    int f = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f < 0)
        return errno;
    if (fstat(f, st) != 0 || !S_ISREG(st->st_mode)) {
        close(f);
        return ENOENT;
    }
    /* O_NONBLOCK stays: it changes nothing for a regular file (read, pread, sendfile,
     * copy_file_range and FICLONERANGE ignore it) and clearing it cost two calls */
    *fd = f;
    return 0;
}

/* ---- buckets ---- */

enum s3_err store_bucket_open(const struct s3_config *cfg, const char *bucket, int *dirfd)
{
    *dirfd = -1;
    if (s3_bucket_name_check(bucket) != S3E_OK)
        return S3E_NO_SUCH_BUCKET;
    int fd = openat(cfg->root_fd, bucket, DIR_FLAGS);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? S3E_NO_SUCH_BUCKET
                                                                     : store_errno(errno);
    *dirfd = fd;
    return S3E_OK;
}

enum s3_err store_bucket_create(const struct s3_config *cfg, const char *bucket)
{
    enum s3_err err = s3_bucket_name_check(bucket);
    if (err)
        return err;
    if (mkdirat(cfg->root_fd, bucket, DIR_MODE) != 0) {
        struct stat st;
        if (errno != EEXIST)
            return store_errno(errno);
        if (fstatat(cfg->root_fd, bucket, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            return S3E_BUCKET_ALREADY_OWNED;
        return S3E_BUCKET_ALREADY_EXISTS;   /* a file or symlink holds the name */
    }
    if (cfg->fsync && fsync(cfg->root_fd) != 0)
        return store_errno(errno);
    return S3E_OK;
}

static int is_tmp_name(const char *name)
{
    return strncmp(name, STORE_TMP_PREFIX, sizeof(STORE_TMP_PREFIX) - 1) == 0;
}

/* 1 when the bucket holds nothing but temp files of aborted uploads, 0 when it holds
 * anything else, -1 on error. With remove, the temp files are unlinked. */
static int bucket_only_tmp(int bucketfd, int remove)
{
    int fd = openat(bucketfd, ".", DIR_FLAGS), ret = 1;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (!is_tmp_name(de->d_name) || de->d_type == DT_DIR) {
            ret = 0;
            break;
        }
        if (remove)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    return ret;
}

enum s3_err store_bucket_delete(const struct s3_config *cfg, const char *bucket)
{
    int bfd = -1;
    enum s3_err err = store_bucket_open(cfg, bucket, &bfd);
    if (err)
        return err;
    /* scan first, so the temp files of uploads still running into a bucket that
     * stays are left alone */
    int only = bucket_only_tmp(bfd, 0);
    if (only == 1)
        only = bucket_only_tmp(bfd, 1);
    close(bfd);
    if (only < 0)
        return S3E_INTERNAL;
    if (only == 0)
        return S3E_BUCKET_NOT_EMPTY;
    if (unlinkat(cfg->root_fd, bucket, AT_REMOVEDIR) != 0) {
        if (errno == ENOTEMPTY || errno == EEXIST)
            return S3E_BUCKET_NOT_EMPTY;
        if (errno == ENOENT || errno == ENOTDIR)
            return S3E_NO_SUCH_BUCKET;
        return store_errno(errno);
    }
    if (cfg->fsync && fsync(cfg->root_fd) != 0)
        return store_errno(errno);
    return S3E_OK;
}

struct bucket_ent { char *name; time_t created; };

static int bucket_ent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct bucket_ent *)a)->name, ((const struct bucket_ent *)b)->name);
}

/* Creation time of a bucket: its birth time where the filesystem records one
 * (statx STATX_BTIME: ext4, xfs, btrfs, tmpfs), else its mtime. 0 and *t for a
 * directory, -1 for anything else. */
static int bucket_created(int root, const char *name, time_t *t)
{
    struct statx sx;
    if (statx(root, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MTIME | STATX_BTIME, &sx) == 0) {
        if (!S_ISDIR(sx.stx_mode))
            return -1;
        *t = (sx.stx_mask & STATX_BTIME) ? (time_t)sx.stx_btime.tv_sec
                                         : (time_t)sx.stx_mtime.tv_sec;
        return 0;
    }
    struct stat st;
    if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
        return -1;
    *t = st.st_mtime;
    return 0;
}

enum s3_err store_bucket_list(const struct s3_config *cfg, store_bucket_cb cb, void *ctx)
{
    enum s3_err err = S3E_INTERNAL;
    struct bucket_ent *v = NULL;
    size_t n = 0, cap = 0;
    int fd = openat(cfg->root_fd, ".", DIR_FLAGS);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return store_errno(errno);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        time_t created;
        if (s3_bucket_name_check(de->d_name) != S3E_OK ||
            (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
            bucket_created(dirfd(d), de->d_name, &created) != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct bucket_ent *nv = realloc(v, nc * sizeof(*v));
            if (!nv)
                goto fail;
            v = nv;
            cap = nc;
        }
        if (!(v[n].name = strdup(de->d_name)))
            goto fail;
        v[n++].created = created;
    }
    if (n)
        qsort(v, n, sizeof(*v), bucket_ent_cmp);
    for (size_t i = 0; i < n; i++)
        if (cb(ctx, v[i].name, v[i].created))
            break;
    err = S3E_OK;
fail:
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    closedir(d);
    return err;
}

/* ---- object open ---- */

enum s3_err store_object_open(const struct s3_config *cfg, int bucketfd,
                              const char *key, size_t key_len, struct arena *a,
                              int *fd, struct s3_meta *meta)
{
    struct keyparts kp;
    struct stat st;
    int pfd = -1, ofd = -1, r;
    enum s3_err err = S3E_NO_SUCH_KEY;
    *fd = -1;
    memset(meta, 0, sizeof(*meta));
    if (s3_key_check(key, key_len) != S3E_OK || split_key(key, key_len, &kp))
        goto fail;
    if ((r = store_opendir_beneath(bucketfd, kp.dir, kp.dir_len, &pfd))) {
        err = read_path_err(r);
        goto fail;
    }
    if (kp.is_dir) {
        if ((ofd = openat(pfd, kp.name, DIR_FLAGS)) < 0 || fstat(ofd, &st) != 0) {
            err = read_path_err(errno);
            goto fail;
        }
    } else if ((r = open_regular(pfd, kp.name, &ofd, &st))) {
        err = read_path_err(r == EISDIR ? ENOENT : r);
        goto fail;
    }
    if ((err = meta_load(cfg, bucketfd, key, key_len, ofd, &st, a, meta)))
        goto fail;
    if (!kp.is_dir) {
        *fd = ofd;              /* directory objects have no body: *fd stays -1 */
        ofd = -1;
    }
fail:
    if (ofd >= 0)
        close(ofd);
    if (pfd >= 0)
        close(pfd);
    return err;
}

/* ---- pruning empty parents ---- */

/* Removes the directories of key[0..dir_len) that are empty, deepest first, up to
 * (not including) the bucket. Stops at the first that is not empty or that is a
 * directory object. Best effort: races with PUTs making the same directories end in
 * ENOTEMPTY (they stop) or in the PUT making them again. */
static void prune_parents(const struct s3_config *cfg, int bucketfd, const char *key,
                          size_t dir_len)
{
    int fds[MAX_DEPTH];
    size_t starts[MAX_DEPTH], ends[MAX_DEPTH], n = 0, start = 0;
    char name[NAME_MAX + 1];
    while (start < dir_len && n < MAX_DEPTH) {
        const char *slash = memchr(key + start, '/', dir_len - start);
        size_t end = slash ? (size_t)(slash - key) : dir_len;
        if (store_component(key + start, end - start, name, sizeof(name)))
            break;
        int fd = openat(n ? fds[n - 1] : bucketfd, name, DIR_FLAGS);
        if (fd < 0)
            break;
        fds[n] = fd;
        starts[n] = start;
        ends[n++] = end;
        start = end + 1;
    }
    int removed_in = -1;        /* index of the parent that lost an entry, -2 bucket */
    for (size_t i = n; i-- > 0;) {
        struct stat st;
        struct s3_meta m;
        /* directory i is key[0..ends[i]); as a directory object, key[0..ends[i]] */
        if (fstat(fds[i], &st) != 0 ||
            meta_load(cfg, bucketfd, key, ends[i] + 1, fds[i], &st, NULL, &m) == S3E_OK)
            break;
        int parent = i ? fds[i - 1] : bucketfd;
        memcpy(name, key + starts[i], ends[i] - starts[i]);
        name[ends[i] - starts[i]] = '\0';
        if (unlinkat(parent, name, AT_REMOVEDIR) != 0)
            break;
        removed_in = (int)i - 1;
    }
    if (cfg->fsync && removed_in != -1)
        (void)fsync(removed_in >= 0 ? fds[removed_in] : bucketfd);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

/* ---- PUT ---- */

int store_write_atomic(const struct s3_config *cfg, int dir, const char *name,
                       const char *tmp_prefix, const void *data, size_t len)
{
    char tmp[64];
    int fd = -1, e = EEXIST;
    for (int i = 0; i < TMP_RETRIES && fd < 0 && e == EEXIST; i++) {
        store_tmp_name(tmp, sizeof tmp, tmp_prefix);
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        e = fd < 0 ? errno : 0;
    }
    if (fd < 0)
        return e;
    if (write_all(fd, data, len) != 0 || (cfg->fsync && fsync(fd) != 0))
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && renameat(dir, tmp, dir, name) != 0)
        e = errno;
    if (e) {
        unlinkat(dir, tmp, 0);
        return e;
    }
    return cfg->fsync && fsync(dir) != 0 ? errno : 0;
}

enum s3_err store_put_begin(struct store_put *p, const struct s3_config *cfg, int bucketfd,
                            const char *key, size_t key_len)
{
    enum s3_err err;
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->bucketfd = bucketfd;
    p->key = key;
    p->key_len = key_len;
    p->fd = -1;
    /* our own descriptor of the bucket: commit and abort do not depend on the
     * caller keeping bucketfd open */
    p->tmpdirfd = -1;
    if ((err = s3_key_check(key, key_len)))
        goto fail;
    if ((p->tmpdirfd = fcntl(bucketfd, F_DUPFD_CLOEXEC, 0)) < 0) {
        err = store_errno(errno);
        goto fail;
    }
    if (key[key_len - 1] == '/')
        return S3E_OK;          /* directory object: no body file */
    p->fd = openat(p->tmpdirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, FILE_MODE);
    if (p->fd >= 0) {
        /* linkat needs /proc/self/fd (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH) */
        if (access("/proc/self/fd", X_OK) == 0)
            return S3E_OK;
        close(p->fd);
        p->fd = -1;
    } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
        err = store_errno(errno);
        goto fail;
    }
    for (int i = 0; i < TMP_RETRIES && p->fd < 0; i++) {
        store_tmp_name(p->tmpname, sizeof(p->tmpname), STORE_TMP_PREFIX);
        p->fd = openat(p->tmpdirfd, p->tmpname,
                       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
        if (p->fd < 0 && errno != EEXIST)
            break;
    }
    if (p->fd < 0) {
        p->tmpname[0] = '\0';
        err = store_errno(errno);
        goto fail;
    }
    return S3E_OK;
fail:
    p->failed = err;
    store_put_abort(p);
    return err;
}

enum s3_err store_put_write(struct store_put *p, const void *data, size_t len)
{
    const char *s = data;
    if (p->failed)
        return (enum s3_err)p->failed;
    if (len == 0)
        return S3E_OK;
    if (p->fd < 0) {
        /* a key ending in '/' is a directory object and has no body */
        p->failed = p->key_len && p->key[p->key_len - 1] == '/' ? S3E_KEY_UNMAPPABLE
                                                                 : S3E_INTERNAL;
        return (enum s3_err)p->failed;
    }
    while (len > 0) {
        ssize_t w = write(p->fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            p->failed = store_errno(errno);
            if (p->failed == S3E_NO_SUCH_KEY || p->failed == S3E_KEY_CONFLICT)
                p->failed = S3E_INTERNAL;
            return (enum s3_err)p->failed;
        }
        s += w;
        len -= (size_t)w;
        p->written += w;
    }
    /* with fsync on, start writeback as the body arrives, so the final fsync has little
     * left to wait for and the disk works while the request is still hashing */
    if (p->cfg->fsync && p->written - p->flushing >= STORE_WRITEBACK_STEP) {
        (void)sync_file_range(p->fd, p->flushing, p->written - p->flushing,
                              SYNC_FILE_RANGE_WRITE);
        p->flushing = p->written;
    }
    return S3E_OK;
}

void store_put_abort(struct store_put *p)
{
    if (p->fd >= 0)
        close(p->fd);
    if (p->tmpname[0] && p->tmpdirfd >= 0)
        unlinkat(p->tmpdirfd, p->tmpname, 0);
    if (p->tmpdirfd >= 0)
        close(p->tmpdirfd);
    p->fd = -1;
    p->tmpdirfd = -1;
    p->tmpname[0] = '\0';
}

/* 1 when the If-Match value (quoted or not, or "*") matches etag. */
static int etag_matches(const char *if_match, const char *etag)
{
    size_t n = strlen(if_match);
    while (n && (*if_match == ' ' || *if_match == '\t'))
        if_match++, n--;
    while (n && (if_match[n - 1] == ' ' || if_match[n - 1] == '\t'))
        n--;
    if (n == 1 && if_match[0] == '*')
        return 1;
    if (n >= 2 && if_match[0] == '"' && if_match[n - 1] == '"') {
        if_match++;
        n -= 2;
    }
    return strlen(etag) == n && memcmp(etag, if_match, n) == 0;
}

/* Checks what currently holds the final name against the request's conditions.
 * For a file key: a directory or other non-file there is a conflict, a symlink is
 * refused; If-None-Match: * fails when a file is there (the link(2) in publish
 * decides again, atomically); If-Match needs the current ETag to match. */
static enum s3_err check_current(struct store_put *p, int pfd, const char *name,
                                 int if_none_match_star, const char *if_match)
{
    struct stat st;
    struct s3_meta cur;
    int fd = -1;
    enum s3_err err = S3E_OK;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            return store_errno(errno);
        return if_match ? S3E_NO_SUCH_KEY : S3E_OK;
    }
    if (S_ISLNK(st.st_mode))
        return S3E_ACCESS_DENIED;
    if (!S_ISREG(st.st_mode))
        return S3E_KEY_CONFLICT;
    if (if_none_match_star)
        return S3E_PRECONDITION_FAILED;
    if (!if_match)
        return S3E_OK;
    int r = open_regular(pfd, name, &fd, &st);
    if (r)
        return r == ENOENT ? S3E_NO_SUCH_KEY : store_errno(r);
    err = meta_load(p->cfg, p->tmpdirfd, p->key, p->key_len, fd, &st, NULL, &cur);
    if (err == S3E_OK && !etag_matches(if_match, cur.etag))
        err = S3E_PRECONDITION_FAILED;
    close(fd);
    return err;
}

/* Links the body into pfd/name. Returns 0 or an errno; EEXIST only with
 * if_none_match_star (the name is taken). */
static int publish(struct store_put *p, int pfd, const char *name, int if_none_match_star)
{
    char tmp[64];
    if (p->tmpname[0]) {
        if (!if_none_match_star) {
            if (renameat(p->tmpdirfd, p->tmpname, pfd, name) != 0)
                return errno;
            p->tmpname[0] = '\0';       /* consumed */
            return 0;
        }
        if (linkat(p->tmpdirfd, p->tmpname, pfd, name, 0) == 0)
            return 0;                   /* the temp name goes at cleanup */
        if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
            return errno;
        /* no hard links here: rename that refuses to replace */
        if (renameat2(p->tmpdirfd, p->tmpname, pfd, name, RENAME_NOREPLACE) != 0)
            return errno;
        p->tmpname[0] = '\0';
        return 0;
    }
    char proc[40];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->fd);
    if (linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != EEXIST || if_none_match_star)
        return errno;
    /* replace: link under a temp name beside it, then rename over (atomic) */
    int e = EEXIST;
    for (int i = 0; i < TMP_RETRIES && e == EEXIST; i++) {
        store_tmp_name(tmp, sizeof(tmp), STORE_TMP_PREFIX);
        e = linkat(AT_FDCWD, proc, pfd, tmp, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
    }
    if (e)
        return e;
    if (renameat(pfd, tmp, pfd, name) != 0) {
        e = errno;
        unlinkat(pfd, tmp, 0);
        return e;
    }
    return 0;
}

/* Maps a failed publish. EEXIST (If-None-Match: *) is 412 unless a directory or a
 * symlink holds the name. */
static enum s3_err publish_err(int e, int pfd, const char *name)
{
    struct stat st;
    if (e == EEXIST) {
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return S3E_ACCESS_DENIED;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
            return S3E_KEY_CONFLICT;
        return S3E_PRECONDITION_FAILED;
    }
    if (e == EISDIR || e == ENOTEMPTY || e == ENOTDIR)
        return S3E_KEY_CONFLICT;
    return store_errno(e);
}

static enum s3_err commit_file(struct store_put *p, const struct keyparts *kp,
                               const struct s3_meta *meta, int inm, const char *if_match,
                               int *created_any, int *stored, struct stat *st)
{
    int pfd = -1, created = 0, e;
    enum s3_err err;
    if (fstat(p->fd, st) != 0)
        return store_errno(errno);
    if ((err = meta_store(p->cfg, p->tmpdirfd, p->key, p->key_len, p->fd, st, meta)))
        return err;
    *stored = 1;
    if (p->cfg->fsync && fsync(p->fd) != 0)
        return store_errno(errno);
    for (int attempt = 0;; attempt++) {
        if (attempt > 0)
            sched_yield();      /* let the delete that is pruning our parents finish */
        e = store_mkdirs_beneath(p->tmpdirfd, kp->dir, kp->dir_len, DIR_MODE,
                                 p->cfg->fsync, &pfd, &created);
        *created_any |= created;
        if (e == ENOENT && attempt < PUBLISH_RETRIES)
            continue;
        if (e)
            return write_path_err(e);
        if ((err = check_current(p, pfd, kp->name, inm, if_match)))
            goto fail;
        if ((e = publish(p, pfd, kp->name, inm)) == 0)
            break;
        if (e != ENOENT || attempt >= PUBLISH_RETRIES) {
            err = publish_err(e, pfd, kp->name);
            goto fail;
        }
        close(pfd);             /* a parent vanished under a concurrent delete */
        pfd = -1;
    }
    /* published: from here on, nothing may be undone by the caller's cleanup */
    *stored = 0;
    *created_any = 0;
    if (p->cfg->fsync && fsync(pfd) != 0)
        err = store_errno(errno);   /* visible, but not known durable: report it */
fail:
    if (pfd >= 0)
        close(pfd);
    return err;
}

/* Directory object "a/b/": make the directory, then mark it with its blob. */
static enum s3_err commit_dir(struct store_put *p, const struct s3_meta *meta, int inm,
                              const char *if_match, int *created_any)
{
    struct stat st;
    struct s3_meta cur, m = *meta;
    int dfd = -1, e;
    enum s3_err err;
    if ((e = store_mkdirs_beneath(p->tmpdirfd, p->key, p->key_len - 1, DIR_MODE,
                                  p->cfg->fsync, &dfd, created_any)))
        return write_path_err(e);
    if (fstat(dfd, &st) != 0) {
        err = store_errno(errno);
        goto fail;
    }
    int exists = meta_load(p->cfg, p->tmpdirfd, p->key, p->key_len, dfd, &st, NULL, &cur) == S3E_OK;
    if (inm && exists) {
        err = S3E_PRECONDITION_FAILED;
        goto fail;
    }
    if (if_match && (!exists || !etag_matches(if_match, cur.etag))) {
        err = exists ? S3E_PRECONDITION_FAILED : S3E_NO_SUCH_KEY;
        goto fail;
    }
    m.is_dir = 1;
    m.size = 0;
    if (!m.etag[0])
        memcpy(m.etag, META_EMPTY_MD5, sizeof(META_EMPTY_MD5));
    clock_gettime(CLOCK_REALTIME, &st.st_mtim);     /* a directory's own mtime moves */
    if ((err = meta_store(p->cfg, p->tmpdirfd, p->key, p->key_len, dfd, &st, &m)))
        goto fail;
    if (p->cfg->fsync && fsync(dfd) != 0)
        err = store_errno(errno);
fail:
    close(dfd);
    return err;
}

enum s3_err store_put_commit(struct store_put *p, const struct s3_meta *meta,
                             int if_none_match_star, const char *if_match)
{
    struct keyparts kp;
    struct stat st;
    int created = 0, stored = 0;
    enum s3_err err;
    if (p->failed) {
        err = (enum s3_err)p->failed;
        goto fail;
    }
    if (split_key(p->key, p->key_len, &kp)) {
        err = S3E_KEY_UNMAPPABLE;
        goto fail;
    }
    if (kp.is_dir)
        err = commit_dir(p, meta, if_none_match_star, if_match, &created);
    else
        err = commit_file(p, &kp, meta, if_none_match_star, if_match, &created, &stored, &st);
    if (err && stored)
        meta_remove(p->cfg, p->tmpdirfd, -1, &st);     /* our inode's sidecar, if any */
    if (err && created)
        prune_parents(p->cfg, p->tmpdirfd, p->key,
                      kp.is_dir ? p->key_len - 1 : kp.dir_len);
fail:
    if (err)
        p->failed = err;
    store_put_abort(p);
    return err;
}

/* ---- delete ---- */

static enum s3_err delete_dir_object(const struct s3_config *cfg, int bucketfd, int pfd,
                                     const char *key, size_t key_len, const char *name,
                                     int *removed)
{
    struct stat st;
    struct s3_meta m;
    int dfd = openat(pfd, name, DIR_FLAGS);
    if (dfd < 0)
        return S3E_OK;
    if (fstat(dfd, &st) != 0 ||
        meta_load(cfg, bucketfd, key, key_len, dfd, &st, NULL, &m) != S3E_OK) {
        close(dfd);
        return S3E_OK;          /* a plain directory is no object */
    }
    meta_remove(cfg, bucketfd, dfd, &st);
    if (cfg->fsync)
        (void)fsync(dfd);
    close(dfd);
    /* still holding other keys: it stays, as a plain directory */
    *removed = unlinkat(pfd, name, AT_REMOVEDIR) == 0;
    return S3E_OK;
}

enum s3_err store_object_delete(const struct s3_config *cfg, int bucketfd,
                                const char *key, size_t key_len)
{
    struct keyparts kp;
    struct stat st;
    int pfd = -1, removed = 0, r;
    enum s3_err err = s3_key_check(key, key_len);
    if (err)
        return err;
    if (split_key(key, key_len, &kp))
        return S3E_KEY_UNMAPPABLE;
    if ((r = store_opendir_beneath(bucketfd, kp.dir, kp.dir_len, &pfd)))
        return read_path_err(r) == S3E_NO_SUCH_KEY ? S3E_OK : read_path_err(r);
    if (kp.is_dir) {
        err = delete_dir_object(cfg, bucketfd, pfd, key, key_len, kp.name, &removed);
    } else if (fstatat(pfd, kp.name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        err = S3E_OK;           /* absent, a directory, or a symlink: no such object */
    } else if (unlinkat(pfd, kp.name, 0) != 0) {
        err = errno == ENOENT ? S3E_OK : store_errno(errno);
    } else {
        removed = 1;
        meta_remove(cfg, bucketfd, -1, &st);
    }
    if (removed && cfg->fsync && fsync(pfd) != 0)
        err = store_errno(errno);
    close(pfd);
    if (removed)
        prune_parents(cfg, bucketfd, key, kp.dir_len);
    return err;
}
