/* multipart.h - the on-disk staging model of multipart uploads (GUIDE section 3,
 * "Multipart"; S3 API CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads).
 * The HTTP side lives in op_multipart.c; this file knows nothing about requests.
 *
 * Layout (everything beneath the reserved directory, so never visible through S3):
 *
 *   root/.s3cgi/multipart/<bucket>/<upload id>/
 *       info         the upload: bucket, key, checksum algorithm, the headers to
 *                    store with the final object. Written once by Create (temp file,
 *                    fsync, rename): the upload exists exactly while "info" exists.
 *                    Its mtime is the initiation time purge ages by.
 *       lock         an empty file carrying the upload's fcntl lock.
 *       p00001..p10000  one file per part: the part's bytes, then a fixed
 *                    MP_TRAILER-byte text trailer (magic, size, MD5, checksum). A
 *                    part is streamed into ".tmp-<random>" beside it, fsynced and
 *                    renamed over its name, so a re-upload replaces it atomically and
 *                    racing uploads of one part number leave one whole part. Data at
 *                    offset 0 keeps reflinks block-aligned for Complete.
 *       done         written by a successful Complete (after the object is
 *                    published): key, ETag, size, part count, checksum. Kept, with
 *                    info and lock, until purge, so a retried Complete answers 200
 *                    with the same ETag. Part files are dropped once it exists.
 *
 *   root/.s3cgi/multipart/.trash/<upload id>-<part or temp file name>
 *                    parts a Complete or an Abort dropped, renamed here (one
 *                    rename per part, ~10 us, no data freed: unlinking 1,024 parts
 *                    of 5 MiB took ~1.7 s on ext4 -o discard, half as long as cp +
 *                    sync of the object) and the space is given back later, with
 *                    bounded work per request, by mp_trash_free:
 *                      - every UploadPart frees up to twice its own size (so trash
 *                        never outgrows what uploads are written: the parts of the
 *                        next upload free the previous one's),
 *                      - every Create, Complete and Abort up to MP_TRASH_BUDGET,
 *                      - the opportunistic purge up to MP_TRASH_BUDGET, and
 *                        s3cgi-admin purge all of it.
 *                    A file larger than the budget left is shortened from its end
 *                    (ftruncate), so one huge part does not make one request slow.
 *                    So the garbage of a Complete lasts until the next multipart
 *                    requests of any bucket have freed it (5 GiB of parts: 2.5 GiB
 *                    of UploadPart bodies, or 80 Creates/Completes/Aborts), at the
 *                    latest until the next s3cgi-admin purge (cron). It is invisible
 *                    through S3 and belongs to no upload: losing a rename or an
 *                    unlink to a crash only delays freeing.
 *
 * Upload id: 16 hex digits of the initiation time in nanoseconds, then 32 hex digits
 * from getrandom (128 bits, unguessable): 48 lowercase hex characters, path and URL
 * safe, ordered by initiation when compared as strings (ListMultipartUploads order).
 * Anything else is rejected before it reaches a path (NoSuchUpload).
 *
 * States: ACTIVE (info, no done), DONE (info and done), GONE (no info: aborted,
 * purged, or a Create that crashed half-way; such directories are purged later).
 *
 * Locking: "lock" is locked with open file description locks (F_OFD_SETLKW: per open
 * file, so threads of one FastCGI process exclude each other too; POSIX byte-range
 * locks underneath, so lockd/NFSv4 carry them between NFS clients). Kernels without
 * OFD locks fall back to classic F_SETLKW (processes only).
 *   - Complete and Abort hold it exclusively for their whole run, and purge takes it
 *     exclusively without waiting (a busy upload is skipped).
 *   - UploadPart streams without the lock, then holds it shared only around
 *     "check the upload is ACTIVE, rename the part into place".
 * Whoever gets the lock re-checks the state first: waiting Completes of the same
 * upload see DONE and answer from "done"; a part arriving after Complete or Abort is
 * refused (NoSuchUpload) and its temp file removed. Complete sees a frozen set of
 * parts while it validates and assembles.
 *
 * Crash safety: Complete assembles into store_put (O_TMPFILE or a ".s3cgi-tmp-"
 * file in the bucket) and publishes with one rename/link; the staging is untouched
 * until "done" is durable. A crash before the publish leaves the upload ACTIVE and a
 * retry succeeds; a crash between publish and "done" makes the retry assemble and
 * publish the same bytes again (same ETag); after "done" the retry answers from it.
 * Parts go to the trash only after "done" is durable (a retry, or purge, moves what
 * a crash left behind). Complete also drops each part's clean page cache once copied
 * (posix_fadvise DONTNEED, with fsync on: the parts are durable and about to go), so
 * the object's pages reuse the parts' instead of doubling the memory Complete takes.
 * Abort removes "info" first (the point of no return), then moves the parts into the
 * trash and removes the rest.
 *
 * Purge (mp_purge; s3cgi-admin purge, and 1 in MP_PURGE_ONE_IN Creates for the
 * request's bucket with bounded work): removes uploads initiated more than max_age
 * ago, DONE uploads and GONE leftovers older than MP_TMP_MAX_AGE, part temp files
 * older than MP_TMP_MAX_AGE, moves the parts a younger DONE upload still has to the
 * trash, frees the trash (all of it, or MP_TRASH_BUDGET when opportunistic), and, on
 * request, stale ".s3cgi-tmp-*" files under the buckets and stale files in
 * root/.s3cgi/tmp.
 *
 * Memory: nothing here grows with part or object size; every buffer is fixed or
 * capped. Strings handed out come from the caller's arena.
 */
