/* bucketmeta.c - the owner and canned ACL of a bucket (format in bucketmeta.h). */
#include "bucketmeta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "store.h"
#include "util.h"

#define MAGIC "s3cgi-bucket1\n"
#define RECORD_MAX 512          /* a record is a few short lines */

static const char *const acl_names[] = {
    [S3_ACL_PRIVATE] = "private",
    [S3_ACL_PUBLIC_READ] = "public-read",
    [S3_ACL_AUTHENTICATED_READ] = "authenticated-read",
};

const char *bucketmeta_acl_name(enum s3_acl acl)
{
    return (unsigned)acl < sizeof acl_names / sizeof *acl_names ? acl_names[acl] : "private";
}

int bucketmeta_acl_parse(const char *name, enum s3_acl *out)
{
    for (size_t i = 0; i < sizeof acl_names / sizeof *acl_names; i++)
        if (strcmp(name, acl_names[i]) == 0) {
            *out = (enum s3_acl)i;
            return 0;
        }
    return -1;
}

/* Identity of the bucket directory for the fallback file: inode and birth time
 * (0.0 where the filesystem records none). 0 ok, -1 errno. */
struct dir_id { unsigned long long ino; long long bsec; long bnsec; };

static int dir_identity(int bucketfd, struct dir_id *id)
{
    struct statx stx;
    memset(id, 0, sizeof *id);
    if (statx(bucketfd, "", AT_EMPTY_PATH, STATX_INO | STATX_BTIME, &stx) != 0)
        return -1;
    id->ino = stx.stx_ino;
    if (stx.stx_mask & STATX_BTIME) {
        id->bsec = stx.stx_btime.tv_sec;
        id->bnsec = (long)stx.stx_btime.tv_nsec;
    }
    return 0;
}

/* Parses text[0..len) into m. With want (fallback file), the record counts only when
 * its ino and btime equal *want. 0 ok, -1 not a valid record for this bucket. */
static int parse_record(const char *text, size_t len, const struct dir_id *want,
                        struct bucket_meta *m)
{
    struct dir_id got = { 0, -1, -1 };
    memset(m, 0, sizeof *m);
    if (len < sizeof MAGIC - 1 || memcmp(text, MAGIC, sizeof MAGIC - 1) != 0)
        return -1;
    for (size_t pos = sizeof MAGIC - 1; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        if (!nl)
            return -1;
        size_t n = (size_t)(nl - line);
        char v[RECORD_MAX];
        pos += n + 1;
        if (n >= sizeof v)
            return -1;
        const char *eq = memchr(line, '=', n);
        if (!eq)
            continue;
        size_t kl = (size_t)(eq - line), vl = n - kl - 1;
        memcpy(v, eq + 1, vl);
        v[vl] = '\0';
        if (kl == 5 && memcmp(line, "owner", 5) == 0) {
            if (vl > S3_OWNER_ID_MAX)
                return -1;
            memcpy(m->owner, v, vl + 1);
        } else if (kl == 3 && memcmp(line, "acl", 3) == 0) {
            if (bucketmeta_acl_parse(v, &m->acl) < 0)
                return -1;
        } else if (kl == 3 && memcmp(line, "ino", 3) == 0) {
            if (sscanf(v, "%llu", &got.ino) != 1)
                return -1;
        } else if (kl == 5 && memcmp(line, "btime", 5) == 0) {
            if (sscanf(v, "%lld.%ld", &got.bsec, &got.bnsec) != 2)
                return -1;
        }
    }
    if (want && (got.ino != want->ino || got.bsec != want->bsec || got.bnsec != want->bnsec))
        return -1;
    return 0;
}

/* The record text; with id, the fallback file's identity lines too. -1 too long. */
static int format_record(const struct bucket_meta *m, const struct dir_id *id,
                         char *out, size_t cap)
{
    int n = snprintf(out, cap, MAGIC "%s%s%sacl=%s\n", m->owner[0] ? "owner=" : "",
                     m->owner, m->owner[0] ? "\n" : "", bucketmeta_acl_name(m->acl));
    if (n < 0 || (size_t)n >= cap)
        return -1;
    if (id) {
        int k = snprintf(out + n, cap - (size_t)n, "ino=%llu\nbtime=%lld.%ld\n", id->ino,
                         id->bsec, id->bnsec);
        if (k < 0 || (size_t)k >= cap - (size_t)n)
            return -1;
        n += k;
    }
    return n;
}

