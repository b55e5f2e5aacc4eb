/* meta.h - object metadata at rest (GUIDE section 3, "Metadata" and "ETag").
 *
 * One blob per object, in the xattr "user.s3cgi" of the file (or of the directory,
 * for a directory object). Where the filesystem has no user xattrs (ENOTSUP), or the
 * blob is too large for it, the blob goes to a sidecar file
 * root/.s3cgi/meta/XX/YYYY... named by SHA-256(bucket inode || object inode), so
 * concurrent PUTs of one key never share a sidecar and a temp file's sidecar can be
 * written before the file is published. A blob too large for the xattr leaves a
 * small stub there saying "in the sidecar".
 *
 * Blob format (text, readable with getfattr --only-values):
 *   "s3cgi1\n" then records  TAG LEN ':' BYTES '\n'  (LEN decimal, BYTES raw)
 *   E etag   S size   T mtime "sec.nsec"   P parts count   D "1" directory object
 *   I inode, K key (sidecar only: checked on load)
 *   X "1" blob is in the sidecar (xattr stub only)
 *   H header name, immediately followed by V its value (repeated)
 * Unknown tags are skipped, so fields can be added later.
 *
 * Validity: a regular file's blob counts only while its S and T equal the file's
 * current size and mtime (and, in a sidecar, I and K its inode and key); otherwise
 * the ETag is recomputed (MD5) and cached back without the stale headers. A
 * directory is an object only while it carries a blob with D (and, in a sidecar,
 * matching I and K).
 */
#ifndef S3CGI_META_H
#define S3CGI_META_H

#include <stddef.h>
#include <sys/stat.h>
#include "arena.h"
#include "buf.h"
#include "errors.h"
#include "store.h"

struct s3_config;

#define META_XATTR "user.s3cgi"
#define META_MAX_BLOB 65536         /* hard cap on one blob */
#define META_EMPTY_MD5 "d41d8cd98f00b204e9800998ecf8427e"

/* Serialises m into out. Size and mtime come from st (the object's fstat), not from
 * m. key != NULL: also record I (st's inode) and K (the key), as a sidecar blob must.
 * 0 ok, -1 too big. */
int meta_encode(const struct s3_meta *m, const struct stat *st, const char *key,
                size_t key_len, struct buf *out);
/* Parses a blob into m (zeroed first); a == NULL skips headers. The sidecar-only
 * records I and K and the stub flag X go to *x (zero when absent).
 * 0 ok, -1 malformed or out of memory. */
struct meta_extra {
    unsigned long long ino;
    const char *key;            /* points into the blob */
    size_t key_len;
    int in_sidecar;
};
int meta_decode(const char *p, size_t n, struct arena *a, struct s3_meta *m,
                struct meta_extra *x);

/* MD5 of the whole file open on fd, read with pread from offset 0 in 64 KiB blocks
 * (the fd's offset is not moved). hex gets 32 hex digits. 0 ok, -1 errno set. */
int meta_md5_fd(int fd, char hex[33]);

/* Fills m for the object open on fd, st its fstat, key its key in the bucket.
 * Regular file: size and mtime from st; etag and headers from a valid blob, else the
 * MD5 is computed and cached (best effort: a read-only filesystem is fine; the cache
 * write changes ctime only, never mtime). Directory: S3E_NO_SUCH_KEY unless marked.
 * a == NULL: headers are not loaded. Errors: S3E_NO_SUCH_KEY, S3E_INTERNAL. */
enum s3_err meta_load(const struct s3_config *cfg, int bucketfd, const char *key,
                      size_t key_len, int fd, const struct stat *st, struct arena *a,
                      struct s3_meta *m);
/* Stores m as the blob of the object open on fd, before it is published. st: fstat
 * of fd after the last write (for a directory object, st_mtim = publish time).
 * Falls back to the sidecar as described above. S3E_NO_SPACE, S3E_INTERNAL, ... */
enum s3_err meta_store(const struct s3_config *cfg, int bucketfd, const char *key,
                       size_t key_len, int fd, const struct stat *st,
                       const struct s3_meta *m);
/* Drops the blob of the inode st describes: the xattr on fd (when fd >= 0) and the
 * sidecar, best effort. */
void meta_remove(const struct s3_config *cfg, int bucketfd, int fd, const struct stat *st);

#endif
