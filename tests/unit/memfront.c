/* memfront.c - see memfront.h. */
#include "memfront.h"

#include <check.h>

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "buf.h"
#include "s3cgi.h"

#define MEM_MAX_VARS 64

static ssize_t mem_read(void *ctx, void *p, size_t len)
{
    struct mem_front *m = ctx;
    size_t n = m->body_len - m->body_off;
    if (n > len)
        n = len;
    memcpy(p, m->body + m->body_off, n);
    m->body_off += n;
    return (ssize_t)n;
}

static int mem_write(void *ctx, const void *p, size_t len)
{
    struct mem_front *m = ctx;
    return buf_add(&m->out, p, len);
}

static void mem_log(void *ctx, const char *line)
{
    struct mem_front *m = ctx;
    buf_adds(&m->log, line);
    buf_addc(&m->log, '\n');
}

void mem_front_init(struct mem_front *m, struct s3_io *io, char **env, const char *body,
                    size_t body_len)
{
    m->body = body ? body : "";
    m->body_len = body_len;
    m->body_off = 0;
    buf_init(&m->out, 64u << 20);
    buf_init(&m->log, 1u << 20);
    io->ctx = m;
    io->env = env;
    io->read = mem_read;
    io->write = mem_write;
    io->log = mem_log;
    io->cache = NULL;
}

void mem_front_free(struct mem_front *m)
{
    buf_free(&m->out);
    buf_free(&m->log);
}

int mem_request(const struct s3_config *cfg, struct reply *r, const char *method,
                const char *uri, const char *body, size_t body_len, const char *const *hdrs)
{
    char *env[MEM_MAX_VARS + 5];
    char m[64], u[4096], cl[64];
    size_t n = 0;
    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    snprintf(u, sizeof u, "REQUEST_URI=%s", uri);
    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", body_len);
    env[n++] = m;
    env[n++] = u;
    env[n++] = "HTTP_HOST=127.0.0.1";
    if (body)
        env[n++] = cl;
    for (size_t k = 0; hdrs && hdrs[k] && k < MEM_MAX_VARS; k++)
        env[n++] = (char *)hdrs[k];
    env[n] = NULL;
    struct mem_front mf;
    struct s3_io io;
    mem_front_init(&mf, &io, env, body, body_len);
    s3_handle(cfg, &io);

    int rc = -1;
    const char *o = buf_str(&mf.out);
    const char *end = strstr(o, "\r\n\r\n");
    memset(r, 0, sizeof *r);
    if (strncmp(o, "Status: ", 8) != 0 || !end || (size_t)(end - o) >= sizeof r->headers)
        goto out;
    r->status = atoi(o + 8);
    size_t hl = (size_t)(end - o);
    memcpy(r->headers, o, hl);
    r->headers[hl] = '\0';
    r->body_len = mf.out.len - hl - 4;
    if (!(r->body = malloc(r->body_len + 1)))
        goto out;
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    rc = 0;
out:
    mem_front_free(&mf);
    return rc;
}

void reply_free(struct reply *r)
{
    free(r->body);
    r->body = NULL;
}

const char *reply_header(const struct reply *r, const char *name, char *out, size_t cap)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    const char *p = strstr(r->headers, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t n = strcspn(p, "\r");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

void mem_root_make(char *root, char *conf, struct s3_config *cfg, const char *extra)
{
    strcpy(root, "/tmp/s3cgi-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(conf, 96, "%s.conf", root);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "root = %s\nanonymous = full\nfsync = off\n%s", root, extra);
    fclose(f);
    char err[256];
    ck_assert_msg(s3_config_load(cfg, conf, err, sizeof err) == 0, "%s", err);
}

void mem_root_remove(const char *root, const char *conf, struct s3_config *cfg)
{
    char cmd[200];
    s3_config_free(cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, conf);
    ck_assert_int_eq(system(cmd), 0);
}
