/* store.h - the filesystem model (GUIDE section 3).
 *
 * Buckets are the directories directly under cfg->root; an object key maps to the
 * file root/bucket/key. Every path is resolved beneath cfg->root_fd one component at
 * a time with O_NOFOLLOW (or openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so no
 * symlink can lead outside the root. The reserved directory root/.s3cgi holds
 * temporary files, staging and locks; nothing in it, and no name starting with
 * ".s3cgi", is ever visible through S3.
 *
 * Metadata lives in one user.s3cgi xattr per object (sidecar fallback where xattrs
 * are unsupported). All strings handed out are allocated from the caller's arena.
 */
#ifndef S3CGI_STORE_H
#define S3CGI_STORE_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include "arena.h"
#include "errors.h"

struct s3_config;

#define S3_MAX_KEY_LEN 1024
#define S3_RESERVED_DIR ".s3cgi"

struct s3_meta_kv { char *name; char *value; };   /* name lowercase */

struct s3_meta {
    char etag[80];              /* unquoted: 32 hex, or "hex-N" for multipart */
    long long size;
    struct timespec mtime;
    /* Stored response headers, lowercase names: content-type, content-encoding,
     * content-disposition, content-language, cache-control, expires, x-amz-meta-*,
     * x-amz-checksum-*, and room for more (x-amz-acl, part layout...). */
    struct s3_meta_kv *hdrs;
    size_t nhdrs;
    int parts_count;            /* 0 single part */
    int is_dir;                 /* directory object ("key/") */
};

/* Value of stored header name in m, or NULL. */
const char *s3_meta_get(const struct s3_meta *m, const char *name);

/* S3 bucket naming rules (3-63 chars, a-z 0-9 . -, starts/ends alnum, not an IP
 * address, no "..", not "xn--" prefix / "-s3alias" suffix). S3E_OK or
 * S3E_INVALID_BUCKET_NAME. Names starting with '.' are never valid. */
enum s3_err s3_bucket_name_check(const char *name);
/* Key mappability: non-empty, <= 1024 bytes (KeyTooLongError), valid UTF-8, no NUL,
 * no leading '/', no empty, "." or ".." segment, no segment over NAME_MAX, no
 * segment starting with ".s3cgi" (S3E_KEY_UNMAPPABLE). A trailing '/' is allowed
 * (directory object). */
enum s3_err s3_key_check(const char *key, size_t len);

/* Buckets. store_bucket_open gives an O_DIRECTORY fd (caller closes); NoSuchBucket
 * when absent, not a directory, a symlink or an invalid name. */
enum s3_err store_bucket_open(const struct s3_config *cfg, const char *bucket, int *dirfd);
enum s3_err store_bucket_create(const struct s3_config *cfg, const char *bucket);  /* BucketAlreadyOwnedByYou */
enum s3_err store_bucket_delete(const struct s3_config *cfg, const char *bucket);  /* BucketNotEmpty, NoSuchBucket */
typedef int (*store_bucket_cb)(void *ctx, const char *name, time_t created);        /* nonzero stops */
/* Calls cb for every bucket in byte order of name, skipping names that are not valid
 * bucket names and anything that is not a directory (symlinks included). `created`
 * is the directory's birth time where the filesystem records one (statx btime:
 * ext4, xfs, btrfs, tmpfs), else its mtime. */
enum s3_err store_bucket_list(const struct s3_config *cfg, store_bucket_cb cb, void *ctx);

/* Opens key for reading: *fd is O_RDONLY on the regular file (caller closes; -1 for a
 * directory object, whose size is 0); *meta filled, with the ETag taken
 * from the xattr when it is still valid for the file's size and mtime, else computed
 * (MD5 of the content) and cached. NoSuchKey when absent, a plain directory, or
 * unmappable. */
enum s3_err store_object_open(const struct s3_config *cfg, int bucketfd,
                              const char *key, size_t key_len, struct arena *a,
                              int *fd, struct s3_meta *meta);

/* Atomic PUT: begin creates an unnamed/temporary file on the bucket's filesystem;
 * write appends; commit stores meta (xattr) on it, fsyncs (cfg->fsync), creates
 * missing parent directories and links/renames it into place, fsyncs the directory.
 * A reader sees the old object or the new one. abort (or commit failing) leaves
 * nothing visible. Errors: S3E_KEY_CONFLICT (a parent is a file, or the key is a
 * directory), S3E_NO_SPACE (ENOSPC/EDQUOT), S3E_PRECONDITION_FAILED (If-None-Match *
 * and the key exists, decided by link(2) EEXIST; or if_match not equal to the current
 * ETag), S3E_NO_SUCH_KEY (if_match and no object), S3E_INTERNAL. A key ending in '/'
 * with zero bytes becomes a directory object. */
