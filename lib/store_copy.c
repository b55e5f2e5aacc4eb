/* store_copy.c - appending a byte range of an open file to a pending PUT without
 * passing the data through user space when the kernel can do it: a reflink
 * (FICLONERANGE) where offsets and length are block-aligned and the filesystem
 * shares extents (btrfs, XFS), else copy_file_range(2), else a bounded
 * read/write loop. Memory use does not grow with len. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "store.h"

#define COPY_BLOCK (256u << 10)

static enum s3_err put_fail(struct store_put *p, int err)
{
    p->failed = store_errno(err);
    if (p->failed == S3E_NO_SUCH_KEY || p->failed == S3E_KEY_CONFLICT)
        p->failed = S3E_INTERNAL;
    return (enum s3_err)p->failed;
}

/* Tries a reflink of the whole range. 1 done, 0 not possible here. */
static int try_reflink(struct store_put *p, int srcfd, long long off, long long len)
{
#ifdef FICLONERANGE
    struct stat st;
    if (p->no_reflink || fstat(p->fd, &st) < 0 || st.st_blksize <= 0)
        return 0;
    long long bs = st.st_blksize;
    if (off % bs || p->written % bs || len % bs)
        return 0;       /* reflinks need block-aligned ranges (the tail block of a file excepted) */
    struct file_clone_range r = { .src_fd = srcfd, .src_offset = (unsigned long long)off,
                                  .src_length = (unsigned long long)len,
                                  .dest_offset = (unsigned long long)p->written };
    if (ioctl(p->fd, FICLONERANGE, &r) < 0) {
        /* no support on this filesystem, or across these two: it will not change
         * for the next part (EINVAL can be alignment, so it does not count) */
        if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == ENOSYS)
            p->no_reflink = 1;
        return 0;
    }
    if (lseek(p->fd, 0, SEEK_END) < 0)
        return 0;
    p->written += len;
    return 1;
#else
    (void)p; (void)srcfd; (void)off; (void)len;
    return 0;
#endif
}

/* Bounded read/write copy. */
static enum s3_err copy_rw(struct store_put *p, int srcfd, long long off, long long len)
{
    char *block = malloc(COPY_BLOCK);
    if (!block)
        return put_fail(p, ENOMEM);
    enum s3_err err = S3E_OK;
    while (len > 0) {
        size_t want = len < (long long)COPY_BLOCK ? (size_t)len : COPY_BLOCK;
        ssize_t n = pread(srcfd, block, want, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = put_fail(p, n < 0 ? errno : EIO);    /* source shorter than promised */
            break;
        }
        if ((err = store_put_write(p, block, (size_t)n)))
            break;
        off += n;
        len -= n;
    }
    free(block);
    return err;
}

enum s3_err store_put_copy(struct store_put *p, int srcfd, long long off, long long len)
{
    if (p->failed)
        return (enum s3_err)p->failed;
    if (len == 0)
        return S3E_OK;
    if (p->fd < 0)
        return store_put_write(p, "", 1);      /* directory object: refused the same way */
    if (try_reflink(p, srcfd, off, len))
        return S3E_OK;
    while (len > 0) {
        loff_t so = off;
        size_t want = len > (1LL << 30) ? (size_t)1 << 30 : (size_t)len;
        ssize_t n = copy_file_range(srcfd, &so, p->fd, NULL, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                      errno == EOPNOTSUPP || errno == EBADF))
            break;      /* not supported between these files: fall back */
        if (n < 0)
            return put_fail(p, errno);
        if (n == 0)
            return put_fail(p, EIO);    /* source shorter than promised */
        off += n;
        len -= n;
        p->written += n;
    }
    if (len == 0)
        return S3E_OK;
    return copy_rw(p, srcfd, off, len);
}
