/* walk.h - object listing in S3 order over a bucket's directory tree.
 *
 * Order is byte-wise over full keys: inside a directory, a subdirectory sorts as its
 * name plus '/' (so "a-b" < "a/" < "a0"). The walk starts by descending straight to
 * the deepest directory named by the prefix and by the `after` key, so a page
 * resumes without visiting what came before. Entries are handed to the callback as
 * they are found; the caller streams them out and stops when it has enough.
 */
#ifndef S3CGI_WALK_H
#define S3CGI_WALK_H

#include <stddef.h>
#include <time.h>
#include "arena.h"
#include "errors.h"

struct s3_config;

struct walk_params {
    const char *prefix; size_t prefix_len;        /* only keys starting with prefix */
    const char *delimiter; size_t delim_len;      /* 0 length: no grouping */
    const char *after; size_t after_len;          /* only keys (and prefixes) > after */
    int want_etag;                                /* fill etag (may hash uncached files) */
};

struct walk_entry {
    const char *key; size_t key_len;   /* full key, or the common prefix */
    int is_prefix;                     /* 1: CommonPrefix (prefix + ... + delimiter) */
    long long size;
    struct timespec mtime;
    const char *etag;                  /* unquoted, when want_etag and !is_prefix */
};

/* Returns 0 to continue, 1 to stop (enough entries), -1 to abort (write error). */
typedef int (*walk_cb)(void *ctx, const struct walk_entry *e);

/* Calls cb for each key or common prefix in S3 order. With a delimiter, keys that
 * contain it after the prefix are grouped: the group's prefix is reported once, in
 * its place in the order, and only if it contains at least one object; a group P is
 * skipped when P <= after or after starts with P. Directory objects ("dir/") are
 * keys; plain directories are not. Reserved names are never reported. Entry
 * pointers are valid only during the callback. Returns S3E_OK, or S3E_INTERNAL
 * (logged) on an I/O failure, or S3E_INTERNAL when cb returned -1. */
enum s3_err store_walk(const struct s3_config *cfg, int bucketfd,
                       const struct walk_params *wp, walk_cb cb, void *ctx);

#endif
