/* memfront.h - an in-memory front for the unit suites that drive the whole request
 * path: a request is CGI variables plus a body buffer, s3_handle serves it, and the
 * bytes it wrote are parsed back into a status, a header block and a body. */
#ifndef S3CGI_TEST_MEMFRONT_H
#define S3CGI_TEST_MEMFRONT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "io.h"

/* The front itself, for tests that call the core directly: body to read, response
 * bytes and log lines captured. */
struct mem_front {
    const char *body;
    size_t body_len, body_off;
    struct buf out;
    struct buf log;
};

/* Sets up m and io (env stays the caller's) to serve one request. */
void mem_front_init(struct mem_front *m, struct s3_io *io, char **env, const char *body,
                    size_t body_len);
void mem_front_free(struct mem_front *m);

struct reply {
    int status;
    char headers[8192];         /* "Status: ..." up to, not including, the blank line */
    char *body;                 /* malloc'd, NUL-terminated; reply_free releases it */
    size_t body_len;
};

/* A fresh data root /tmp/s3cgi-unit-XXXXXX (root, 64 bytes) and its configuration
 * file root.conf (conf, 96 bytes): "anonymous = full", "fsync = off", then the lines
 * in extra; loaded into *cfg. Check assertions on failure. */
void mem_root_make(char *root, char *conf, struct s3_config *cfg, const char *extra);
/* Frees *cfg and removes the root and the configuration file. */
void mem_root_remove(const char *root, const char *conf, struct s3_config *cfg);

/* Serves one request against cfg. hdrs: NULL-terminated "NAME=value" CGI variables
 * added to REQUEST_METHOD, REQUEST_URI, HTTP_HOST and (when body is not NULL)
 * CONTENT_LENGTH. Returns 0, or -1 when the output is not a response; it makes no
 * Check assertions, so forked children may call it. */
int mem_request(const struct s3_config *cfg, struct reply *r, const char *method,
                const char *uri, const char *body, size_t body_len, const char *const *hdrs);
void reply_free(struct reply *r);
/* Value of the response header name (as written, case-sensitive) copied into out,
 * or NULL when absent. */
const char *reply_header(const struct reply *r, const char *name, char *out, size_t cap);

#endif