#ifndef S3CGI_MULTIPART_H
#define S3CGI_MULTIPART_H

#include <stddef.h>
#include <time.h>
#include "arena.h"
#include "checksum.h"
#include "errors.h"
#include "store.h"

struct s3_config;

#define MP_ID_LEN 48
#define MP_MAX_PARTS 10000
#define MP_MIN_PART_SIZE (5LL << 20)        /* S3: every part but the last >= 5 MiB */
#define MP_MAX_PART_SIZE (5LL << 30)        /* S3: a part is at most 5 GiB */
#define MP_TRAILER 256                      /* bytes of the trailer after a part's data */
/* Default age after which an upload is purged (until struct s3_config has
 * mp_max_age): 7 days. */
#define MP_DEFAULT_MAX_AGE (7L * 24 * 3600)
/* Age after which temp files, finished (DONE) and half-removed (GONE) uploads go. */
#define MP_TMP_MAX_AGE (24L * 3600)
#define MP_PURGE_ONE_IN 100                 /* opportunistic purge: 1 Create in 100 */
#define MP_PURGE_BUDGET 16                  /* ... removing at most this many uploads */
/* Trash a Create, Complete, Abort or opportunistic purge frees (bytes; ~20 ms of
 * unlinking on ext4 -o discard). */
#define MP_TRASH_BUDGET (64LL << 20)
/* Internal header of a completed multipart object carrying its part sizes as runs
 * "SIZExCOUNT,SIZExCOUNT..." (GET ?partNumber). Never returned to clients. */
#define MP_LAYOUT_HDR "x-s3cgi-parts"
#define MP_LAYOUT_MAX (32u << 10)           /* longer layouts are not recorded */
#define MP_HDRS_MAX (16u << 10)             /* stored headers of one upload (bytes) */
#define MP_MAX_HDRS 256                     /* ... and their number */

enum mp_state { MP_ACTIVE = 0, MP_DONE, MP_GONE };
enum mp_lock_mode { MP_LOCK_SHARED = 0, MP_LOCK_EXCLUSIVE };

