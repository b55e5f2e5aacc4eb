/* fcgi/main.c - the FastCGI front: accepts requests on the socket the web server or
 * spawn-fcgi passed as fd 0, serves each through the core, stops cleanly on SIGTERM.
 *
 * The configuration is loaded once, from S3CGI_CONFIG in the process environment,
 * or, when that is unset, from the S3CGI_CONFIG parameter of the first request
 * that carries one (nginx/Apache can pass it per request). A broken configuration
 * answers every request with 500 and a log line; it is retried on the next request.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

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

/* Writes that reach DIRECT_MIN bytes (GET bodies) bypass libfcgi's stream, which cuts
 * everything into 8 KiB records with a write(2) each: after flushing what the stream
 * holds (so the order of bytes is kept), they go to the socket as FCGI_STDOUT records
 * of up to DIRECT_RECORD bytes, DIRECT_BATCH of them per writev(2). The stream stays
 * usable: later small writes and FCGX_Finish_r append after them. */
#define DIRECT_MIN (64u << 10)
#define DIRECT_RECORD 65528u        /* largest content length that needs no padding */
#define DIRECT_BATCH 8
#define FCGI_VERSION_1 1
#define FCGI_STDOUT_TYPE 6

static int writev_all(int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t w = writev(fd, iov, cnt);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        while (cnt > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int fcgi_write_direct(FCGX_Request *r, const char *p, size_t len)
{
    unsigned char hdr[DIRECT_BATCH][8];
    struct iovec iov[2 * DIRECT_BATCH];
    if (r->ipcFd < 0 || FCGX_FFlush(r->out) != 0)
        return -1;
    while (len) {
        int cnt = 0;
        for (int i = 0; i < DIRECT_BATCH && len; i++) {
            size_t n = len > DIRECT_RECORD ? DIRECT_RECORD : len;
            unsigned char *h = hdr[i];
            h[0] = FCGI_VERSION_1;
            h[1] = FCGI_STDOUT_TYPE;
            h[2] = (unsigned char)(r->requestId >> 8);
            h[3] = (unsigned char)r->requestId;
            h[4] = (unsigned char)(n >> 8);
            h[5] = (unsigned char)n;
            h[6] = 0;                   /* padding length */
            h[7] = 0;
            iov[cnt++] = (struct iovec){ h, 8 };
            iov[cnt++] = (struct iovec){ (void *)p, n };
            p += n;
            len -= n;
        }
        if (writev_all(r->ipcFd, iov, cnt) < 0)
            return -1;
    }
    return 0;
}

static int fcgi_write(void *ctx, const void *buf, size_t len)
{
    FCGX_Request *r = ctx;
    const char *p = buf;
    if (len >= DIRECT_MIN)
        return fcgi_write_direct(r, p, len);
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

/* How a finished request's connection is closed. libfcgi's own close is a lingering
 * one: shutdown(SHUT_WR), then reading and discarding whatever the web server still
 * sends until it closes its end (at most 2 s), so that unread input cannot turn the
 * close into a TCP reset that loses the response. The web server closes only once it
 * has handled the response: strace showed this process idle for 1.4 ms per request
 * behind an idle lighttpd, longer under load, serving nobody. Once the request's stdin
 * has been read to its end the web server has nothing more to send, so a plain close
 * loses nothing, on a Unix socket or TCP: this drains what is left of stdin (for a
 * request without a body, the empty record that ends it, usually read already),
 * with reads that give up after DRAIN_WAIT_MS (SO_RCVTIMEO) and at most DRAIN_MAX
 * bytes, and when that reaches the end it detaches the request, which makes libfcgi
 * close the connection at once. Input that does not come in time (a slow client's
 * body) or goes on beyond DRAIN_MAX (an upload refused early) keeps the lingering
 * close. The timeout stays on the socket, which is closed next: libfcgi's lingering
 * close reads only after poll(2) reported input, so it never waits on it. */
#define DRAIN_MAX (64 * 1024)
#define DRAIN_WAIT_MS 20

static void choose_close(FCGX_Request *r)
{
    char scratch[4096];
    size_t drained = 0;
    if (FCGX_HasSeenEOF(r->in) != EOF) {
        struct timeval wait = { .tv_sec = 0, .tv_usec = DRAIN_WAIT_MS * 1000 };
        if (r->ipcFd < 0 || setsockopt(r->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) != 0) {
            FCGX_Attach(r);
            return;
        }
    }
    while (FCGX_HasSeenEOF(r->in) != EOF && drained <= DRAIN_MAX) {
        int n = FCGX_GetStr(scratch, sizeof scratch, r->in);
        if (n <= 0)
            break;
        drained += (size_t)n;
    }
    if (FCGX_HasSeenEOF(r->in) == EOF && FCGX_GetError(r->in) == 0)
        FCGX_Detach(r);
    else
        FCGX_Attach(r);
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
        choose_close(&r);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    if (slot.loaded)
        s3_config_free(&slot.cfg);
    explicit_bzero(&cache, sizeof cache);
    return 0;
}
