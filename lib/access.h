/* access.h - authorization: who may do what, once auth.c has said who is asking.
 *
 * Users are the keys of the credentials file (config.h); req->auth.cred is NULL for
 * an unsigned (anonymous) request. Towards one bucket a signed key has a level:
 *   OWNER  its owner id is the bucket's recorded owner (bucketmeta.h), or the key is
 *          admin: admins own the buckets without a recorded owner (trees that
 *          existed before s3cgi) and may act on every bucket;
 *   WRITE  grant=BUCKET:rw;   READ  grant=BUCKET:ro;   NONE  otherwise.
 * A read-only key's level is capped at READ, whatever it owns or is granted.
 *
 * What a route needs (enum s3_perm, route.h):
 *   P_SERVICE      any signed key (ListBuckets then lists the buckets of level >= READ)
 *   P_CREATE       any signed key that is not read-only (conflicts: op_create_bucket)
 *   P_READ_PUBLIC  level >= READ, or an ACL that opens the resource: the bucket's
 *                  public-read (anyone) or authenticated-read (any signed key) and, for
 *                  GET/HEAD of an object, the object's own canned ACL likewise
 *                  (S3 User Guide, "Access control list (ACL) overview": AllUsers and
 *                  AuthenticatedUsers READ; on a bucket READ allows listing it)
 *   P_READ         level >= READ (ACLs, configuration, uploads and parts)
 *   P_WRITE        level >= WRITE (object writes and deletes, multipart, object ACLs)
 *   P_OWNER        level OWNER (DeleteBucket, PutBucketAcl, bucket configuration)
 * CopyObject and UploadPartCopy also need P_READ_PUBLIC on the source object.
 * Anonymous requests: everything when "anonymous = full" (private test endpoints),
 * else only what an ACL opens; all else is 403 AccessDenied ("Access Denied", as S3).
 *
 * Canned ACLs (x-amz-acl; S3 User Guide "Canned ACL"), where a route takes one:
 *   private, public-read, authenticated-read      stored and enforced
 *   bucket-owner-read, bucket-owner-full-control  accepted as private: S3 ignores them
 *       on buckets, and on objects the bucket owner already has FULL_CONTROL of every
 *       object (s3cgi records no separate object owner)
 *   public-read-write, aws-exec-read, log-delivery-write   501 NotImplemented, with a
 *       message saying why (no anonymous writes, no EC2, no server access logging)
 *   anything else                                          400 InvalidArgument
 * x-amz-grant-* headers on those routes: 501 NotImplemented (use x-amz-acl).
 * An object's canned ACL is the internal stored header S3_OBJECT_ACL_HDR in its
 * metadata (absent: private); GET never returns it (op_object.c sends allow-listed
 * headers only), and CopyObject does not copy it (S3: a copy gets the ACL of the copy
 * request).
 */
#ifndef S3CGI_ACCESS_H
#define S3CGI_ACCESS_H

#include "bucketmeta.h"
#include "ops.h"
#include "route.h"

#define S3_OBJECT_ACL_HDR "x-s3cgi-acl"

enum access_level { ACCESS_NONE = 0, ACCESS_READ, ACCESS_WRITE, ACCESS_OWNER };

/* The decision for route r, called by the dispatcher once the bucket is open
 * (c->bucketfd; -1 for routes without a bucket). S3E_OK, S3E_ACCESS_DENIED, the
 * canned-ACL errors above (with *msg set to the specific message), S3E_INTERNAL when
 * a bucket record cannot be read. */
enum s3_err access_check(struct s3_ctx *c, const struct s3_route *r, const char **msg);

/* May req read object key (key_len bytes) of bucket, open on bucketfd: level READ,
 * or the bucket's or the object's canned ACL opens it. S3E_OK, S3E_ACCESS_DENIED,
 * S3E_INTERNAL (bucket record unreadable). The dispatcher applies it to the source of
 * CopyObject and UploadPartCopy, parsing x-amz-copy-source as each of them does. */
enum s3_err access_may_read_object(const struct s3_request *req, const char *bucket,
                                   int bucketfd, const char *key, size_t key_len);
/* req's level towards the bucket whose record is bm. */
enum access_level access_level_of(const struct s3_request *req, const struct bucket_meta *bm,
                                  const char *bucket);
/* 1 when the requester owns the bucket in the sense of CreateBucket's
 * BucketAlreadyOwnedByYou: its owner id is the recorded one, or no owner is recorded
 * and it is an admin key (or anonymous under "anonymous = full"). */
int access_is_owner(const struct s3_request *req, const struct bucket_meta *bm);
/* 1 when ListBuckets shows bucket to req (level >= READ; errors hide it). */
int access_lists_bucket(const struct s3_request *req, const char *bucket);

/* Maps an x-amz-acl value for target (ACLT_BUCKET or ACLT_OBJECT) to what s3cgi
 * stores. Errors as listed above; *msg gets the message (static). */
enum s3_err access_canned_acl(const char *value, enum s3_acl_target target, enum s3_acl *out,
                              const char **msg);
/* The canned ACL stored in an object's metadata (private when absent or unknown). */
enum s3_acl access_object_acl(const struct s3_meta *m);
/* The owner that Owner elements and ACLs show for a bucket with record bm: the
 * recorded owner (its display name from the credentials file, else the id), else the
 * first admin key, else the anonymous owner. */
void access_bucket_owner(const struct s3_config *cfg, const struct bucket_meta *bm,
                         struct s3_owner *out);

#endif