/* An open upload. Fields below "info" come from the info file (arena strings). */
struct mp_upload {
    char id[MP_ID_LEN + 1];
    int bdirfd;                 /* root/.s3cgi/multipart/<bucket> */
    int dirfd;                  /* the upload's directory */
    int lockfd;
    int locked;
    /* info */
    const char *bucket;
    const char *key;
    size_t key_len;
    enum checksum_alg alg;      /* x-amz-checksum-algorithm of Create, CK_NONE */
    const char *ck_type;        /* x-amz-checksum-type of Create, or NULL */
    struct s3_meta_kv *hdrs;    /* headers for the final object */
    size_t nhdrs;
    struct timespec initiated;  /* from the id */
};

/* One stored part (its trailer and file). */
struct mp_part {
    int number;
    long long size;
    char md5[33];               /* lowercase hex */
    enum checksum_alg ck_alg;   /* CK_NONE when no checksum was sent or asked for */
    char ck[CHECKSUM_B64_MAX];  /* base64, as S3 returns it */
    struct timespec mtime;      /* LastModified */
};

/* A part being written: a temp file in the upload directory. */
struct mp_part_tmp {
    int fd;
    char name[40];
};

/* Result of a finished Complete ("done"). */
struct mp_done {
    const char *key;
    size_t key_len;
    char etag[80];
    long long size;
    int parts;
    enum checksum_alg ck_alg;
    char ck[CHECKSUM_B64_MAX + 8];  /* "base64-N" composite, "" when none */
};

/* 1 when id has the form of an upload id (MP_ID_LEN lowercase hex digits). */
int mp_id_valid(const char *id);
/* Initiation time encoded in a valid id. */
struct timespec mp_id_time(const char *id);

/* Creates an upload of key in bucket: staging directory, lock, info. hdrs are the
 * headers to store with the final object (lowercase names); alg/ck_type what Create
 * asked for. id receives the new upload id. S3E_METADATA_TOO_LARGE when the headers
 * exceed MP_HDRS_MAX, S3E_NO_SPACE, S3E_INTERNAL (also when getrandom fails: ids are
 * never guessable). Nothing is left behind on failure. */
enum s3_err mp_create(const struct s3_config *cfg, const char *bucket, const char *key,
                      size_t key_len, enum checksum_alg alg, const char *ck_type,
                      const struct s3_meta_kv *hdrs, size_t nhdrs, char id[MP_ID_LEN + 1]);

/* Opens upload id of bucket and loads its info into u (strings in a). S3E_NO_SUCH_UPLOAD
 * for a malformed or unknown id, a GONE upload, or an info naming another bucket.
 * The caller checks the key and the state. mp_close is safe after any result. */
enum s3_err mp_open(const struct s3_config *cfg, const char *bucket, const char *id,
                    struct arena *a, struct mp_upload *u);
void mp_close(struct mp_upload *u);
/* Waits for the upload's lock. 0 or an errno. Released by mp_unlock or mp_close. */
int mp_lock(struct mp_upload *u, enum mp_lock_mode mode);
void mp_unlock(struct mp_upload *u);
/* Current state (take the lock first where it must not change). */
enum mp_state mp_state(const struct mp_upload *u);

/* Opens a temp file for a part in the upload directory. S3E_NO_SUCH_UPLOAD when the
 * directory is gone. */
enum s3_err mp_part_begin(struct mp_upload *u, struct mp_part_tmp *t);
/* Writes len bytes to the temp part. S3E_NO_SPACE, S3E_INTERNAL. */
enum s3_err mp_part_write(struct mp_part_tmp *t, const void *data, size_t len);
/* Finishes the temp part holding exactly p->size data bytes: appends the trailer
 * built from p, fsyncs (cfg->fsync), then under the shared lock checks the upload is
 * ACTIVE and renames it to part p->number, fsyncing the directory. On success p->mtime
 * is set. The temp file is consumed or removed whatever happens. S3E_NO_SUCH_UPLOAD
 * when the upload was completed or aborted meanwhile. */
enum s3_err mp_part_commit(const struct s3_config *cfg, struct mp_upload *u,
                           struct mp_part_tmp *t, struct mp_part *p);
