/* io.c - helpers over the front interface (io.h). */
#include "io.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *s3_io_getenv(const struct s3_io *io, const char *name)
{
    size_t n = strlen(name);
    for (char **e = io->env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

void s3_io_logf(const struct s3_io *io, const char *fmt, ...)
{
    if (!io->log)
        return;
    char line[1024];
    int off = snprintf(line, sizeof line, "s3cgi: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    /* one log line: fold control characters so a key cannot forge log entries */
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    io->log(io->ctx, line);
}