struct store_put {
    const struct s3_config *cfg;
    int bucketfd;
    const char *key;
    size_t key_len;
    int fd;                     /* temp file */
    int tmpdirfd;               /* directory the temp file lives in (named fallback) */
    char tmpname[64];           /* "" when O_TMPFILE is used */
    long long written;
    long long flushing;         /* bytes handed to writeback early (cfg->fsync) */
    int failed;
    int no_reflink;             /* a reflink failed for want of filesystem support:
                                 * later store_put_copy calls skip it */
};
/* p->key points at the caller's key, which must stay valid until commit or abort.
 * The key is checked here (s3_key_check errors). Whatever begin and commit return,
 * calling abort afterwards is safe (commit releases everything itself). */
enum s3_err store_put_begin(struct store_put *p, const struct s3_config *cfg, int bucketfd,
                            const char *key, size_t key_len);
enum s3_err store_put_write(struct store_put *p, const void *data, size_t len);
enum s3_err store_put_commit(struct store_put *p, const struct s3_meta *meta,
                             int if_none_match_star, const char *if_match);
void store_put_abort(struct store_put *p);
/* Appends len bytes of srcfd starting at off to the pending put (store_copy.c):
 * reflink where possible, else copy_file_range, else a bounded read/write loop.
 * A source shorter than off+len fails the put (S3E_INTERNAL). */
enum s3_err store_put_copy(struct store_put *p, int srcfd, long long off, long long len);

/* Removes key (S3E_OK when it does not exist, or is a symlink, or names a plain
 * directory) and then every parent directory left empty, up to but not including the
 * bucket or a directory object. A directory object loses its mark and is removed
 * when empty. Keys failing s3_key_check get that error. */
enum s3_err store_object_delete(const struct s3_config *cfg, int bucketfd,
                                const char *key, size_t key_len);

/* Opens root/.s3cgi/<sub> (sub: relative, '/'-separated, may be "" for .s3cgi
 * itself), creating missing directories with mode 0700. *dirfd is O_DIRECTORY,
 * caller closes. For internal state only (multipart staging, locks, sidecars). */
enum s3_err store_reserved_open(const struct s3_config *cfg, const char *sub, int *dirfd);

/* ---- Store internals (lib/keypath.c), shared by store.c, meta.c and walk.c. ----
 * These work on relative paths (pointer + length, '/'-separated, no empty, "." or
 * ".." component) beneath an open directory and never follow a symlink. They
 * return 0 or an errno value; ELOOP always means "a component is a symlink" and
 * ENOTDIR "a component exists but is not a directory". */

/* Opens dir beneath base (len 0: base itself, as a new open file description) with
 * O_RDONLY|O_DIRECTORY|O_CLOEXEC. Uses openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
 * when the kernel has it, else one O_NOFOLLOW openat per component. */
int store_opendir_beneath(int base, const char *rel, size_t len, int *out);
/* Like store_opendir_beneath, creating missing components with mkdirat(mode).
 * A component removed concurrently between mkdirat and openat is retried a few
 * times. With do_fsync, each directory that gained an entry is fsynced. *created
 * is set to 1 when at least one directory was made. */
int store_mkdirs_beneath(int base, const char *rel, size_t len, mode_t mode,
                         int do_fsync, int *out, int *created);
/* Copies one path component (no '/', 1..NAME_MAX bytes) into a NUL-terminated
 * name; 0 or ENAMETOOLONG/EINVAL. */
int store_component(const char *p, size_t len, char *out, size_t outsz);
/* 1 when a single path component (len bytes) is reserved (starts with ".s3cgi"). */
int store_reserved_name(const char *p, size_t len);

/* Writes prefix followed by 16 random hex digits (getrandom) into out. */
void store_tmp_name(char *out, size_t outsz, const char *prefix);
#define STORE_TMP_PREFIX ".s3cgi-tmp-"   /* temp files beside objects: reserved, never listed */

/* Replaces dir/name with a file holding data[0..len) atomically: a temp file
 * "<tmp_prefix><random>" in dir (mode 0600), written, fsynced (cfg->fsync), renamed over
 * name, then dir fsynced (cfg->fsync). The temp file is gone whatever happens.
 * 0, or the errno of the step that failed (callers map it: store_errno). For small
 * records (metadata sidecars, bucket records, upload state), not object bodies. */
int store_write_atomic(const struct s3_config *cfg, int dir, const char *name,
                       const char *tmp_prefix, const void *data, size_t len);

/* Maps an errno from a filesystem call to the S3 error (ENOSPC -> S3E_NO_SPACE, ...). */
enum s3_err store_errno(int err);

#endif
