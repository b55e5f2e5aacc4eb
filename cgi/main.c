/* cgi/main.c - the CGI front: one request from the environment and stdin, the
 * response to stdout, log lines to stderr (the web server's error log). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "s3cgi.h"
#include "util.h"

extern char **environ;

static ssize_t cgi_read(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, len);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

static int cgi_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    return write_all(STDOUT_FILENO, buf, len);
}

static void cgi_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

/* Reads what is left of the request body. A request refused from its headers
 * leaves the body unread; fcgiwrap (nginx) then fails to deliver it and answers 502
 * in place of our 403, so the body is consumed before exiting. */
static void drain_stdin(void)
{
    char buf[65536];
    while (cgi_read(NULL, buf, sizeof buf) > 0)
        ;
}

int main(void)
{
    struct s3_io io = { NULL, environ, cgi_read, cgi_write, cgi_log, NULL };
    struct s3_config cfg;
    char err[512];
    signal(SIGPIPE, SIG_IGN);       /* a client gone away is a write error, not a death */
    if (s3_config_load(&cfg, getenv("S3CGI_CONFIG"), err, sizeof err) < 0) {
        s3_handle_config_error(&io, err);
        s3_config_free(&cfg);
        drain_stdin();
        return 0;
    }
    s3_handle(&cfg, &io);
    s3_config_free(&cfg);
    drain_stdin();
    return 0;
}
