/* io.h - the one interface between the S3 core (lib/) and a front (CGI, FastCGI, tests).
 *
 * Contract: lib/ never touches fd 0/1, environ or getenv. Everything about a request
 * arrives through a struct s3_io that the front fills in for the duration of one
 * request; everything the core answers leaves through io->write.
 */
#ifndef S3CGI_IO_H
#define S3CGI_IO_H

#include <stddef.h>
#include <sys/types.h>

struct s3_cache;            /* auth.h: per-process derived-key cache */

struct s3_io {
    void *ctx;                 /* front's private state, passed back to the callbacks */
    char **env;                /* NULL-terminated "NAME=value" CGI variables; valid for the request */
    /* Read up to len body bytes. Returns >0 bytes read, 0 at end of body, -1 on error. */
    ssize_t (*read)(void *ctx, void *buf, size_t len);
    /* Write len response bytes (status line, headers, body alike). 0 ok, -1 client gone. */
    int (*write)(void *ctx, const void *buf, size_t len);
    /* One line (no newline needed) for the web server's error log. May be NULL. */
    void (*log)(void *ctx, const char *line);
    /* Front-owned state that outlives the request (one per process or thread, never
     * shared between threads), or NULL: the FastCGI loop keeps the last SigV4 signing
     * key here so a request need not derive it again (four HMACs). */
    struct s3_cache *cache;
};

/* Value of CGI variable name, or NULL. Linear scan of io->env. */
const char *s3_io_getenv(const struct s3_io *io, const char *name);

/* printf-style line to io->log (truncated at 1 KiB), prefixed "s3cgi: ". */
void s3_io_logf(const struct s3_io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
