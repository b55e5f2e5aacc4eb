/* fcgi/main.c - the FastCGI front: accepts requests on the socket the web server or
 * spawn-fcgi passed as fd 0, serves each through the core, stops cleanly on SIGTERM.
 *
 * The configuration is loaded once, from S3CGI_CONFIG in the process environment,
 * or, when that is unset, from the S3CGI_CONFIG parameter of the first request
 * that carries one (nginx/Apache can pass it per request). A broken configuration
 * answers every request with 500 and a log line; it is retried on the next request.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "auth.h"
#include "s3cgi.h"

#define FCGI_IO_CHUNK (1 << 20)     /* FCGX_GetStr/PutStr take int lengths */

static ssize_t fcgi_read(void *ctx, void *buf, size_t len)
{
    FCGX_Request *r = ctx;
    int want = len > FCGI_IO_CHUNK ? FCGI_IO_CHUNK : (int)len;
    int n = FCGX_GetStr(buf, want, r->in);
    if (n == 0 && FCGX_GetError(r->in) != 0)
        return -1;
    return n;
}

static int fcgi_write(void *ctx, const void *buf, size_t len)
{
    FCGX_Request *r = ctx;
    const char *p = buf;
    while (len) {
        int n = len > FCGI_IO_CHUNK ? FCGI_IO_CHUNK : (int)len;
        if (FCGX_PutStr(p, n, r->out) != n)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fcgi_log(void *ctx, const char *line)
{
    FCGX_Request *r = ctx;
    FCGX_PutS(line, r->err);
    FCGX_PutS("\n", r->err);
}

static void on_term(int sig)
{
    (void)sig;
    FCGX_ShutdownPending();
}

struct config_slot {
    struct s3_config cfg;
    int loaded;
    char err[512];
};

/* Loads the configuration if it is not loaded yet. 0 when usable. */
static int ensure_config(struct config_slot *slot, FCGX_Request *r)
{
    if (slot->loaded)
        return 0;
    const char *path = getenv("S3CGI_CONFIG");
    if (!path)
        path = FCGX_GetParam("S3CGI_CONFIG", r->envp);
    if (s3_config_load(&slot->cfg, path, slot->err, sizeof slot->err) < 0) {
        s3_config_free(&slot->cfg);
        return -1;
    }
    slot->loaded = 1;
    return 0;
}

int main(void)
{
    struct config_slot slot = { .loaded = 0 };
    struct s3_cache cache = { .valid = 0 };     /* this process's derived-key cache */
    FCGX_Request r;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;        /* no SA_RESTART: accept() returns and the loop ends */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
        fprintf(stderr, "s3cgi: cannot initialise libfcgi\n");
        return 1;
    }
    while (FCGX_Accept_r(&r) >= 0) {
        struct s3_io io = { &r, r.envp, fcgi_read, fcgi_write, fcgi_log, &cache };
        if (ensure_config(&slot, &r) < 0)
            s3_handle_config_error(&io, slot.err);
        else
            s3_handle(&slot.cfg, &io);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    if (slot.loaded)
        s3_config_free(&slot.cfg);
    explicit_bzero(&cache, sizeof cache);
    return 0;
}