/* Drops a temp part (safe on one never begun or already consumed). */
void mp_part_abort(struct mp_upload *u, struct mp_part_tmp *t);

/* Opens part n for reading: *fd O_RDONLY (caller closes; the data is [0, p->size)),
 * *p from its trailer. S3E_INVALID_PART when missing or damaged. */
enum s3_err mp_part_open(struct mp_upload *u, int n, int *fd, struct mp_part *p);
/* Marks in bits (MP_MAX_PARTS + 1 bits, bit n for part n) the parts present. 0 or errno. */
#define MP_BITMAP_BYTES ((MP_MAX_PARTS + 8) / 8)
int mp_part_scan(struct mp_upload *u, unsigned char bits[MP_BITMAP_BYTES]);

/* Records a finished Complete (temp, fsync, rename "done"). Call with the lock held. */
enum s3_err mp_done_write(const struct s3_config *cfg, struct mp_upload *u,
                          const struct mp_done *d);
/* Reads "done" (strings in a). S3E_NO_SUCH_UPLOAD when absent or unreadable. */
enum s3_err mp_done_read(struct mp_upload *u, struct arena *a, struct mp_done *d);
/* Moves the part files and part temp files into the trash (after "done"), best
 * effort: what cannot be moved is unlinked. Costs a rename per part, frees nothing. */
void mp_drop_parts(const struct s3_config *cfg, struct mp_upload *u);
/* Frees up to budget bytes of the trash (each file removed also counts 64 KiB; a
 * file larger than what is left is shortened from its end instead). Returns the
 * bytes freed. Safe to run concurrently; budget <= 0 does nothing. */
long long mp_trash_free(const struct s3_config *cfg, long long budget);
/* Abort: removes the upload (info first, then its parts into the trash), with the
 * exclusive lock held. */
enum s3_err mp_remove(const struct s3_config *cfg, struct mp_upload *u);

/* ListMultipartUploads: calls cb for every ACTIVE upload of bucket, in no particular
 * order. The entry's strings are valid during the call only. cb returns nonzero to
 * stop. A bucket without uploads is S3E_OK. Memory: one MP_INFO_MAX buffer. */
struct mp_entry {
    const char *id;
    const char *key;
    size_t key_len;
    struct timespec initiated;
    enum checksum_alg alg;
};
typedef int (*mp_each_cb)(void *ctx, const struct mp_entry *e);
enum s3_err mp_each_upload(const struct s3_config *cfg, const char *bucket, mp_each_cb cb,
                           void *ctx);

/* Part layout of a completed object: MP_LAYOUT_HDR value from the sizes of its parts.
 * 0 ok (out NUL-terminated), -1 when it needs more than cap bytes. */
int mp_layout_encode(const long long *sizes, int n, char *out, size_t cap);
/* Finds part n (1-based) in layout for an object of total bytes in count parts:
 * *off and *len. 0 ok, -1 when the layout is malformed, disagrees with total/count,
 * or n is out of range. */
int mp_layout_find(const char *layout, int count, long long total, int n, long long *off,
                   long long *len);

/* Purge (see the top of this file). */
struct mp_purge_opts {
    long max_age;               /* seconds since initiation; <= 0: MP_DEFAULT_MAX_AGE */
    long tmp_age;               /* seconds; <= 0: MP_TMP_MAX_AGE */
    const char *bucket;         /* only this bucket's uploads; NULL: all */
    long budget;                /* at most this many uploads removed; 0: no limit */
    int quick;                  /* expiry decided from the ids alone (no stat per upload) */
    int temp_files;             /* also walk the buckets and root/.s3cgi/tmp for temp files */
};
struct mp_purge_stats {
    long uploads_examined, uploads_removed, busy, tmp_removed, errors;
    long long trash_freed;      /* bytes */
};
enum s3_err mp_purge(const struct s3_config *cfg, const struct mp_purge_opts *o, time_t now,
                     struct mp_purge_stats *st);

#endif
