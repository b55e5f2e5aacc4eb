/* bucketmeta.h - what s3cgi records about a bucket: its owner and its canned ACL.
 *
 * The record lives with the bucket, so it survives restarts, is shared by every node
 * over a shared filesystem, and is never visible through S3:
 *   - the xattr "user.s3cgi.bucket" of the bucket directory, text
 *       "s3cgi-bucket1\n" "owner=<owner id>\n" "acl=<canned ACL>\n"
 *     (either field may be absent; unknown lines are skipped, so fields can be added);
 *   - where the filesystem refuses user xattrs on the directory (ENOTSUP, EPERM,
 *     EACCES): the file root/.s3cgi/buckets/<bucket>, the same text plus
 *     "ino=<inode>\n" "btime=<sec>.<nsec>\n" of the bucket directory. It counts only
 *     while both still describe the directory, so a bucket removed and made again by
 *     other means (rmdir + mkdir) does not inherit the old owner. DeleteBucket removes
 *     it.
 * A bucket without a record (a tree that existed before s3cgi, or one made with mkdir)
 * has no owner - the admin keys own it (access.h) - and the ACL private. A record that
 * cannot be parsed counts as no record: that grants less, never more.
 */
#ifndef S3CGI_BUCKETMETA_H
#define S3CGI_BUCKETMETA_H

#include "config.h"
#include "errors.h"

#define BUCKETMETA_XATTR "user.s3cgi.bucket"
#define BUCKETMETA_SUB "buckets"        /* under root/.s3cgi */

/* The canned ACLs s3cgi stores (S3 User Guide, "Access control list (ACL) overview",
 * "Canned ACL"). The other canned values are mapped or refused by access.c. */
enum s3_acl {
    S3_ACL_PRIVATE = 0,         /* owner FULL_CONTROL, nothing else */
    S3_ACL_PUBLIC_READ,         /* + AllUsers READ: readable without signing */
    S3_ACL_AUTHENTICATED_READ,  /* + AuthenticatedUsers READ: readable by every key */
};

struct bucket_meta {
    char owner[S3_OWNER_ID_MAX + 1];    /* owner id; "" when none is recorded */
    enum s3_acl acl;
};

/* Reads the record of the bucket open on bucketfd (name: bucket). No record, or one
 * that cannot be parsed: S3E_OK with owner "" and S3_ACL_PRIVATE. S3E_INTERNAL when
 * the record cannot be read (I/O error): callers must then refuse, not guess. */
enum s3_err bucketmeta_load(const struct s3_config *cfg, const char *bucket, int bucketfd,
                            struct bucket_meta *m);
/* Replaces the record (xattr, else the fallback file written atomically: temp file
 * and rename, fsynced when cfg->fsync). S3E_NO_SPACE, S3E_INTERNAL, ... */
enum s3_err bucketmeta_store(const struct s3_config *cfg, const char *bucket, int bucketfd,
                             const struct bucket_meta *m);
/* Removes the fallback file of a deleted bucket (best effort; the xattr went with the
 * directory). */
void bucketmeta_forget(const struct s3_config *cfg, const char *bucket);

/* "private", "public-read", "authenticated-read". */
const char *bucketmeta_acl_name(enum s3_acl acl);
/* The inverse, for the three names above; -1 for anything else. */
int bucketmeta_acl_parse(const char *name, enum s3_acl *out);

#endif
