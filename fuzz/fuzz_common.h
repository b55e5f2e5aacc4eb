/* fuzz_common.h - pieces shared by the fuzz targets that drive lib/ through its
 * front interface: a CGI environment built from fuzz input, and an in-memory
 * struct s3_io (the same shape as tests/unit/test_core.c's).
 *
 * Header-only (static functions) so that every target stays one translation unit
 * linked against lib/ (all of it); see fuzz/Makefile.fuzz.
 */
#ifndef S3CGI_FUZZ_COMMON_H
#define S3CGI_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"
#include "io.h"

#define FZ_MAX_ENV 512          /* above request.c's 256-header cap, so it is reached */

/* A NULL-terminated "NAME=value" array. Owns one copy of the input (text) and the
 * strings it had to add (extra); env entries point into either. */
struct fz_env {
    char *text;
    char *env[FZ_MAX_ENV + 4];
    size_t n;
    char extra[4][96];
    size_t nextra;
};

/* 1 when entry s starts with "NAME=". */
static inline int fz_is_var(const char *s, const char *name)
{
    size_t n = strlen(name);
    return strncmp(s, name, n) == 0 && s[n] == '=';
}

static inline int fz_env_has(const struct fz_env *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (fz_is_var(e->env[i], name))
            return 1;
    return 0;
}

/* Appends "NAME=value" (kept in e->extra; at most 4, value truncated to fit). */
static inline void fz_env_add(struct fz_env *e, const char *name, const char *value)
{
    if (e->nextra == 4 || e->n >= FZ_MAX_ENV + 3)
        return;
    char *s = e->extra[e->nextra++];
    snprintf(s, sizeof e->extra[0], "%s=%s", name, value);
    e->env[e->n++] = s;
    e->env[e->n] = NULL;
}

/* Splits data at '\n' and NUL into entries (empty ones dropped, entries without
 * '=' kept: the parser must skip them), then guarantees REQUEST_METHOD and
 * REQUEST_URI by appending "GET" and "/" when the input names none. */
static inline void fz_env_build(struct fz_env *e, const uint8_t *data, size_t size)
{
    memset(e, 0, sizeof *e);
    e->text = malloc(size + 1);
    if (!e->text)
        abort();
    memcpy(e->text, data, size);
    e->text[size] = '\0';
    char *p = e->text, *end = e->text + size;
    while (p < end && e->n < FZ_MAX_ENV) {
        char *nl = p;
        while (nl < end && *nl != '\n' && *nl != '\0')
            nl++;
        *nl = '\0';
        if (nl > p)
            e->env[e->n++] = p;
        p = nl + 1;
    }
    e->env[e->n] = NULL;
    if (!fz_env_has(e, "REQUEST_METHOD"))
        fz_env_add(e, "REQUEST_METHOD", "GET");
    if (!fz_env_has(e, "REQUEST_URI"))
        fz_env_add(e, "REQUEST_URI", "/");
}

static inline void fz_env_free(struct fz_env *e)
{
    free(e->text);
    e->text = NULL;
}

/* ---- in-memory front ---- */

struct fz_front {
    const uint8_t *body;
    size_t body_len, body_off;
    size_t chunk;               /* most bytes one read returns (0: unlimited) */
    struct buf out;             /* everything written: status, headers, body */
    size_t log_lines;
};

static inline ssize_t fz_read(void *ctx, void *p, size_t len)
{
    struct fz_front *f = ctx;
    size_t n = f->body_len - f->body_off;
    if (n > len)
        n = len;
    if (f->chunk && n > f->chunk)
        n = f->chunk;
    if (n == 0)
        return 0;
    memcpy(p, f->body + f->body_off, n);
    f->body_off += n;
    return (ssize_t)n;
}

static inline int fz_write(void *ctx, const void *p, size_t len)
{
    struct fz_front *f = ctx;
    return buf_add(&f->out, p, len);
}

static inline void fz_log(void *ctx, const char *line)
{
    struct fz_front *f = ctx;
    (void)line;
    f->log_lines++;
}

static inline void fz_front_init(struct fz_front *f, const uint8_t *body, size_t len,
                                 size_t chunk, size_t out_cap)
{
    memset(f, 0, sizeof *f);
    f->body = body;
    f->body_len = len;
    f->chunk = chunk;
    buf_init(&f->out, out_cap);
}

/* Fails the run with a message (libFuzzer saves the input as a crash). */
#define FZ_CHECK(cond, ...)                                                     \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz property failed: %s (%s:%d): ", #cond,        \
                    __FILE__, __LINE__);                                        \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif
