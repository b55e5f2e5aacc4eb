/* config.h - the immutable per-process configuration.
 *
 * Loaded once by the front (s3_config_load) from the file named by S3CGI_CONFIG or
 * the compiled-in default; never changed afterwards, so it may be shared by threads.
 *
 * Config file format: one "key = value" per line, '#' comments, blank lines ignored.
 *   root         = /srv/s3            data root (required; buckets are its directories)
 *   credentials  = /etc/s3cgi/credentials   (required unless anonymous = full)
 *   region       = us-east-1
 *   prefix       = /s3                URL path the endpoint is mounted under ("" = none)
 *   fsync        = on|off             fsync data and directories before acknowledging
 *   anonymous    = off|full           full: unsigned requests allowed (test endpoints)
 *   max_skew     = 900                seconds of clock skew accepted
 *   domain       = s3.example.org     virtual-host domains (repeatable; later issue)
 *   log_level    = 1                  0 errors only, 1 + warnings, 2 + each request
 *   sigv2        = on|off             accept legacy Signature V2 (header and query)
 *   mp_max_age   = 604800             seconds after which an unfinished multipart
 *                                     upload is purged (opportunistically and by
 *                                     s3cgi-admin purge); default 7 days
 *   sendfile     = off|x-sendfile|x-accel-redirect|mod_xsendfile
 *                                     let the web server send GetObject bodies (below)
 *
 * sendfile: s3cgi authenticates, evaluates conditions and ranges and writes the
 * headers; the web server sends the file, named by a response header (op_object.c).
 *   off               s3cgi streams every body itself (default; works everywhere).
 *   x-sendfile        lighttpd (mod_fastcgi/mod_cgi "x-sendfile" => "enable",
 *                     "x-sendfile-docroot" => the data root, physical path, and
 *                     server.follow-symlink "disable" for that block): whole objects
 *                     as "X-Sendfile: <root/bucket/key>", ranges and partNumber reads
 *                     as "X-Sendfile2: <path> <first>-<last>" with s3cgi's own 206 and
 *                     Content-Range. lighttpd keeps every header s3cgi sends.
 *   x-accel-redirect  nginx: "X-Accel-Redirect: /.s3cgi-sendfile/<bucket>/<key>",
 *                     served by an internal location aliased to the data root
 *                     (examples/nginx/s3cgi.conf). nginx 1.22 keeps only Content-Type,
 *                     Content-Disposition, Cache-Control and Expires of what s3cgi
 *                     sends; the location adds ETag, Content-Encoding,
 *                     Content-Language, x-amz-request-id and x-amz-id-2 back from
 *                     $upstream_http_*, and Last-Modified comes from the file (the mtime
 *                     s3cgi reports). Headers with open-ended names cannot be added
 *                     back: objects with x-amz-meta-* and requests with
 *                     x-amz-checksum-mode are streamed by s3cgi. A single-range GET is
 *                     handed over as a 200 and nginx cuts the range; partNumber reads,
 *                     If-Range and multi-range requests are streamed.
 *   mod_xsendfile     Apache with mod_xsendfile ("XSendFile On" and "XSendFilePath
 *                     <data root>" where s3cgi is mounted; examples/apache): whole
 *                     objects as "X-Sendfile: <root/bucket/key>", the path as it is
 *                     (mod_xsendfile decodes nothing). Apache keeps every header s3cgi
 *                     sends but Content-Encoding, so objects stored with one are
 *                     streamed by s3cgi. Like nginx, Apache cuts a single Range itself
 *                     from s3cgi's 200; partNumber reads, If-Range and multi-range
 *                     requests are streamed, and so are keys with control characters.
 *                     mod_xsendfile follows symbolic links inside the data root.
 * lighttpd and nginx paths are percent-encoded (both decode them once). Only GET bodies of
 * non-empty regular files are offloaded; HEAD, errors and 304s never are.
 *
 * Credentials file: one key per line, '#' comments, blank lines ignored:
 *   ACCESS_KEY SECRET_KEY [name=DISPLAY] [id=OWNER_ID] [admin] [read-only]
 *                         [grant=BUCKET:ro|rw]...
 * Each key is a user (S3 "Owner": ID and DisplayName):
 *   name=      DisplayName in Owner elements (default: the access key).
 *   id=        owner ID, 1-64 of [A-Za-z0-9._-] (default: hex SHA-256 of the access
 *              key, which is what s3cgi answered before ids existed). Keys sharing an
 *              id are one user: they own the same buckets (e.g. a read-only key beside
 *              a read-write one). Buckets record the id, not the key, so a key can be
 *              rotated by keeping its id.
 *   admin      owns the buckets that have no recorded owner (trees that existed before
 *              s3cgi), sees every bucket and may act on all of them.
 *   read-only  may only use read operations, whatever it owns or is granted.
 *   grant=B:ro read access to bucket B (list, GET/HEAD, ACLs, configuration reads);
 *   grant=B:rw also object writes (PUT, copy, multipart, DELETE, object ACLs); never
 *              the bucket itself (DeleteBucket, PutBucketAcl stay with the owner).
 *              Repeatable; the strongest grant for a bucket wins. B must be a valid
 *              bucket name; it need not exist yet.
 * Lines of the older forms ("AK SK", "AK SK name=N [admin] [read-only]") keep their
 * meaning. How these are enforced: access.h.
 */