static int xattr_refused(int e)
{
    return e == ENOTSUP || e == EOPNOTSUPP || e == EPERM || e == EACCES;
}

/* Opens root/.s3cgi/buckets without creating it. 0 ok, else errno. */
static int fallback_dir_open(const struct s3_config *cfg, int *dfd)
{
    static const char rel[] = S3_RESERVED_DIR "/" BUCKETMETA_SUB;
    return store_opendir_beneath(cfg->root_fd, rel, sizeof rel - 1, dfd);
}

/* The fallback record: S3E_OK (empty m when absent or not this directory's). */
static enum s3_err fallback_load(const struct s3_config *cfg, const char *bucket, int bucketfd,
                                 struct bucket_meta *m)
{
    struct dir_id id;
    char text[RECORD_MAX];
    int dfd = -1, fd = -1;
    enum s3_err err = S3E_OK;
    ssize_t n = 0;
    memset(m, 0, sizeof *m);
    int e = fallback_dir_open(cfg, &dfd);
    if (e == ENOENT)
        goto out;
    if (e || dir_identity(bucketfd, &id) < 0) {
        err = S3E_INTERNAL;
        goto out;
    }
    fd = openat(dfd, bucket, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        err = errno == ENOENT ? S3E_OK : S3E_INTERNAL;
        goto out;
    }
    do
        n = read(fd, text, sizeof text);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        err = S3E_INTERNAL;
    else if (parse_record(text, (size_t)n, &id, m) < 0)
        memset(m, 0, sizeof *m);
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return err;
}

enum s3_err bucketmeta_load(const struct s3_config *cfg, const char *bucket, int bucketfd,
                            struct bucket_meta *m)
{
    char text[RECORD_MAX];
    memset(m, 0, sizeof *m);
    ssize_t n = fgetxattr(bucketfd, BUCKETMETA_XATTR, text, sizeof text);
    if (n >= 0) {
        if (parse_record(text, (size_t)n, NULL, m) < 0)
            memset(m, 0, sizeof *m);
        return S3E_OK;
    }
    if (errno == ERANGE)        /* larger than any record s3cgi writes: not ours */
        return S3E_OK;
    if (errno != ENODATA && !xattr_refused(errno))
        return S3E_INTERNAL;
    return fallback_load(cfg, bucket, bucketfd, m);
}

static enum s3_err fallback_store(const struct s3_config *cfg, const char *bucket, int bucketfd,
                                  const struct bucket_meta *m)
{
    struct dir_id id;
    char text[RECORD_MAX];
    int dfd = -1, n;
    if (dir_identity(bucketfd, &id) < 0 || (n = format_record(m, &id, text, sizeof text)) < 0)
        return S3E_INTERNAL;
    enum s3_err err = store_reserved_open(cfg, BUCKETMETA_SUB, &dfd);
    if (!err)
        err = store_errno(store_write_atomic(cfg, dfd, bucket, STORE_TMP_PREFIX, text, (size_t)n));
    if (dfd >= 0)
        close(dfd);
    return err;
}

enum s3_err bucketmeta_store(const struct s3_config *cfg, const char *bucket, int bucketfd,
                             const struct bucket_meta *m)
{
    char text[RECORD_MAX];
    int n = format_record(m, NULL, text, sizeof text);
    if (n < 0)
        return S3E_INTERNAL;
    if (fsetxattr(bucketfd, BUCKETMETA_XATTR, text, (size_t)n, 0) == 0)
        return cfg->fsync && fsync(bucketfd) != 0 ? store_errno(errno) : S3E_OK;
    if (!xattr_refused(errno))
        return store_errno(errno);
    return fallback_store(cfg, bucket, bucketfd, m);
}

void bucketmeta_forget(const struct s3_config *cfg, const char *bucket)
{
    int dfd = -1;
    if (fallback_dir_open(cfg, &dfd) != 0)
        return;
    unlinkat(dfd, bucket, 0);
    close(dfd);
}
