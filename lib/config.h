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
 * Credentials file: one "ACCESS_KEY SECRET_KEY [options...]" per line, '#' comments.
 */
#ifndef S3CGI_CONFIG_H
#define S3CGI_CONFIG_H

#include <stddef.h>

#define S3_MAX_DOMAINS 8

struct s3_credential {
    char *access_key;
    char *secret_key;
    char *display_name;     /* defaults to the access key */
    int admin;              /* reserved for the multi-user issue */
    int read_only;
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
};

/* Loads path (or, if NULL, the compiled-in default) into *cfg. On failure returns -1,
 * writes a one-line reason into err (errlen bytes) and leaves *cfg safe to free. */
int s3_config_load(struct s3_config *cfg, const char *path, char *err, size_t errlen);
void s3_config_free(struct s3_config *cfg);
/* Looks up an access key; NULL if unknown. Constant-time is not needed here. */
const struct s3_credential *s3_config_find_key(const struct s3_config *cfg,
                                               const char *ak, size_t ak_len);

#endif