#ifndef S3CGI_CONFIG_H
#define S3CGI_CONFIG_H

#include <stddef.h>

#define S3_MAX_DOMAINS 8

#define S3_OWNER_ID_MAX 64      /* longest owner id (the default is 64 hex digits) */

/* "sendfile": off, x-sendfile (lighttpd), x-accel-redirect (nginx), mod_xsendfile (Apache) */
enum s3_sendfile { S3_SENDFILE_OFF = 0, S3_SENDFILE_X, S3_SENDFILE_ACCEL, S3_SENDFILE_APACHE };

struct s3_grant {
    char *bucket;
    int write;              /* 0: "ro", 1: "rw" */
};

struct s3_credential {
    char *access_key;
    char *secret_key;
    char *display_name;     /* defaults to the access key */
    char *id;               /* owner id: id= or hex SHA-256 of the access key */
    int admin;
    int read_only;
    struct s3_grant *grants;
    size_t ngrants;
};

struct s3_config {
    char *path;             /* the file it came from */
    char *root;             /* data root, absolute, no trailing '/' */
    int root_fd;            /* O_DIRECTORY|O_PATH-free descriptor of root, opened once */
    char *credentials_path;
    struct s3_credential *creds;
    size_t ncreds;
    char *region;
    char *prefix;           /* "" or "/s3" (leading '/', no trailing '/') */
    size_t prefix_len;
    int fsync;
    int anonymous_full;
    int max_skew;
    char *domains[S3_MAX_DOMAINS];
    size_t ndomains;
    int log_level;
    int sigv2;              /* accept Signature V2 (default on) */
    long mp_max_age;        /* multipart uploads older than this are purged (seconds) */
    enum s3_sendfile sendfile;  /* GetObject body offload to the web server (default off) */
};

/* Loads path (or, if NULL, the compiled-in default) into *cfg. On failure returns -1,
 * writes a one-line reason into err (errlen bytes) and leaves *cfg safe to free. */
int s3_config_load(struct s3_config *cfg, const char *path, char *err, size_t errlen);
void s3_config_free(struct s3_config *cfg);
/* Looks up an access key; NULL if unknown. Constant-time is not needed here. */
const struct s3_credential *s3_config_find_key(const struct s3_config *cfg,
                                               const char *ak, size_t ak_len);
/* The first credential whose owner id is id (for its display name); NULL if none. */
const struct s3_credential *s3_config_find_id(const struct s3_config *cfg, const char *id);
/* The first admin credential (the owner shown for buckets without a recorded owner);
 * NULL if none. */
const struct s3_credential *s3_config_first_admin(const struct s3_config *cfg);
/* What the credentials file grants cred on bucket: 0 nothing, 1 "ro", 2 "rw"
 * (ownership and admin are not grants; see access.h). */
int s3_credential_grant(const struct s3_credential *cred, const char *bucket);

#endif
